import type { GitRepo } from '../scm/git.ts';
import { log } from '../log.ts';
import type { Edge, HistoryCommit } from './types.ts';

/**
 * Commit history for retrieval: what each commit says (PRs, issues), who wrote it, which files it
 * touched; and the edges derived from that (files changed together, authors ↔ files).
 */

export interface ReadHistoryOptions {
  /** At most this many commits, newest first (callers default to 5,000). */
  maxCommits: number;
  /** Exclusive bound: only commits reachable from `commit` but not from `after`. */
  after?: string;
  /**
   * `owner/name` of the repository. Cross-repository references (`closes owner/name#7`) count only
   * when they name this repository; without it they are ignored.
   */
  repoSlug?: string;
}

export interface HistoryEdgeOptions {
  /** Commits touching more files than this (mass reformatting, vendoring) add no edges. Default 50. */
  maxFilesPerCommit?: number;
  /** Co-change partners kept per file. Default 20. */
  maxPartners?: number;
  /** Half-life of an author's commit, in days, for author → file weights. Default 180. */
  halfLifeDays?: number;
}

// Record layout: RS sha NUL parents NUL name NUL email NUL date NUL body NUL, then (with -z) NUL and
// the name-status tokens `STATUS NUL path NUL [path NUL]`.
const RS = '\x1e';
const FORMAT = '%x1e%H%x00%P%x00%aN%x00%aE%x00%at%x00%B%x00';

const STATUS = /^[ACDMRTUXB]\d*$/;

/** Commits of `commit`'s history, newest first, from one `git log` call. Merge commits are kept (their messages carry PR numbers) with no files. */
export async function readHistory(
  repo: GitRepo,
  commit: string,
  opts: ReadHistoryOptions,
): Promise<HistoryCommit[]> {
  const started = Date.now();
  const out = await repo.log({
    commit,
    after: opts.after,
    maxCount: opts.maxCommits,
    format: FORMAT,
    nameStatus: true,
  });
  const commits = parseLog(out, opts.repoSlug);
  log.debug({ commits: commits.length, ms: Date.now() - started }, 'read history');
  return commits;
}

/** Parses the output of `git log -z --name-status -M --format=FORMAT`. */
export function parseLog(out: string, repoSlug?: string): HistoryCommit[] {
  const tokens = out.split('\0');
  const commits: HistoryCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const head = (tokens[i] ?? '').replace(/^\n+/, '');
    if (!head.startsWith(RS)) {
      i += 1;
      continue;
    }
    const sha = head.slice(1);
    const parents = tokens[i + 1] ?? '';
    const author = tokens[i + 2] ?? '';
    const email = tokens[i + 3] ?? '';
    const date = Number(tokens[i + 4] ?? '0');
    const message = (tokens[i + 5] ?? '').replace(/\s+$/, '');
    i += 6;

    const files = new Set<string>();
    const renames: Array<{ from: string; to: string }> = [];
    while (i < tokens.length) {
      const token = (tokens[i] ?? '').replace(/^\n+/, '');
      if (token.startsWith(RS)) break;
      i += 1;
      if (token === '' || !STATUS.test(token)) continue;
      if (token[0] === 'R' || token[0] === 'C') {
        const from = tokens[i];
        const to = tokens[i + 1];
        i += 2;
        if (from === undefined || to === undefined) break;
        files.add(to);
        if (token[0] === 'R') renames.push({ from, to });
      } else {
        const file = tokens[i];
        i += 1;
        if (file !== undefined) files.add(file);
      }
    }

    const isMerge = parents.trim().split(/\s+/).filter(Boolean).length > 1;
    const entry: HistoryCommit = {
      sha,
      author,
      email: email.toLowerCase(),
      date: Number.isFinite(date) ? date : 0,
      message,
      files: isMerge ? [] : [...files],
      prs: parsePullRequests(message),
      issues: parseIssueRefs(message, repoSlug),
    };
    if (!isMerge && renames.length > 0) entry.renames = renames;
    commits.push(entry);
  }
  return commits;
}

function addNumber(into: number[], raw: string | undefined): void {
  if (raw === undefined) return;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value > 0 && !into.includes(value)) into.push(value);
}

/** PR numbers: `Title (#123)` (GitHub squash merges), `Merge pull request #123 from …`, `PR #123`, `pull request #123`. */
export function parsePullRequests(message: string): number[] {
  const prs: number[] = [];
  const subject = message.split('\n', 1)[0] ?? '';
  const squash = /\(#(\d+)\)\s*$/.exec(subject);
  if (squash) addNumber(prs, squash[1]);
  for (const match of message.matchAll(/\b(?:pull request|PR)\s*#(\d+)/gi)) addNumber(prs, match[1]);
  return prs;
}

const ISSUE_KEYWORDS = String.raw`(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?|refs?|references)`;
const ISSUE_REF = String.raw`(?:[\w.-]+\/[\w.-]+)?#\d+`;
const ISSUE_LIST = new RegExp(
  String.raw`\b${ISSUE_KEYWORDS}\b:?[ \t]*(${ISSUE_REF}(?:[ \t]*(?:,|\band\b|&)[ \t]*${ISSUE_REF})*)`,
  'gi',
);

/**
 * Issue numbers a message points at with a keyword: `fixes #45`, `Fixed #30000 -- …` (Django),
 * `Refs #123 --`, `closes #1, #2 and #3`, `closes owner/name#7` (only when it is `repoSlug`).
 */
export function parseIssueRefs(message: string, repoSlug?: string): number[] {
  const issues: number[] = [];
  const slug = repoSlug?.toLowerCase();
  for (const match of message.matchAll(ISSUE_LIST)) {
    for (const ref of (match[1] ?? '').matchAll(/(?:([\w.-]+\/[\w.-]+))?#(\d+)/g)) {
      const target = ref[1]?.toLowerCase();
      if (target !== undefined && target !== slug) continue;
      addNumber(issues, ref[2]);
    }
  }
  return issues;
}

/**
 * Edges from history. `cochange` (file ↔ file, src < dst): each commit touching n files (2 ≤ n ≤
 * maxFilesPerCommit) adds 1/(n-1) to each pair; pairs seen in ≥ 2 commits or with weight ≥ 1 are
 * kept, and each file keeps its top `maxPartners` partners (an edge stays when it is in the top list
 * of either end). `author` (email → file): the sum over commits of 0.5^(age/halfLife), age counted
 * from the newest commit's date so results do not depend on the clock. Paths are followed across
 * renames to their newest name; with `knownPaths`, edges to other paths are dropped.
 */
export function deriveHistoryEdges(
  commits: HistoryCommit[],
  knownPaths?: Set<string>,
  options: HistoryEdgeOptions = {},
): Edge[] {
  const maxFiles = options.maxFilesPerCommit ?? 50;
  const maxPartners = options.maxPartners ?? 20;
  const halfLifeSeconds = (options.halfLifeDays ?? 180) * 86_400;

  // `commits` is newest first (as `readHistory` returns it), so a rename is seen before the older
  // commits that used the old name. Author dates need not be monotonic: the newest is the maximum.
  const ordered = commits;
  let newest = 0;
  for (const commit of commits) if (commit.date > newest) newest = commit.date;
  const currentName = new Map<string, string>();
  const rename = (file: string): string => currentName.get(file) ?? file;

  // Paths are interned to numbers so a pair is one number key, not a concatenated string: on a
  // history of thousands of commits the pair loop dominates edge derivation.
  const pathIds = new Map<string, number>();
  const pathNames: string[] = [];
  const idOf = (file: string): number => {
    let id = pathIds.get(file);
    if (id === undefined) {
      id = pathNames.length;
      pathIds.set(file, id);
      pathNames.push(file);
    }
    return id;
  };
  const authors = new Map<string, Map<number, number>>();

  // First the paths of each commit (under their newest names) and the author weights; then the
  // pairs, once the number of distinct paths is known.
  const commitIds: number[][] = [];
  for (const commit of ordered) {
    const files = [...new Set(commit.files.map(rename))].sort();
    for (const { from, to } of commit.renames ?? []) {
      if (from !== to) currentName.set(from, rename(to));
    }
    if (files.length === 0 || files.length > maxFiles) continue;
    const ids = files.map(idOf);

    const recency = Math.pow(0.5, Math.max(0, newest - commit.date) / halfLifeSeconds);
    const email = commit.email.toLowerCase();
    if (email) {
      let byFile = authors.get(email);
      if (!byFile) authors.set(email, (byFile = new Map()));
      for (const id of ids) byFile.set(id, (byFile.get(id) ?? 0) + recency);
    }
    if (ids.length >= 2) commitIds.push(ids);
  }

  // Pair key = (id of the smaller name) * base + (id of the larger). With fewer than 2^15 paths
  // the keys are small integers, which V8's maps hash far faster than the doubles a larger base
  // gives; exact while ids stay below 2^26. Weights and counts live in typed arrays indexed by
  // slot, slots in the order pairs first appear (the order the candidates are read in).
  const PAIR_BASE = pathNames.length < 0x8000 ? Math.max(1, pathNames.length) : 0x4000000;
  if (pathNames.length >= 0x4000000) throw new Error(`deriveHistoryEdges: ${pathNames.length} distinct paths is more than it can pair.`);
  const slotOf = new Map<number, number>();
  const pairKeys: number[] = [];
  let pairWeight = new Float64Array(1024);
  let pairCommits = new Int32Array(1024);
  for (const ids of commitIds) {
    const share = 1 / (ids.length - 1);
    for (let a = 0; a < ids.length; a += 1) {
      const base = ids[a]! * PAIR_BASE;
      for (let b = a + 1; b < ids.length; b += 1) {
        // The ids follow the sorted names, so names[a] < names[b]: the key keeps src < dst by name, whatever the ids.
        const key = base + ids[b]!;
        let slot = slotOf.get(key);
        if (slot === undefined) {
          slot = pairKeys.length;
          slotOf.set(key, slot);
          pairKeys.push(key);
          if (slot === pairWeight.length) {
            const weights = new Float64Array(slot * 2);
            weights.set(pairWeight);
            pairWeight = weights;
            const counts = new Int32Array(slot * 2);
            counts.set(pairCommits);
            pairCommits = counts;
          }
          pairWeight[slot] = share;
          pairCommits[slot] = 1;
        } else {
          pairWeight[slot] += share;
          pairCommits[slot] += 1;
        }
      }
    }
  }

  const known = (file: string): boolean => !knownPaths || knownPaths.has(file);

  const candidates: Edge[] = [];
  for (let slot = 0; slot < pairKeys.length; slot += 1) {
    const key = pairKeys[slot]!;
    const weight = pairWeight[slot]!;
    if (pairCommits[slot]! < 2 && weight < 1) continue;
    const src = pathNames[Math.floor(key / PAIR_BASE)]!;
    const dst = pathNames[key % PAIR_BASE]!;
    if (!known(src) || !known(dst)) continue;
    candidates.push({ kind: 'cochange', src, dst, weight });
  }
  const strongestFirst = (a: Edge, b: Edge): number =>
    b.weight - a.weight || compare(a.src, b.src) || compare(a.dst, b.dst);
  candidates.sort(strongestFirst);

  // An edge's rank at each end is the number of stronger edges that end already has.
  const rank = new Map<string, number>();
  const cochange: Edge[] = [];
  for (const edge of candidates) {
    const atSrc = rank.get(edge.src) ?? 0;
    const atDst = rank.get(edge.dst) ?? 0;
    rank.set(edge.src, atSrc + 1);
    rank.set(edge.dst, atDst + 1);
    if (atSrc < maxPartners || atDst < maxPartners) cochange.push(edge);
  }

  const authorEdges: Edge[] = [];
  for (const [src, byFile] of authors) {
    for (const [id, weight] of byFile) {
      const dst = pathNames[id]!;
      if (known(dst)) authorEdges.push({ kind: 'author', src, dst, weight });
    }
  }
  authorEdges.sort(strongestFirst);

  return [...cochange, ...authorEdges];
}

/** Edges in table order: by kind, source and target, compared by code units (no locale). */
export function compareEdges(a: Pick<Edge, 'src' | 'dst'> & { kind: string }, b: Pick<Edge, 'src' | 'dst'> & { kind: string }): number {
  return compare(a.kind, b.kind) || compare(a.src, b.src) || compare(a.dst, b.dst);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
