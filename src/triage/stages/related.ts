import { tokenize } from '../../index/tokenize.ts';
import { sqlString, type RepoStore } from '../../store/repo-store.ts';
import type { HistoryRow, IssueRow } from '../../store/schema.ts';
import { MAX_BODY_CHARS, issueTokens } from '../issues-file.ts';
import type { Expert, FileFinding, RelatedItem } from '../state.ts';
import type { IssueFacts } from './understand.ts';
import { shorten } from '../text.ts';

/**
 * Stage 3: earlier issues, pull requests and commits like this issue (a possible duplicate
 * flagged), and the people who know the located code.
 *
 * Similarity is a noisy-OR of independent pieces of evidence, each already on a 0–1 scale:
 * TF-IDF cosine of the whole texts (title counted twice), a squared cosine of the titles, the
 * same error message quoted, and the change touching the located files. One piece alone rarely
 * passes the duplicate threshold; a rewording with the same error or title does. Checked on the
 * 145 issues of the eval dev set: no two distinct issues of a repository scored above 0.63, and
 * 12 of the 14 pairs shown (≥ 0.35) were fixed in the same files; copies of an issue with half
 * its body, or half its title words, scored a median 0.95 and 0.99 (flagged at 0.8: 144 and 143
 * of 145).
 */

export interface RelatedOptions {
  store: RepoStore;
  facts: IssueFacts;
  files: FileFinding[];
  /** The issue being triaged: never its own related item. */
  issueNumber?: number;
  /** `https://github.com/owner/name` for links to issues, pull requests and commits. */
  htmlBase?: string;
  /** Issues at or above this similarity (0–1) are flagged as possible duplicates. Default 0.8. */
  duplicateThreshold?: number;
  /** Items returned, best first. Default 5. */
  limit?: number;
}

export interface ExpertOptions {
  store: RepoStore;
  files: FileFinding[];
  /** How many of the located files count (best first). Default 3. */
  topFiles?: number;
  /** People returned. Default 3. */
  limit?: number;
  /** Commits this recent (counted back from the newest commit in the history) count. Default 365. */
  windowDays?: number;
}

export const DEFAULT_DUPLICATE_THRESHOLD = 0.8;
const DEFAULT_LIMIT = 5;
/** Below this an item is noise to a reader, however it ranks. */
export const MIN_SIMILARITY = 0.35;
/** The texts themselves must share something: touching the same file is not enough. */
const MIN_TEXT_EVIDENCE = 0.1;
/** The located files whose past changes count, with the weight of each rank. */
const FILE_RANK_WEIGHTS = [1, 0.7, 0.5, 0.35, 0.25];
/** What touching the top located file is worth at most. */
const MAX_FILE_EVIDENCE = 0.35;
const TITLE_EVIDENCE = 0.6;
const ERROR_EVIDENCE = 0.45;
/** Tokens of a document that count: the title and the start of the body (most issues are shorter; the rest of long ones is mostly logs). */
const MAX_DOC_TOKENS = 500;
/** A quoted error counts as "the same" only with this many tokens and words (not `ValueError` or a format string). */
const MIN_ERROR_TOKENS = 4;
const MIN_ERROR_WORDS = 3;

/** A growable column of numbers in one typed array: a corpus of tens of thousands of documents costs flat memory, not a map each. */
class NumberColumn<T extends Int32Array | Float32Array> {
  length = 0;
  constructor(
    public values: T,
    private readonly make: (size: number) => T,
  ) {}

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = this.make(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    this.length += 1;
  }
}

/** Sparse rows (term id, 1 + ln tf) of every document, one matrix for whole texts and one for titles. */
class SparseRows {
  readonly starts = new NumberColumn(new Int32Array(1024), (size) => new Int32Array(size));
  readonly terms = new NumberColumn(new Int32Array(1 << 16), (size) => new Int32Array(size));
  readonly weights = new NumberColumn(new Float32Array(1 << 16), (size) => new Float32Array(size));
  norms = new Float64Array(0);

  constructor() {
    this.starts.push(0);
  }

  get size(): number {
    return this.starts.length - 1;
  }
}

/** 1 + ln(tf) for small counts, looked up rather than computed millions of times. */
const TF_WEIGHT = Float32Array.from({ length: 64 }, (_, tf) => (tf === 0 ? 0 : 1 + Math.log(tf)));
const tfWeight = (tf: number): number => (tf < TF_WEIGHT.length ? TF_WEIGHT[tf] : 1 + Math.log(tf));

const SPACE = 32;
/** Two independent 32-bit hashes of a token (FNV-1a and a Murmur-style mix): together they tell ~10^5 terms apart with no collision to speak of. */
const HASH_SEED_A = 0x811c9dc5;
const HASH_SEED_B = 0x9747b28c;
const mixA = (hash: number, code: number): number => Math.imul(hash ^ code, 0x01000193);
const mixB = (hash: number, code: number): number => {
  const mixed = Math.imul(hash ^ code, 0x5bd1e995);
  return mixed ^ (mixed >>> 15);
};

/**
 * Term ids by hash, in typed arrays. The corpus is millions of tokens; splitting them into strings
 * and looking each up in a Map cost most of the stage's time (and its garbage), so tokens are
 * hashed where they lie in the `tokens` string.
 */
class TermTable {
  private hashA = new Int32Array(1 << 15);
  private hashB = new Int32Array(1 << 15);
  /** id + 1; 0 marks an empty slot. */
  private slots = new Int32Array(1 << 15);
  size = 0;

  /** The id of a token given its two hashes; with `create`, a new id when it is unknown (else -1). */
  id(a: number, b: number, create: boolean): number {
    let mask = this.slots.length - 1;
    let slot = a & mask;
    for (;;) {
      const stored = this.slots[slot];
      if (stored === 0) break;
      if (this.hashA[slot] === a && this.hashB[slot] === b) return stored - 1;
      slot = (slot + 1) & mask;
    }
    if (!create) return -1;
    if ((this.size + 1) * 2 > this.slots.length) {
      this.grow();
      mask = this.slots.length - 1;
      slot = a & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    }
    this.hashA[slot] = a;
    this.hashB[slot] = b;
    this.slots[slot] = this.size + 1;
    this.size += 1;
    return this.size - 1;
  }

  idOf(token: string, create = false): number {
    let a = HASH_SEED_A;
    let b = HASH_SEED_B;
    for (let i = 0; i < token.length; i += 1) {
      const code = token.charCodeAt(i);
      a = mixA(a, code);
      b = mixB(b, code);
    }
    return this.id(a, b, create);
  }

  private grow(): void {
    const { hashA, hashB, slots } = this;
    this.hashA = new Int32Array(slots.length * 2);
    this.hashB = new Int32Array(slots.length * 2);
    this.slots = new Int32Array(slots.length * 2);
    const mask = this.slots.length - 1;
    for (let old = 0; old < slots.length; old += 1) {
      if (slots[old] === 0) continue;
      let slot = hashA[old] & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.hashA[slot] = hashA[old];
      this.hashB[slot] = hashB[old];
      this.slots[slot] = slots[old];
    }
  }
}

/**
 * TF-IDF over a corpus of token strings: sublinear term frequency (1 + ln tf) times smoothed IDF,
 * ln((N + 1) / (df + 1)) + 1, with document frequencies from the whole texts. Titles get their
 * own rows, weighted with the same IDF, so title similarity is on the same scale.
 */
class TermSpace {
  private readonly table = new TermTable();
  private readonly df = new NumberColumn(new Int32Array(1 << 14), (size) => new Int32Array(size));
  private counts = new Int32Array(1 << 14);
  private readonly touched: number[] = [];
  private idf = new Float64Array(0);
  readonly full = new SparseRows();
  readonly title = new SparseRows();

  private count(id: number): void {
    if (id === this.df.length) {
      this.df.push(0);
      if (id >= this.counts.length) {
        const grown = new Int32Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
    }
    if (this.counts[id] === 0) this.touched.push(id);
    this.counts[id] += 1;
  }

  private endRow(rows: SparseRows, countsDf: boolean): void {
    for (const id of this.touched) {
      rows.terms.push(id);
      rows.weights.push(tfWeight(this.counts[id]));
      if (countsDf) this.df.values[id] += 1;
      this.counts[id] = 0;
    }
    this.touched.length = 0;
    rows.starts.push(rows.terms.length);
  }

  /** Adds a document: its space-separated tokens (the first MAX_DOC_TOKENS count) and its title's tokens. Returns its index. */
  add(tokens: string, titleTokens: string[]): number {
    let a = HASH_SEED_A;
    let b = HASH_SEED_B;
    let length = 0;
    let seen = 0;
    for (let i = 0; i <= tokens.length && seen < MAX_DOC_TOKENS; i += 1) {
      const code = i < tokens.length ? tokens.charCodeAt(i) : SPACE;
      if (code !== SPACE) {
        a = mixA(a, code);
        b = mixB(b, code);
        length += 1;
        continue;
      }
      if (length > 0) {
        this.count(this.table.id(a, b, true));
        seen += 1;
      }
      a = HASH_SEED_A;
      b = HASH_SEED_B;
      length = 0;
    }
    this.endRow(this.full, true);
    for (const token of titleTokens) this.count(this.table.idOf(token, true));
    this.endRow(this.title, false);
    return this.full.size - 1;
  }

  get size(): number {
    return this.full.size;
  }

  /** Fixes the IDF and the document norms once every document is in. */
  seal(): void {
    const n = this.size;
    this.idf = new Float64Array(this.df.length);
    for (let id = 0; id < this.df.length; id += 1) this.idf[id] = Math.log((n + 1) / (this.df.values[id] + 1)) + 1;
    for (const rows of [this.full, this.title]) {
      rows.norms = new Float64Array(n);
      const { starts, terms, weights } = { starts: rows.starts.values, terms: rows.terms.values, weights: rows.weights.values };
      for (let doc = 0; doc < n; doc += 1) {
        let sum = 0;
        for (let i = starts[doc]; i < starts[doc + 1]; i += 1) {
          const weight = weights[i] * this.idf[terms[i]];
          sum += weight * weight;
        }
        rows.norms[doc] = Math.sqrt(sum);
      }
    }
  }

  private idfOf(id: number): number {
    // A word no document has is as rare as a word can be.
    return id === -1 ? Math.log(this.size + 1) + 1 : this.idf[id];
  }

  /** A query's weights by term (with each term's id, -1 when no document has it). */
  vector(tokens: string[]): SparseVector {
    const counts = new Map<string, number>();
    for (const token of tokens.slice(0, MAX_DOC_TOKENS)) if (token !== '') counts.set(token, (counts.get(token) ?? 0) + 1);
    const terms = new Map<string, { id: number; weight: number }>();
    let sum = 0;
    for (const [token, tf] of counts) {
      const id = this.table.idOf(token);
      const weight = tfWeight(tf) * this.idfOf(id);
      terms.set(token, { id, weight });
      sum += weight * weight;
    }
    return { terms, norm: Math.sqrt(sum) };
  }

  /** Cosine of every document's row with `query` (0 for rows sharing no term). */
  cosines(rows: SparseRows, query: SparseVector): Float64Array {
    const scores = new Float64Array(this.size);
    if (query.norm === 0) return scores;
    const queryWeights = new Float64Array(this.df.length);
    let any = false;
    for (const { id, weight } of query.terms.values()) {
      if (id === -1) continue;
      queryWeights[id] = weight * this.idf[id];
      any = true;
    }
    if (!any) return scores;
    const { starts, terms, weights } = { starts: rows.starts.values, terms: rows.terms.values, weights: rows.weights.values };
    for (let doc = 0; doc < this.size; doc += 1) {
      let dot = 0;
      for (let i = starts[doc]; i < starts[doc + 1]; i += 1) dot += queryWeights[terms[i]] * weights[i];
      if (dot > 0) scores[doc] = dot / (query.norm * rows.norms[doc]);
    }
    return scores;
  }

  /** The terms a document shares with `query`, strongest contribution first. */
  sharedTerms(doc: number, query: SparseVector): string[] {
    const byId = new Map<number, { term: string; weight: number }>();
    for (const [term, { id, weight }] of query.terms) if (id !== -1) byId.set(id, { term, weight });
    const shared: Array<{ term: string; weight: number }> = [];
    const { starts, terms, weights } = { starts: this.full.starts.values, terms: this.full.terms.values, weights: this.full.weights.values };
    for (let i = starts[doc]; i < starts[doc + 1]; i += 1) {
      const match = byId.get(terms[i]);
      if (match) shared.push({ term: match.term, weight: match.weight * weights[i] * this.idf[terms[i]] });
    }
    return shared.sort((a, b) => b.weight - a.weight).map((entry) => entry.term);
  }
}

interface SparseVector {
  terms: Map<string, { id: number; weight: number }>;
  norm: number;
}

/** A past change's link to the located files: how much it is worth and through which file. */
interface FileLink {
  weight: number;
  path: string;
  /** `own`: the item itself changed the file; `fix`: a PR or commit that fixed the issue did. */
  via: 'own' | 'fix';
}

interface Evidence {
  full: number;
  title: number;
  error?: string;
  file?: FileLink;
}

function textEvidence(evidence: Evidence): number {
  return 1 - (1 - evidence.full) * (1 - TITLE_EVIDENCE * evidence.title * evidence.title) * (evidence.error ? 1 - ERROR_EVIDENCE : 1);
}

/** The calibrated 0–1 similarity: noisy-OR of the text evidence and the file link. */
function combine(evidence: Evidence): number {
  const file = evidence.file ? MAX_FILE_EVIDENCE * evidence.file.weight : 0;
  return 1 - (1 - textEvidence(evidence)) * (1 - file);
}

/** Quotes `value` as a LIKE pattern that matches it as a plain substring. */
function likeSubstring(value: string): string {
  return sqlString(`%${value.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
}

/** `files` (newline-separated paths) contains one of `paths`: a cheap SQL pre-filter; callers check exactly. */
function touchesPredicate(paths: string[]): string {
  return `(${paths.map((path) => `files LIKE ${likeSubstring(path)}`).join(' OR ')})`;
}

type TouchingRow<Row> = Row & { located: string[]; fileCount: number };

/**
 * History rows that changed any of `paths`, each with the located paths it changed.
 * A file renamed in the history is followed to its older names, so its authors before the rename
 * still count.
 */
async function historyTouching<Row extends Pick<HistoryRow, 'sha' | 'files' | 'renames'>>(
  store: RepoStore,
  paths: string[],
  columns: Array<keyof HistoryRow>,
): Promise<Array<TouchingRow<Row>>> {
  const locatedOf = new Map<string, string>(paths.map((path) => [path, path]));
  const found = new Map<string, TouchingRow<Row>>();
  let pending = [...paths];
  const wanted = [...new Set<keyof HistoryRow>([...columns, 'sha', 'files', 'renames'])];
  for (let round = 0; round < 5 && pending.length > 0; round += 1) {
    const rows = await store.readColumns<Row>('history', { where: touchesPredicate(pending), columns: wanted });
    pending = [];
    for (const row of rows) {
      const changed = row.files ? row.files.split('\n') : [];
      const located = [...new Set(changed.flatMap((file) => locatedOf.get(file) ?? []))];
      if (located.length === 0) continue;
      const existing = found.get(row.sha);
      if (existing) {
        existing.located = [...new Set([...existing.located, ...located])];
      } else {
        found.set(row.sha, Object.assign(row, { located, fileCount: changed.length }));
      }
      for (const { from, to } of parseJson<Array<{ from: string; to: string }>>(row.renames, [])) {
        const target = locatedOf.get(to);
        if (target !== undefined && !locatedOf.has(from)) {
          locatedOf.set(from, target);
          pending.push(from);
        }
      }
    }
  }
  return [...found.values()];
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A commit's subject without GitHub's squash-merge suffix: `Cap stacked coupons (#41)` → `Cap stacked coupons`. */
function commitTitle(message: string): string {
  return (message.split('\n', 1)[0] ?? '').replace(/\s*\(#\d+\)\s*$/, '').trim();
}

/**
 * How much a change that touched `located` (of `fileCount` files) says about this issue: the best
 * located file it touched, by rank, discounted when the change sprawls over many files and when
 * the file is one that most of the history touches anyway.
 */
function fileLink(located: string[], fileCount: number, rankOf: Map<string, number>, commonness: Map<string, number>, via: FileLink['via']): FileLink | undefined {
  let best: FileLink | undefined;
  const spread = fileCount <= 10 ? 1 : Math.sqrt(10 / fileCount);
  for (const path of located) {
    const rank = rankOf.get(path);
    if (rank === undefined) continue;
    const weight = FILE_RANK_WEIGHTS[rank] * spread * (commonness.get(path) ?? 1);
    if (!best || weight > best.weight) best = { weight, path, via };
  }
  return best;
}

function strongerLink(a: FileLink | undefined, b: FileLink | undefined): FileLink | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.weight > a.weight ? b : a;
}

/** Maps a token back to a word as the issue wrote it (`bulk_create`, `utcOffset`), for explanations people can read. */
function surfaceWords(text: string): Map<string, string> {
  const words = new Map<string, string>();
  for (const match of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const word = match[0];
    for (const part of [word, ...word.split(/_+|(?<=[a-z0-9])(?=[A-Z])/)]) {
      const [token] = tokenize(part);
      if (token !== undefined && !words.has(token)) words.set(token, part);
    }
  }
  return words;
}

/** Up to three shared words, skipping the parts of an identifier already shown (`utcOffset`, not also `utc`, `offset`). */
function sharedWords(terms: string[], words: Map<string, string>): string[] {
  const shown: string[] = [];
  for (const term of terms) {
    if (!/[a-z]/i.test(term)) continue;
    const word = words.get(term) ?? term;
    // File extensions and other scraps ("py", "js") explain nothing to a reader.
    if (word.length < 3) continue;
    if (shown.some((other) => other.toLowerCase().includes(word.toLowerCase()))) continue;
    shown.push(word);
    if (shown.length === 3) break;
  }
  return shown;
}

interface Candidate {
  item: Omit<RelatedItem, 'similarity' | 'duplicate' | 'why'>;
  evidence: Evidence;
  similarity: number;
  /** The document in the term space (for the words it shares with the issue). */
  doc: number;
  /** Only issues can be duplicates of an issue; pull requests and commits are fixes. */
  canDuplicate: boolean;
}

function explain(candidate: Candidate, shared: string[], words: Map<string, string>): string {
  const { evidence } = candidate;
  const reasons: string[] = [];
  if (evidence.error) reasons.push(`same error message "${shorten(evidence.error, 60)}"`);
  if (evidence.title >= 0.5) reasons.push('similar title');
  if (evidence.file) reasons.push(evidence.file.via === 'own' ? `touched ${evidence.file.path}` : `its fix touched ${evidence.file.path}`);
  const shown = reasons.length < 2 ? sharedWords(shared, words) : [];
  if (shown.length > 0) reasons.push(`shares words: ${shown.join(', ')}`);
  return reasons.join('; ');
}

function urlFor(htmlBase: string | undefined, kind: RelatedItem['kind'], ref: string | number, fallback?: string): string | undefined {
  if (htmlBase) {
    const base = htmlBase.replace(/\/+$/, '');
    return kind === 'issue' ? `${base}/issues/${ref}` : kind === 'pull' ? `${base}/pull/${ref}` : `${base}/commit/${ref}`;
  }
  return fallback || undefined;
}

function itemState(state: string): RelatedItem['state'] {
  return state === 'open' || state === 'closed' || state === 'merged' ? state : undefined;
}

function pullItem(record: IssueRecord, htmlBase: string | undefined): Candidate['item'] {
  return { kind: 'pull', number: record.number, title: record.title, state: itemState(record.state), url: urlFor(htmlBase, 'pull', record.number, record.url) };
}

type IssueRecord = Pick<IssueRow, 'number' | 'kind' | 'title' | 'state' | 'links' | 'url' | 'tokens'>;
type HistoryText = Pick<HistoryRow, 'sha' | 'tokens'>;
type RelatedCommit = Pick<HistoryRow, 'sha' | 'message' | 'files' | 'prs' | 'issues' | 'renames'>;

/** Title tokens as the `tokens` column counts words: no bare numbers. */
function titleTokens(title: string): string[] {
  return tokenize(title).filter((token) => !/^v?[0-9]+$/.test(token));
}

/** Whether `tokens` (space-separated) holds `phrase` as whole tokens, without copying either. */
function containsPhrase(tokens: string, phrase: string): boolean {
  for (let at = tokens.indexOf(phrase); at !== -1; at = tokens.indexOf(phrase, at + 1)) {
    const end = at + phrase.length;
    if ((at === 0 || tokens[at - 1] === ' ') && (end === tokens.length || tokens[end] === ' ')) return true;
  }
  return false;
}

/** Earlier issues, pull requests and commits that look like this issue, best first. */
export async function findRelated(options: RelatedOptions): Promise<RelatedItem[]> {
  const { store, facts, issueNumber } = options;
  const threshold = options.duplicateThreshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  const limit = options.limit ?? DEFAULT_LIMIT;
  const located = [...new Set(options.files.map((file) => file.path))].slice(0, FILE_RANK_WEIGHTS.length);
  const rankOf = new Map(located.map((path, rank) => [path, rank]));

  const [issues, historyTexts, commits, touchingPulls] = await Promise.all([
    store.readColumns<IssueRecord>('issues', { columns: ['number', 'kind', 'title', 'state', 'links', 'url', 'tokens'] }),
    store.readColumns<HistoryText>('history', { columns: ['sha', 'tokens'] }),
    located.length > 0 ? historyTouching<RelatedCommit>(store, located, ['sha', 'message', 'files', 'prs', 'issues', 'renames']) : Promise.resolve([]),
    located.length > 0
      ? store.readColumns<Pick<IssueRow, 'number' | 'kind' | 'files' | 'links'>>('issues', {
          where: `kind = 'pull' AND ${touchesPredicate(located)}`,
          columns: ['number', 'kind', 'files', 'links'],
        })
      : Promise.resolve([]),
  ]);

  // One term space over every issue, PR and commit message, so issue and commit similarities are on one scale.
  const commitTitles = new Map(commits.map((commit) => [commit.sha, commitTitle(commit.message)]));
  const space = new TermSpace();
  for (const issue of issues) space.add(issue.tokens, titleTokens(issue.title));
  const commitDoc = new Map<string, number>();
  for (const row of historyTexts) {
    const title = commitTitles.get(row.sha);
    commitDoc.set(row.sha, space.add(row.tokens, title === undefined ? [] : titleTokens(title)));
  }
  space.seal();

  const body = facts.cleanBody.slice(0, MAX_BODY_CHARS);
  const query = space.vector(issueTokens(facts.title, body).split(' '));
  const fullCosines = space.cosines(space.full, query);
  const titleCosines = space.cosines(space.title, space.vector(titleTokens(facts.title)));
  const errors = facts.errorMessages
    .map((message) => ({ message, tokens: tokenize(message).join(' ') }))
    .filter((error) => error.tokens.split(' ').length >= MIN_ERROR_TOKENS && (error.message.match(/\b[A-Za-z]{2,}\b/g) ?? []).length >= MIN_ERROR_WORDS);
  const sameError = (tokens: string): string | undefined => errors.find((error) => containsPhrase(tokens, error.tokens))?.message;

  // A file everyone touches says little about a change: 1 for a file few commits changed, ~0.4 for one a thousand did.
  const touches = new Map<string, number>();
  for (const commit of commits) for (const path of commit.located) touches.set(path, (touches.get(path) ?? 0) + 1);
  const commonness = new Map([...touches].map(([path, count]) => [path, 1 / (1 + Math.log10(1 + count / 20))]));

  // What each PR and issue number is known to have changed, from the history and from PR records.
  const pullLinks = new Map<number, FileLink>();
  const issueLinks = new Map<number, FileLink>();
  for (const commit of commits) {
    const link = fileLink(commit.located, commit.fileCount, rankOf, commonness, 'own');
    if (!link) continue;
    for (const pr of parseJson<number[]>(commit.prs, [])) pullLinks.set(pr, strongerLink(pullLinks.get(pr), link)!);
    for (const issue of parseJson<number[]>(commit.issues, [])) issueLinks.set(issue, strongerLink(issueLinks.get(issue), { ...link, via: 'fix' })!);
  }
  for (const pull of touchingPulls) {
    const changed = pull.files.split('\n');
    const link = fileLink(changed.filter((path) => rankOf.has(path)), changed.length, rankOf, commonness, 'own');
    if (!link) continue;
    pullLinks.set(pull.number, strongerLink(pullLinks.get(pull.number), link)!);
    for (const issue of parseJson<number[]>(pull.links, [])) issueLinks.set(issue, strongerLink(issueLinks.get(issue), { ...link, via: 'fix' })!);
  }

  /**
   * The evidence for one document, or nothing when it cannot reach the bar. The error check reads
   * the whole token string, so it runs only where the other evidence leaves room to pass.
   */
  const assess = (doc: number, file: FileLink | undefined, tokens: () => string): Evidence | undefined => {
    const evidence: Evidence = { full: fullCosines[doc], title: titleCosines[doc], file };
    const best = { ...evidence, error: errors.length > 0 ? errors[0].message : undefined };
    // Similarities are shown (and compared) rounded to two decimals.
    if (textEvidence(best) < MIN_TEXT_EVIDENCE || combine(best) < MIN_SIMILARITY - 0.005) return undefined;
    const error = errors.length > 0 ? sameError(tokens()) : undefined;
    if (error) evidence.error = error;
    return textEvidence(evidence) < MIN_TEXT_EVIDENCE ? undefined : evidence;
  };

  const candidates = new Map<string, Candidate>();
  const consider = (key: string, candidate: Candidate): void => {
    const existing = candidates.get(key);
    if (!existing || candidate.similarity > existing.similarity) candidates.set(key, candidate);
  };
  const pullsInTable = new Map<number, IssueRecord>();

  issues.forEach((issue, doc) => {
    const kind = issue.kind === 'pull' ? 'pull' : 'issue';
    if (kind === 'pull') pullsInTable.set(issue.number, issue);
    if (issue.number === issueNumber) return;
    let file = kind === 'pull' ? pullLinks.get(issue.number) : issueLinks.get(issue.number);
    if (kind === 'issue' && issue.links !== '[]') {
      for (const pr of parseJson<number[]>(issue.links, [])) {
        const link = pullLinks.get(pr);
        file = strongerLink(file, link && { ...link, via: 'fix' });
      }
    }
    const evidence = assess(doc, file, () => issue.tokens);
    if (!evidence) return;
    consider(`${kind}:${issue.number}`, {
      item: kind === 'pull' ? pullItem(issue, options.htmlBase) : { kind, number: issue.number, title: issue.title, state: itemState(issue.state), url: urlFor(options.htmlBase, kind, issue.number, issue.url) },
      evidence,
      similarity: combine(evidence),
      doc,
      canDuplicate: kind === 'issue',
    });
  });

  for (const commit of commits) {
    const doc = commitDoc.get(commit.sha);
    if (doc === undefined) continue;
    const evidence = assess(doc, fileLink(commit.located, commit.fileCount, rankOf, commonness, 'own'), () => tokenize(commit.message).join(' '));
    if (!evidence) continue;
    const title = commitTitles.get(commit.sha) ?? '';
    const [pr] = parseJson<number[]>(commit.prs, []);
    if (pr !== undefined && pr === issueNumber) continue;
    // A PR the issues table knows is shown as that record (its state, title, link), scored by its best form.
    const recorded = pr === undefined ? undefined : pullsInTable.get(pr);
    const item: Candidate['item'] =
      pr === undefined
        ? { kind: 'commit', sha: commit.sha, title, url: urlFor(options.htmlBase, 'commit', commit.sha) }
        : recorded
          ? pullItem(recorded, options.htmlBase)
          : { kind: 'pull', number: pr, sha: commit.sha, title, state: 'merged', url: urlFor(options.htmlBase, 'pull', pr) };
    consider(pr === undefined ? `commit:${commit.sha}` : `pull:${pr}`, { item, evidence, similarity: combine(evidence), doc, canDuplicate: false });
  }

  const words = surfaceWords(`${facts.title}\n${body}`);
  return [...candidates.values()]
    .map((candidate) => ({ candidate, similarity: Math.round(candidate.similarity * 100) / 100 }))
    .filter(({ similarity }) => similarity >= MIN_SIMILARITY)
    .sort((a, b) => b.similarity - a.similarity || kindOrder(a.candidate.item.kind) - kindOrder(b.candidate.item.kind) || (b.candidate.item.number ?? 0) - (a.candidate.item.number ?? 0))
    .slice(0, limit)
    .map(({ candidate, similarity }) => ({
      ...candidate.item,
      similarity,
      duplicate: candidate.canDuplicate && similarity >= threshold,
      why: explain(candidate, space.sharedTerms(candidate.doc, query), words),
    }));
}

function kindOrder(kind: RelatedItem['kind']): number {
  return kind === 'issue' ? 0 : kind === 'pull' ? 1 : 2;
}

// ---------------------------------------------------------------------------------------------
// Experts

const BOT_NAME = /\[bot\]$|(?:^|[\s_-])bot$|^(?:dependabot|renovate|greenkeeper|snyk|github[\s-]actions|pre-commit-ci|mergify|imgbot|allcontributors|all-contributors|codecov|deepsource|semantic-release|web-flow|github)\b/i;
const BOT_EMAIL = /\[bot\]@|^(?:noreply|no-reply|action|actions|bot|support)@github\.com$|@dependabot\.com$|@renovateapp\.com$|@greenkeeper\.io$|^(?:bot|ci|noreply|no-reply)@|^renovate@/i;

/** Automated authors: dependency bots, CI, GitHub's own web-flow. */
export function isBotAuthor(name: string, email: string): boolean {
  return BOT_NAME.test(name.trim()) || BOT_EMAIL.test(email.trim());
}

/** The GitHub login behind a noreply address: `12345+ada@users.noreply.github.com` → `ada`. */
export function loginFromEmail(email: string): string | undefined {
  const match = /^(?:\d+\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)@users\.noreply\.[^@]+$/i.exec(email.trim());
  return match?.[1];
}

type AuthorCommit = TouchingRow<Pick<HistoryRow, 'sha' | 'author' | 'email' | 'date' | 'files' | 'renames'>>;

/** Union-find over the ways one person appears (email, name, login). */
class Identities {
  private readonly parent = new Map<string, string>();

  find(key: string): string {
    let root = key;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    this.parent.set(key, root);
    return root;
  }

  union(keys: string[]): void {
    const [first, ...rest] = keys.map((key) => this.find(key));
    for (const key of rest) if (key !== first) this.parent.set(key, first);
  }
}

function countExperts(commits: AuthorCommit[], rankOf: Map<string, number>): Expert[] {
  const keysOf = (commit: AuthorCommit): string[] => {
    const keys: string[] = [];
    const email = commit.email.trim().toLowerCase();
    const name = commit.author.trim().toLowerCase().replace(/\s+/g, ' ');
    const login = loginFromEmail(email)?.toLowerCase();
    if (email) keys.push(`email:${email}`);
    if (name) keys.push(`name:${name}`);
    if (login) keys.push(`login:${login}`);
    return keys;
  };
  const identities = new Identities();
  const human = commits.filter((commit) => !isBotAuthor(commit.author, commit.email) && keysOf(commit).length > 0);
  for (const commit of human) identities.union(keysOf(commit));

  interface Person {
    shas: Set<string>;
    last: number;
    names: Map<string, { count: number; last: number }>;
    logins: Map<string, number>;
    files: Map<string, number>;
  }
  const people = new Map<string, Person>();
  for (const commit of human) {
    const id = identities.find(keysOf(commit)[0]);
    let person = people.get(id);
    if (!person) {
      person = { shas: new Set(), last: 0, names: new Map(), logins: new Map(), files: new Map() };
      people.set(id, person);
    }
    if (person.shas.has(commit.sha)) continue;
    person.shas.add(commit.sha);
    person.last = Math.max(person.last, commit.date);
    const name = commit.author.trim() || commit.email.trim();
    const seen = person.names.get(name) ?? { count: 0, last: 0 };
    person.names.set(name, { count: seen.count + 1, last: Math.max(seen.last, commit.date) });
    const login = loginFromEmail(commit.email);
    if (login) person.logins.set(login, (person.logins.get(login) ?? 0) + 1);
    for (const path of commit.located) person.files.set(path, (person.files.get(path) ?? 0) + 1);
  }

  const mostUsed = <T>(entries: Iterable<[string, T]>, score: (value: T) => [number, number]): string | undefined => {
    let best: { key: string; score: [number, number] } | undefined;
    for (const [key, value] of entries) {
      const s = score(value);
      if (!best || s[0] > best.score[0] || (s[0] === best.score[0] && s[1] > best.score[1])) best = { key, score: s };
    }
    return best?.key;
  };

  return [...people.values()]
    .map((person): Expert => {
      const expert: Expert = {
        name: mostUsed(person.names, (value) => [value.count, value.last])!,
        commits: person.shas.size,
        lastTouched: new Date(person.last * 1000).toISOString().slice(0, 10),
        files: [...person.files].sort((a, b) => b[1] - a[1] || (rankOf.get(a[0]) ?? 0) - (rankOf.get(b[0]) ?? 0)).map(([path]) => path),
      };
      const login = mostUsed(person.logins, (count) => [count, 0]);
      if (login) expert.login = login;
      return expert;
    })
    .sort((a, b) => b.commits - a.commits || b.lastTouched.localeCompare(a.lastTouched) || a.name.localeCompare(b.name));
}

/**
 * The people who know the located files: authors of commits to the top files within `windowDays`
 * of the newest commit in the history (not of today, so an old mirror still has experts and
 * results do not depend on the clock), or of all time when nobody committed in that window.
 */
export async function findExperts(options: ExpertOptions): Promise<Expert[]> {
  const topFiles = options.topFiles ?? 3;
  const limit = options.limit ?? 3;
  const windowDays = options.windowDays ?? 365;
  const paths = [...new Set(options.files.map((file) => file.path))].slice(0, topFiles);
  if (paths.length === 0 || limit <= 0) return [];
  const rankOf = new Map(paths.map((path, rank) => [path, rank]));
  const [commits, dates] = await Promise.all([
    historyTouching<AuthorCommit>(options.store, paths, ['sha', 'author', 'email', 'date', 'files', 'renames']),
    options.store.readColumns<Pick<HistoryRow, 'date'>>('history', { columns: ['date'] }),
  ]);
  if (commits.length === 0) return [];
  let newest = 0;
  for (const row of dates) if (row.date > newest) newest = row.date;
  const since = newest - windowDays * 86_400;
  const recent = countExperts(commits.filter((commit) => commit.date >= since), rankOf);
  return (recent.length > 0 ? recent : countExperts(commits, rankOf)).slice(0, limit);
}
