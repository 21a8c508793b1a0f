import type { GitRepo } from '../scm/git.ts';
import { log } from '../log.ts';
import { appendTo } from './lists.ts';
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

/**
 * Whether `commits` (git's log of `tip` since `base`, newest first) are one line of commits each
 * with a single parent, from `tip` down onto `base`. Git's history of `tip` then lists that line,
 * then exactly the history of `base`: its walk holds one commit at a time until it reaches `base`.
 */
export function isLineOnto(commits: readonly HistoryCommit[], tip: string, base: string): boolean {
  if (commits[0]?.sha !== tip) return false;
  return commits.every((c, i) => c.parents.length === 1 && c.parents[0] === (commits[i + 1]?.sha ?? base));
}

/** The newest `max` commits of a line of new commits on top of a window kept in git's order (`order`: shas, one per line). */
export function lineWindow(line: readonly HistoryCommit[], order: string, max: number): string[] {
  const window = line.slice(0, max).map((c) => c.sha);
  if (window.length < max && order) window.push(...order.split('\n', max - window.length));
  return window;
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

    const parentShas = parents.trim().split(/\s+/).filter(Boolean);
    const isMerge = parentShas.length > 1;
    const entry: HistoryCommit = {
      sha,
      parents: parentShas,
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

/** What edges need of a commit. */
export type EdgeCommit = Pick<HistoryCommit, 'sha' | 'email' | 'date' | 'files' | 'renames'>;

/**
 * A history window as edges see it: its commits in edge order (newest author date first, then by
 * sha, so the order is a function of the window alone, not of how git listed it), each with its
 * files under their newest names, deduplicated and sorted. A rename applies to the commits older
 * than it, so a path renamed away and later created again is two files.
 */
export interface MappedHistory {
  commits: EdgeCommit[];
  /** Shared with the commits where no rename changes them: never to be modified. */
  files: ReadonlyArray<readonly string[]>;
}

export function mapHistory(commits: readonly EdgeCommit[]): MappedHistory {
  const ordered = [...commits].sort((a, b) => b.date - a.date || compare(a.sha, b.sha));
  const currentName = new Map<string, string>();
  const rename = (file: string): string => currentName.get(file) ?? file;
  const files = ordered.map((commit) => {
    // Most commits touch no renamed path and list their files sorted (as git does): those keep their list.
    let names = currentName.size > 0 && commit.files.some((file) => currentName.has(file)) ? commit.files.map(rename) : commit.files;
    if (!strictlySorted(names)) names = [...new Set(names)].sort(compare);
    for (const { from, to } of commit.renames ?? []) {
      if (from !== to) currentName.set(from, rename(to));
    }
    return names;
  });
  return { commits: ordered, files };
}

function strictlySorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i += 1) if (!(names[i - 1]! < names[i]!)) return false;
  return true;
}

/** Whether a commit touching these (mapped) files adds to any edge. */
function counts(files: readonly string[], maxFiles: number): boolean {
  return files.length > 0 && files.length <= maxFiles;
}

/**
 * The files whose history edges can differ between two windows (a superset): the files of the
 * commits that entered or left the window, and, for a commit in both whose files a rename now
 * names differently, its files under either naming. Every other file's edges come from the same
 * commits, summed in the same order, so they are the same to the bit.
 */
export function historyPathsChanged(before: MappedHistory, after: MappedHistory, options: Pick<HistoryEdgeOptions, 'maxFilesPerCommit'> = {}): Set<string> {
  const maxFiles = options.maxFilesPerCommit ?? 50;
  const changed = new Set<string>();
  const add = (files: readonly string[]) => {
    if (counts(files, maxFiles)) for (const file of files) changed.add(file);
  };
  const filesBefore = new Map(before.commits.map((commit, i) => [commit.sha, before.files[i]!]));
  after.commits.forEach((commit, i) => {
    const now = after.files[i]!;
    const then = filesBefore.get(commit.sha);
    filesBefore.delete(commit.sha);
    if (then && (then === now || (then.length === now.length && then.every((file, j) => file === now[j])))) return;
    add(now);
    if (then) add(then);
  });
  // What is left of `before` fell out of the window.
  for (const files of filesBefore.values()) add(files);
  return changed;
}

/**
 * `historyPathsChanged` for a window that gained the commits `added` and lost `dropped` (the others
 * are `kept`), without mapping the old window, when neither the added nor the dropped commits
 * rename anything: a kept commit's files are then named alike in both windows (the renames that
 * apply to it are the kept commits' either way), so only the added and dropped commits' files can
 * have other edges. A dropped commit's files count under every name the kept commits' renames can
 * give them (a superset, as `historyPathsChanged`'s is). Undefined when a rename rules this out.
 */
export function slidPathsChanged(
  window: { added: readonly EdgeCommit[]; dropped: readonly EdgeCommit[]; kept: readonly EdgeCommit[] },
  after: MappedHistory,
  options: Pick<HistoryEdgeOptions, 'maxFilesPerCommit'> = {},
): Set<string> | undefined {
  const renames = (commit: EdgeCommit) => (commit.renames ?? []).some((r) => r.from !== r.to);
  if (window.added.some(renames) || window.dropped.some(renames)) return undefined;
  const maxFiles = options.maxFilesPerCommit ?? 50;
  const changed = new Set<string>();
  const added = new Set(window.added.map((commit) => commit.sha));
  after.commits.forEach((commit, i) => {
    const files = after.files[i]!;
    if (added.has(commit.sha) && counts(files, maxFiles)) for (const file of files) changed.add(file);
  });
  const renamedTo = new Map<string, string[]>();
  for (const commit of window.kept) {
    for (const { from, to } of commit.renames ?? []) if (from !== to) appendTo(renamedTo, from, to);
  }
  const pending = window.dropped.flatMap((commit) => commit.files);
  const followed = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (followed.has(file)) continue;
    followed.add(file);
    changed.add(file);
    pending.push(...(renamedTo.get(file) ?? []));
  }
  return changed;
}

export interface HistoryEdgeScope {
  /** Edges to other paths are dropped. */
  knownPaths?: ReadonlySet<string>;
  /** Only the edges of these files (co-change edges with either end, author edges to them); default all. */
  only?: ReadonlySet<string>;
}

/**
 * Edges from a window's history. `cochange` (file ↔ file, src < dst): each commit touching n files
 * (2 ≤ n ≤ maxFilesPerCommit) adds 1/(n-1) to each pair; pairs seen in ≥ 2 commits or with weight
 * ≥ 1 are kept. `author` (email → file): the sum over the author's commits to the file of
 * 0.5^(age/halfLife), age counted from the file's newest commit in the window, so the weights are
 * the file's own and do not depend on the clock. Each edge is a function of the commits touching
 * its files, summed in edge order: an update derives only the edges of `historyPathsChanged`
 * (`only`), and gets exactly what a derivation of all of them would.
 */
export function historyEdges(history: MappedHistory, scope: HistoryEdgeScope = {}, options: HistoryEdgeOptions = {}): Edge[] {
  const maxFiles = options.maxFilesPerCommit ?? 50;
  const halfLifeSeconds = (options.halfLifeDays ?? 180) * 86_400;
  const { knownPaths, only } = scope;
  const wanted = (file: string): boolean => !only || only.has(file);

  // Paths are interned to numbers so a pair is one number key, not a concatenated string: on a
  // history of thousands of commits the pair loop dominates edge derivation.
  const pathIds = new Map<string, number>();
  const pathNames: string[] = [];
  const pathWanted: boolean[] = [];
  const idOf = (file: string): number => {
    let id = pathIds.get(file);
    if (id === undefined) {
      id = pathNames.length;
      pathIds.set(file, id);
      pathNames.push(file);
      pathWanted.push(wanted(file));
    }
    return id;
  };
  const newestOf: number[] = [];
  const authors = new Map<string, Map<number, number>>();

  // First the paths of each commit and the author weights; then the pairs, once the number of
  // distinct paths is known.
  const commitIds: number[][] = [];
  history.commits.forEach((commit, c) => {
    const files = history.files[c]!;
    if (!counts(files, maxFiles) || (only && !files.some(wanted))) return;
    const ids = files.map(idOf);
    const email = commit.email.toLowerCase();
    for (const id of ids) {
      if (!pathWanted[id]) continue;
      // Edge order is newest first: a file's first commit is its newest.
      const newest = (newestOf[id] ??= commit.date);
      if (!email) continue;
      let byFile = authors.get(email);
      if (!byFile) authors.set(email, (byFile = new Map()));
      byFile.set(id, (byFile.get(id) ?? 0) + Math.pow(0.5, (newest - commit.date) / halfLifeSeconds));
    }
    if (ids.length >= 2) commitIds.push(ids);
  });

  // Pair key = (id of the smaller name) * base + (id of the larger). With fewer than 2^15 paths
  // the keys are small integers, which V8's maps hash far faster than the doubles a larger base
  // gives; exact while ids stay below 2^26. Weights and counts live in typed arrays indexed by
  // slot, slots in the order pairs first appear.
  const PAIR_BASE = pathNames.length < 0x8000 ? Math.max(1, pathNames.length) : 0x4000000;
  if (pathNames.length >= 0x4000000) throw new Error(`historyEdges: ${pathNames.length} distinct paths is more than it can pair.`);
  const slotOf = new Map<number, number>();
  const pairKeys: number[] = [];
  let pairWeight = new Float64Array(1024);
  let pairCommits = new Int32Array(1024);
  for (const ids of commitIds) {
    const share = 1 / (ids.length - 1);
    for (let a = 0; a < ids.length; a += 1) {
      const base = ids[a]! * PAIR_BASE;
      const aWanted = pathWanted[ids[a]!];
      for (let b = a + 1; b < ids.length; b += 1) {
        if (!aWanted && !pathWanted[ids[b]!]) continue;
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
  const strongestFirst = (x: Edge, y: Edge): number => y.weight - x.weight || compare(x.src, y.src) || compare(x.dst, y.dst);

  const cochange: Edge[] = [];
  for (let slot = 0; slot < pairKeys.length; slot += 1) {
    const key = pairKeys[slot]!;
    const weight = pairWeight[slot]!;
    if (pairCommits[slot]! < 2 && weight < 1) continue;
    const src = pathNames[Math.floor(key / PAIR_BASE)]!;
    const dst = pathNames[key % PAIR_BASE]!;
    if (known(src) && known(dst)) cochange.push({ kind: 'cochange', src, dst, weight });
  }
  cochange.sort(strongestFirst);

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

/** `historyEdges` of all the files of `commits` (in any order). */
export function deriveHistoryEdges(commits: readonly EdgeCommit[], knownPaths?: ReadonlySet<string>, options: HistoryEdgeOptions = {}): Edge[] {
  return historyEdges(mapHistory(commits), { knownPaths }, options);
}

/** Edges in table order: by kind, source and target, compared by code units (no locale). */
export function compareEdges(a: Pick<Edge, 'src' | 'dst'> & { kind: string }, b: Pick<Edge, 'src' | 'dst'> & { kind: string }): number {
  return compare(a.kind, b.kind) || compare(a.src, b.src) || compare(a.dst, b.dst);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
