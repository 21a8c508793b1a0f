import type { Embedder } from '../../ai/embedder.ts';
import { TokenBudget, type ChatModel } from '../../ai/llm.ts';
import { log as rootLog, type Logger } from '../../log.ts';
import { rerankFiles, type FileSummary } from './rerank.ts';
import { rewriteIssue, type IssueRewrite } from './rewrite.ts';
import { compareEdges } from '../../index/history.ts';
import { ChunkLineIndex } from '../../index/ids.ts';
import { tokenize } from '../../index/tokenize.ts';
import { Bm25Index } from '../../search/bm25.ts';
import { sqlString, type RepoStore } from '../../store/repo-store.ts';
import type { IssueFacts, StackFrame } from './understand.ts';

/**
 * Stage 2: rank the files an issue is about. Several independent signals each rank files;
 * reciprocal-rank fusion combines them, so one strong signal (a stack frame, a named symbol)
 * can win without the weak ones drowning it, and agreement between signals adds up.
 */

export type SignalName = 'mention' | 'pathWords' | 'message' | 'rewrite' | 'frame' | 'fileText' | 'chunkText' | 'questions' | 'history' | 'vector';

export type SignalWeights = Record<SignalName, number>;

/** Tuned on the dev set (see README "Accuracy"): mentions and past changes lead, words and vectors support. */
export const DEFAULT_WEIGHTS: SignalWeights = {
  mention: 2.0,
  pathWords: 0.8,
  message: 1.5,
  rewrite: 1.0,
  frame: 1.4,
  fileText: 1.0,
  chunkText: 0.55,
  questions: 0.35,
  history: 1.2,
  vector: 0.25,
};

/** RRF constant: larger flattens the difference between rank 1 and rank 10. */
const RRF_K = 20;
const TEST_PENALTY = 0.5;
/** Docs and built bundles share an issue's words but are rarely what must change. */
const DOC_PENALTY = 0.35;
const BUNDLE_PENALTY = 0.35;
/** Files that define no symbol (config, data, issue templates, `CHANGES.old`) share words with issues more than they need fixing. */
const NON_CODE_PENALTY = 0.5;
const NEIGHBOUR_DISCOUNT = 0.25;
/** A test whose subject (`test_junitxml.py` → `junitxml.py`) is also a candidate is demoted once more. */
const TESTED_SUBJECT_PENALTY = 0.5;

export interface SymbolEvidence {
  name: string;
  kind: string;
  startLine: number;
  endLine: number;
}

export interface FileEvidence {
  /** Best symbol of the file for this issue. */
  symbol?: SymbolEvidence;
  question?: string;
  commit?: { sha: string; subject: string; prs: number[] };
  frame?: StackFrame;
  mention?: string;
  /** Reached through an import or co-change edge from this file. */
  neighbourOf?: string;
  /** The file's rank in each signal that found it (1 = best). */
  ranks: Partial<Record<SignalName, number>>;
}

export interface LocatedFile {
  path: string;
  score: number;
  evidence: FileEvidence;
}

export interface LocateResult {
  files: LocatedFile[];
  confidence: 'high' | 'medium' | 'low';
  /** 0–1, from the score gap at the top and how many signals agree on the first file. */
  confidenceScore: number;
  /** What the model did, when one is configured. */
  model?: { rewrite: boolean; rerank: boolean; tokens: number };
  /** Each signal's own ranking (top 50 paths with scores), when `debugSignals` is set: for tuning the fusion offline. */
  signals?: Partial<Record<SignalName, Array<[string, number]>>>;
  /** With `debugSignals`: the demotion factor of every fused file that has one (tests, docs, bundles, non-code). */
  demotions?: Record<string, number>;
}

export interface LocateOptions {
  store: RepoStore;
  embedder: Embedder;
  facts: IssueFacts;
  weights?: Partial<SignalWeights>;
  limit?: number;
  debugSignals?: boolean;
  /** With a chat model: the fast one rewrites the issue into queries, the strong one reranks the top files. */
  chat?: ChatModel;
  budget?: TokenBudget;
  logger?: Logger;
}

export interface Candidate {
  score: number;
  evidence?: Partial<FileEvidence>;
}

export type Ranking = Map<string, Candidate>;

function addCandidate(ranking: Ranking, path: string, score: number, evidence?: Partial<FileEvidence>): void {
  const existing = ranking.get(path);
  if (!existing || existing.score < score) ranking.set(path, { score, evidence: evidence ?? existing?.evidence });
  else if (existing && !existing.evidence && evidence) existing.evidence = evidence;
}

/** The text we search with: the title counts twice (it is the densest summary of the issue). */
export function queryTokens(facts: IssueFacts): string[] {
  const title = tokenize(facts.title);
  const body = tokenize(facts.cleanBody).slice(0, 400);
  const identifiers = facts.codeIdentifiers.flatMap((id) => tokenize(id));
  return [...title, ...title, ...identifiers, ...body];
}

/** Repository files and the symbols they define, read once per index version. */
export interface RepoCatalog {
  paths: string[];
  pathSet: Set<string>;
  /** Lowercased symbol name (last part and qualified) → the defining chunks (one per file). */
  definitions: Map<string, ChunkHit[]>;
  /** Lowercased folder name or file stem → the files it names (`customparseformat` → its plugin's files). */
  components: Map<string, string[]>;
  /** BM25 over whole files (their `tokens` column). */
  fileText: Bm25Index;
  /** Files that define at least one symbol: code, as opposed to config, data and prose. */
  definers: Set<string>;
  /** Where every chunk is (from the files' `chunk_lines`). */
  lines: ChunkLineIndex;
}

/** A chunk row as search results give it (where it is, its file's row says). */
type ChunkHit = { id: string; path: string; name: string; kind: string };
const CHUNK_HIT_COLUMNS = ['id', 'path', 'name', 'kind'];

function symbolOf(chunk: ChunkHit, lines: ChunkLineIndex): SymbolEvidence {
  const at = lines.get(chunk.path, chunk.id);
  return { name: chunk.name, kind: chunk.kind, startLine: at?.startLine ?? 0, endLine: at?.endLine ?? 0 };
}

/** The catalog of a repository's files (path, file-level tokens, where their chunks are) and symbol chunks. */
export function buildCatalog(files: Array<{ path: string; tokens: string; chunk_lines: string }>, chunks: ChunkHit[]): RepoCatalog {
  const lines = new ChunkLineIndex();
  for (const file of files) lines.add(file.path, file.chunk_lines);
  const definitions = new Map<string, ChunkHit[]>();
  const define = (name: string, chunk: ChunkHit) => {
    const list = definitions.get(name) ?? [];
    if (!list.some((d) => d.path === chunk.path)) list.push(chunk);
    definitions.set(name, list);
  };
  for (const chunk of chunks) {
    const lower = chunk.name.toLowerCase();
    define(lower, chunk);
    const last = lower.split('.').pop()!;
    if (last !== lower) define(last, chunk);
  }
  const paths = files.map((f) => f.path).sort();
  const components = new Map<string, string[]>();
  for (const filePath of paths) {
    const parts = filePath.toLowerCase().split('/');
    const stem = parts[parts.length - 1].replace(/\.[^.]+$/, '').replace(/\.d$/, '');
    for (const name of new Set([...parts.slice(0, -1), stem])) {
      const list = components.get(name) ?? [];
      list.push(filePath);
      components.set(name, list);
    }
  }
  const fileText = new Bm25Index(
    files.map((f) => f.path),
    files.map((f) => (f.tokens ? f.tokens.split(' ') : [])),
  );
  return { paths, pathSet: new Set(paths), definitions, components, fileText, definers: new Set(chunks.map((chunk) => chunk.path)), lines };
}

const catalogs = new Map<string, RepoCatalog>();

async function loadCatalog(store: RepoStore): Promise<RepoCatalog> {
  const versions = await store.tableVersions();
  const key = `${store.uri}@${versions.files}/${versions.chunks}`;
  const cached = catalogs.get(key);
  if (cached) return cached;
  const files = await store.readRows<{ path: string; tokens: string; chunk_lines: string }>('files', { columns: ['path', 'tokens', 'chunk_lines'] });
  const chunks = await store.readRows<ChunkHit>('chunks', {
    columns: CHUNK_HIT_COLUMNS,
    where: "kind != 'window' AND kind != 'block'",
  });
  const catalog = buildCatalog(files, chunks);
  catalogs.clear(); // One repository at a time is plenty; keeps memory flat across an eval run.
  catalogs.set(key, catalog);
  return catalog;
}

/** Whole-file BM25 of the repository's index (cached per index version): also the eval's baseline. */
export async function fileTextIndex(store: RepoStore): Promise<Bm25Index> {
  return (await loadCatalog(store)).fileText;
}

/** Maps a path as written (absolute, from another machine, partial) to repository paths by suffix. */
function resolvePath(written: string, catalog: RepoCatalog): string[] {
  const clean = written.replace(/\\/g, '/').replace(/^\.?\//, '');
  if (catalog.pathSet.has(clean)) return [clean];
  const parts = clean.split('/');
  // Longest suffix of the written path that matches the end of repository paths.
  for (let start = 0; start < parts.length; start += 1) {
    const suffix = parts.slice(start).join('/');
    const matches = catalog.paths.filter((p) => p === suffix || p.endsWith(`/${suffix}`));
    if (matches.length > 0 && matches.length <= 3) return matches;
    if (matches.length > 3) return [];
  }
  return [];
}

function moduleToPaths(module: string, catalog: RepoCatalog): string[] {
  const parts = module.split('.');
  for (let end = parts.length; end >= 2; end -= 1) {
    const base = parts.slice(0, end).join('/');
    const found = [`${base}.py`, `${base}/__init__.py`, `${base}.js`, `${base}.ts`, `${base}/index.js`, `${base}/index.ts`]
      .flatMap((candidate) => resolvePath(candidate, catalog))
      .filter((p) => p.split('/').length >= base.split('/').length);
    if (found.length > 0) return [...new Set(found)];
  }
  return [];
}

export function mentionSignal(facts: IssueFacts, catalog: RepoCatalog): Ranking {
  const ranking: Ranking = new Map();
  for (const written of facts.paths) {
    for (const path of resolvePath(written, catalog)) addCandidate(ranking, path, 10, { mention: written });
  }
  // A module or two the issue's code imports (`dayjs/plugin/customParseFormat`) are what it is about;
  // an issue importing many is showing its setup.
  const written = facts.imports ?? []; // Absent from checkpoints saved before it existed.
  const imports = written.length <= MAX_TELLING_IMPORTS ? written : [];
  for (const spec of imports) {
    const base = spec.replace(/^(?:\.{1,2}\/)+/, '').replace(/\.[cm]?[jt]sx?$/, '');
    const found = new Set(['.js', '.ts', '.mjs', '.cjs', '.jsx', '.tsx', '/index.js', '/index.ts'].flatMap((ext) => resolvePath(`${base}${ext}`, catalog)));
    for (const path of found) addCandidate(ranking, path, 6 / imports.length, { mention: spec });
  }
  for (const module of facts.modules) {
    for (const path of moduleToPaths(module, catalog)) addCandidate(ranking, path, 6, { mention: module });
  }
  const codeIds = new Set(facts.codeIdentifiers);
  for (const identifier of facts.identifiers) {
    const lower = identifier.toLowerCase();
    if (BUILTIN_NAMES.has(lower)) continue;
    const last = lower.split('.').pop()!;
    // A word most files use (the project's own name, `format` in a date library) names no place.
    const word = tokenize(last)[0];
    if (word && catalog.fileText.documentFrequency(word) > COMMON_WORD_SHARE * catalog.fileText.size) continue;
    const qualified = catalog.definitions.get(lower);
    const defs = qualified ?? catalog.definitions.get(last);
    if (!defs || defs.length === 0) continue;
    // A name defined in one place is telling; one defined in fifty (`__init__`, `render`) is not.
    if (defs.length > 25) continue;
    const specificity = 1 / Math.log2(1 + defs.length);
    const strength = (codeIds.has(identifier) ? 4 : 2) * (qualified ? 1.5 : 1) * specificity;
    for (const def of defs) addCandidate(ranking, def.path, strength, { mention: identifier, symbol: symbolOf(def, catalog.lines) });
  }
  return ranking;
}

const MAX_TELLING_IMPORTS = 2;
/** A name whose word appears in more than this share of the files (the project's own name) is no mention. */
const COMMON_WORD_SHARE = 0.35;

/**
 * Builtins of the languages we index: an issue calls them (`list(…)`, `JSON.stringify`), it does
 * not ask to change them, and a project method of the same name (`WarningsRecorder.list`) is chance.
 */
const BUILTIN_NAMES = new Set(
  [
    // Python
    'abs all any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile complex delattr dict dir divmod enumerate eval exec filter float format frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len list locals map max memoryview min next object oct open ord pow print property range repr reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip',
    'self cls none true false append extend items keys values update get pop copy join split strip replace startswith endswith lower upper',
    // JavaScript
    'require console console.log console.error json.stringify json.parse object.keys object.assign array.isarray promise settimeout parseint parsefloat tostring valueof constructor prototype length push then catch',
  ].join(' ').split(' '),
);

/** Names too generic to point anywhere when an issue happens to use them. */
const GENERIC_COMPONENTS = new Set(
  'src lib lib64 test tests spec docs doc index main utils util core common base init __init__ types type build dist app api bin config scripts tools helpers internal pkg cmd example examples data static public module modules models views default defaults error errors plugin plugins locale locales'.split(' '),
);

/**
 * Words of the issue that name a folder or a file stem (`customParseFormat`, `timezone`, `ar-ly`):
 * plugin, locale and module layouts put the answer in the path itself.
 */
function pathWordSignal(facts: IssueFacts, catalog: RepoCatalog): Ranking {
  const ranking: Ranking = new Map();
  const words = (text: string) => text.toLowerCase().match(/[a-z][a-z0-9_-]{2,}/g) ?? [];
  const weigh = (word: string, strength: number) => {
    if (GENERIC_COMPONENTS.has(word)) return;
    const files = catalog.components.get(word);
    if (!files || files.length > 8) return;
    for (const path of files) addCandidate(ranking, path, strength / Math.log2(1 + files.length), { mention: word });
  };
  for (const word of new Set(words(facts.title))) weigh(word, 3);
  for (const identifier of facts.codeIdentifiers) weigh(identifier.toLowerCase(), 2.5);
  for (const word of new Set(words(facts.cleanBody))) weigh(word, 1);
  return ranking;
}

function frameSignal(facts: IssueFacts, catalog: RepoCatalog): Ranking {
  const ranking: Ranking = new Map();
  // The deepest frames (last in Python tracebacks) are nearest the failure. A file the trace passes
  // through several times gains half of its other frames' depths: the raising line is often in a
  // shared helper called from the real culprit.
  const depths = new Map<string, { deepest: number; total: number; frame: StackFrame }>();
  facts.frames.forEach((frame, index) => {
    for (const path of resolvePath(frame.file, catalog)) {
      const depth = frame.language === 'python' ? index + 1 : facts.frames.length - index;
      const seen = depths.get(path);
      if (!seen) depths.set(path, { deepest: depth, total: depth, frame });
      else {
        seen.total += depth;
        if (depth > seen.deepest) Object.assign(seen, { deepest: depth, frame });
      }
    }
  });
  for (const [path, { deepest, total, frame }] of depths) addCandidate(ranking, path, deepest + (total - deepest) / 2, { frame });
  return ranking;
}

/** Error messages the issue quotes, matched to the literal messages code raises, logs or warns. */
async function messageSignal(store: RepoStore, facts: IssueFacts): Promise<Ranking> {
  const ranking: Ranking = new Map();
  for (const message of facts.errorMessages.slice(0, 4)) {
    const text = message.replace(/^[\w.]*(?:Error|Exception|Warning):\s*/, '');
    const tokens = tokenize(text);
    if (tokens.length < 2) continue;
    const hits = await store.searchText<{ path: string; text: string }>('questions', tokens.join(' '), {
      limit: 5,
      columns: ['path', 'text'],
      where: "source = 'message'",
    });
    for (const hit of hits) {
      // How much of the quoted message the code's message covers: a shared word or two is not a match.
      const overlap = tokens.filter((token) => tokenize(hit.text).includes(token)).length / tokens.length;
      if (overlap >= 0.6) addCandidate(ranking, hit.path, hit._score * overlap, { question: hit.text });
    }
  }
  return ranking;
}

async function textSignals(store: RepoStore, catalog: RepoCatalog, facts: IssueFacts, embedder: Embedder): Promise<Record<'fileText' | 'chunkText' | 'questions' | 'history' | 'vector', Ranking>> {
  const query = queryTokens(facts).join(' ');
  const fileText: Ranking = new Map();
  for (const hit of catalog.fileText.search(queryTokens(facts), 100)) addCandidate(fileText, hit.id, hit.score);
  const chunkText: Ranking = new Map();
  const chunkRows = await store.searchText<ChunkHit>('chunks', query, { limit: 300, columns: CHUNK_HIT_COLUMNS });
  for (const row of chunkRows) addCandidate(chunkText, row.path, row._score, { symbol: symbolOf(row, catalog.lines) });
  const questions: Ranking = new Map();
  for (const row of await store.searchText<{ path: string; text: string }>('questions', query, { limit: 200, columns: ['path', 'text'] })) {
    addCandidate(questions, row.path, row._score, { question: row.text });
  }
  const history: Ranking = new Map();
  const commits = await store.searchText<{ sha: string; message: string; files: string; prs: string }>('history', query, {
    limit: 40,
    columns: ['sha', 'message', 'files', 'prs'],
  });
  const votes = new Map<string, { score: number; commit: FileEvidence['commit'] }>();
  for (const commit of commits) {
    const files = commit.files ? commit.files.split('\n') : [];
    if (files.length === 0 || files.length > 30) continue;
    const share = commit._score / Math.sqrt(files.length);
    for (const path of files) {
      const vote = votes.get(path) ?? { score: 0, commit: undefined };
      if (!vote.commit) vote.commit = { sha: commit.sha, subject: commit.message.split('\n')[0], prs: JSON.parse(commit.prs) as number[] };
      vote.score += share;
      votes.set(path, vote);
    }
  }
  for (const [path, vote] of votes) addCandidate(history, path, vote.score, { commit: vote.commit });
  const vector: Ranking = new Map();
  const [queryVector] = await embedder.embed([`${facts.title}\n${facts.cleanBody}`.slice(0, 4000)]);
  if (queryVector.some((x) => x !== 0)) {
    const rows = await store.searchVector<ChunkHit>('chunks', queryVector, { limit: 100, columns: CHUNK_HIT_COLUMNS });
    for (const row of rows) addCandidate(vector, row.path, 1 - row._distance, { symbol: symbolOf(row, catalog.lines) });
  }
  return { fileText, chunkText, questions, history, vector };
}

const TEST_PATH = /(?:^|\/)(?:tests?|__tests__|spec|specs|testing)(?:\/|$)|(?:^|\/)test_[^/]*$|_tests?\.[a-z]+$|\.(?:test|spec)\.[a-z]+$|(?:^|\/)conftest\.py$/i;

export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

/** The module a test file is named after: `testing/test_junitxml.py`, `test/parse.test.js` → `junitxml`, `parse`. */
export function subjectStem(path: string): string {
  return (path.split('/').pop() ?? path)
    .replace(/\.[^.]+$/, '')
    .replace(/\.(?:test|spec)$/i, '')
    .replace(/^test_|_tests?$/i, '')
    .toLowerCase();
}

/** Prose, and the changelogs nearly every commit touches (`CHANGES`, `ChangeLog`, `HISTORY.md`): history votes for them on any issue. */
const DOC_PATH = /\.(?:md|markdown|rst|txt|adoc)$|(?:^|\/)(?:change_?log|changes|history|news)$/i;
/** Build output committed to the repository (`dist/axios.cjs`), not the source people edit. */
const BUNDLE_PATH = /(?:^|\/)dist\/|\.bundle\.|(?:^|\/)umd\//i;

export function isDocPath(path: string): boolean {
  return DOC_PATH.test(path);
}

/** Whether the issue names a path of this kind that is in the repository (`test_sample.py` from the reporter's own project is not). */
function namesRepoPath(facts: IssueFacts, catalog: RepoCatalog, kind: (path: string) => boolean): boolean {
  return facts.paths.some((written) => kind(written) && resolvePath(written, catalog).length > 0);
}

function issueIsAboutDocs(facts: IssueFacts, catalog: RepoCatalog): boolean {
  return /\b(?:docs?|documentation|readme|typo in the (?:docs|documentation|readme)|changelog)\b/i.test(facts.title) || namesRepoPath(facts, catalog, isDocPath);
}

function issueIsAboutTests(facts: IssueFacts, catalog: RepoCatalog): boolean {
  return /\b(?:test suite|unit tests?|test case|flaky|pytest fixture|failing test)\b/i.test(facts.title) || namesRepoPath(facts, catalog, isTestPath);
}

function ranked(ranking: Ranking): Array<[string, Candidate]> {
  return [...ranking.entries()].sort((a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]));
}

/** The model's search queries and code guess, run against files and chunks; each file keeps its best hit. */
async function rewriteSignal(store: RepoStore, catalog: RepoCatalog, rewrite: IssueRewrite | undefined): Promise<Ranking> {
  const ranking: Ranking = new Map();
  if (!rewrite) return ranking;
  for (const query of [...rewrite.queries, rewrite.snippet].filter(Boolean)) {
    const tokens = tokenize(query).join(' ');
    const rows = await store.searchText<ChunkHit>('chunks', tokens, { limit: 30, columns: CHUNK_HIT_COLUMNS });
    rows.forEach((row, index) => addCandidate(ranking, row.path, 1 / (index + 1), { symbol: symbolOf(row, catalog.lines) }));
  }
  return ranking;
}

export async function locateFiles(options: LocateOptions): Promise<LocateResult> {
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const catalog = await loadCatalog(options.store);
  const logger = options.logger ?? rootLog;
  const budget = options.budget ?? new TokenBudget(50_000);
  const spentBefore = budget.spent;
  const rewrite = options.chat ? await rewriteIssue(options.facts, { model: options.chat, budget, logger }) : undefined;
  const signals: Partial<Record<SignalName, Ranking>> = {
    mention: mentionSignal(options.facts, catalog),
    pathWords: pathWordSignal(options.facts, catalog),
    message: await messageSignal(options.store, options.facts),
    rewrite: await rewriteSignal(options.store, catalog, rewrite),
    frame: frameSignal(options.facts, catalog),
    ...(await textSignals(options.store, catalog, options.facts, options.embedder)),
  };

  const fused = new Map<string, { score: number; evidence: FileEvidence }>();
  for (const [name, ranking] of Object.entries(signals) as Array<[SignalName, Ranking]>) {
    ranked(ranking).forEach(([path, candidate], index) => {
      if (!catalog.pathSet.has(path)) return;
      const entry = fused.get(path) ?? { score: 0, evidence: { ranks: {} } };
      entry.score += weights[name] / (RRF_K + index + 1);
      entry.evidence.ranks[name] = index + 1;
      const evidence = candidate.evidence ?? {};
      entry.evidence.symbol ??= evidence.symbol;
      entry.evidence.question ??= evidence.question;
      entry.evidence.commit ??= evidence.commit;
      entry.evidence.frame ??= evidence.frame;
      entry.evidence.mention ??= evidence.mention;
      fused.set(path, entry);
    });
  }

  // Demoted softly, never filtered: an issue about tests or docs still finds them.
  const aboutTests = issueIsAboutTests(options.facts, catalog);
  const aboutDocs = issueIsAboutDocs(options.facts, catalog);
  // A test ranked for an issue mostly points at the module it tests: when that module is a candidate too, it goes first.
  const subjects = new Set([...fused.keys()].filter((path) => !isTestPath(path)).map(subjectStem));
  const demotions: Record<string, number> = {};
  for (const [path, entry] of fused) {
    const before = entry.score;
    const named = options.facts.paths.some((written) => path.endsWith(written));
    if (!aboutTests && isTestPath(path)) entry.score *= subjects.has(subjectStem(path)) ? TEST_PENALTY * TESTED_SUBJECT_PENALTY : TEST_PENALTY;
    if (!aboutDocs && isDocPath(path)) entry.score *= DOC_PENALTY;
    if (BUNDLE_PATH.test(path) && !named) entry.score *= BUNDLE_PENALTY;
    if (!catalog.definers.has(path) && !isDocPath(path) && !named) entry.score *= NON_CODE_PENALTY;
    if (entry.score !== before) demotions[path] = Number((entry.score / before).toFixed(4));
  }

  await expandNeighbours(options.store, fused, catalog);

  let files = [...fused.entries()]
    .map(([path, entry]) => ({ path, score: entry.score, evidence: entry.evidence }))
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path))
    .slice(0, Math.max(options.limit ?? 20, 20));
  let reranked = false;
  if (options.chat?.has('strong')) {
    const result = await rerankFiles(options.facts, files, await summariesOf(options.store, files), { model: options.chat, budget, logger });
    files = result.files;
    reranked = result.reranked;
  }
  files = files.slice(0, options.limit ?? 20);
  const debug = options.debugSignals
    ? Object.fromEntries(
        (Object.entries(signals) as Array<[SignalName, Ranking]>).map(([name, ranking]) => [
          name,
          ranked(ranking)
            .filter(([path]) => catalog.pathSet.has(path))
            .slice(0, 50)
            .map(([path, candidate]) => [path, Number(candidate.score.toFixed(4))] as [string, number]),
        ]),
      )
    : undefined;
  return {
    files,
    ...confidenceOf(files),
    signals: debug,
    demotions: options.debugSignals ? demotions : undefined,
    model: options.chat ? { rewrite: Boolean(rewrite), rerank: reranked, tokens: budget.spent - spentBefore } : undefined,
  };
}

async function summariesOf(store: RepoStore, files: LocatedFile[]): Promise<Map<string, FileSummary>> {
  const top = files.slice(0, 20);
  if (top.length === 0) return new Map();
  const list = top.map((file) => sqlString(file.path)).join(', ');
  const rows = await store.readRows<{ path: string; doc: string; symbols: string }>('files', {
    columns: ['path', 'doc', 'symbols'],
    where: `path IN (${list})`,
  });
  const byPath = new Map(rows.map((row) => [row.path, row]));
  return new Map(
    top.map((file) => {
      const row = byPath.get(file.path);
      const evidence = file.evidence.symbol ? `${file.evidence.symbol.name} (lines ${file.evidence.symbol.startLine}-${file.evidence.symbol.endLine})` : (file.evidence.mention ?? file.evidence.question ?? '');
      return [file.path, { path: file.path, doc: row?.doc ?? '', symbols: row?.symbols ? row.symbols.split('\n') : [], evidence }];
    }),
  );
}

/**
 * Import neighbours and co-changed files of the top hits that no signal found join at a discount
 * (they are sometimes the real fix); files already ranked keep their own score.
 */
async function expandNeighbours(store: RepoStore, fused: Map<string, { score: number; evidence: FileEvidence }>, catalog: RepoCatalog): Promise<void> {
  const top = [...fused.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, 5);
  if (top.length === 0) return;
  const list = top.map(([path]) => sqlString(path)).join(', ');
  const edges = await store.readRows<{ kind: string; src: string; dst: string; weight: number }>('edges', {
    columns: ['kind', 'src', 'dst', 'weight'],
    where: `kind != 'author' AND (src IN (${list}) OR dst IN (${list}))`,
  });
  const topScore = new Map(top.map(([path, entry]) => [path, entry.score]));
  const bonus = new Map<string, { score: number; from: string }>();
  // The table's row order depends on how the index was built (incremental runs append): ties go by edge.
  edges.sort(compareEdges);
  for (const edge of edges) {
    for (const [from, to] of [[edge.src, edge.dst], [edge.dst, edge.src]] as const) {
      const base = topScore.get(from);
      if (base === undefined || !catalog.pathSet.has(to) || to === from) continue;
      // Discovery only: a bonus on files the signals already ranked reshuffled the top (Acc@1 -4 points on the dev set).
      if (fused.has(to)) continue;
      if (edge.kind === 'import' && from !== edge.src) continue; // Importers of a hit are too many to be telling.
      const strength = edge.kind === 'cochange' ? Math.min(1, edge.weight / 3) : 0.6;
      const add = base * NEIGHBOUR_DISCOUNT * strength;
      const current = bonus.get(to);
      if (!current || current.score < add) bonus.set(to, { score: add, from });
    }
  }
  for (const [path, { score, from }] of bonus) fused.set(path, { score, evidence: { ranks: {}, neighbourOf: from } });
}

function confidenceOf(files: LocatedFile[]): Pick<LocateResult, 'confidence' | 'confidenceScore'> {
  if (files.length === 0) return { confidence: 'low', confidenceScore: 0 };
  const first = files[0];
  const second = files[1]?.score ?? 0;
  const gap = first.score > 0 ? (first.score - second) / first.score : 0;
  const agreeing = Object.keys(first.evidence.ranks).length;
  const strong = first.evidence.ranks.mention === 1 || first.evidence.ranks.frame === 1 ? 0.25 : 0;
  const score = Math.min(1, gap * 0.9 + Math.min(agreeing, 5) * 0.08 + strong);
  return { confidence: score >= 0.6 ? 'high' : score >= 0.35 ? 'medium' : 'low', confidenceScore: Number(score.toFixed(3)) };
}
