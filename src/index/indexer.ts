import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { CachedEmbedder, contentHash } from '../ai/cached-embedder.ts';
import type { Embedder } from '../ai/embedder.ts';
import { HashingEmbedder } from '../ai/hashing-embedder.ts';
import { TokenBudget, type ChatModel } from '../ai/llm.ts';
import { log as rootLog, type Logger } from '../log.ts';
import { errorMessage } from '../errors.ts';
import { tuneForSmallUpdate } from '../runtime-flags.ts';
import { openGitRepoAt, type TreeEntry } from '../scm/git.ts';
import { acquireIndexLock } from '../store/lock.ts';
import { RepoStore, sqlString, type IndexMeta, type KeptVersions } from '../store/repo-store.ts';
import { INDEX_TABLES, SCHEMA_VERSION, type ChunkRow, type FileRow, type HistoryRow, type IndexTable, type LookupRow, type QuestionRow, type SegmentRow } from '../store/schema.ts';
import { chunkFile, warmParsers } from './chunk/index.ts';
import { MemoryUnitCache } from './chunk/unit-cache.ts';
import { detectLanguage } from './language.ts';
import { compareEdges, historyEdges, historyPathsChanged, isLineOnto, lineWindow, mapHistory, readHistory, slidPathsChanged, type EdgeCommit, type MappedHistory } from './history.ts';
import { chunkIds, encodeChunkLines } from './ids.ts';
import { appendTo } from './lists.ts';
import { importEdges, yieldToLoop, type ImportEdges, type ImportFile, type PreviousImports } from './import-edges.ts';
import { fileQuestions, modelChunkQuestions, offlineChunkQuestions, type Question } from './questions.ts';
import { tokenString } from './tokenize.ts';
import type { Chunk, ChunkedFile, HistoryCommit, SkipReason, TokenPiece, WalkLimits, WalkResult, WalkedFile } from './types.ts';
import { walkCommit, walkEntries } from './walk.ts';

/** Bump when chunking or question derivation changes what rows hold: forces a full rebuild. */
export const INDEXER_VERSION = 9;

/** The file-level full-text column holds at most this much of a file's content. */
const FILE_TOKEN_CHARS = 200_000;
const EMBED_TEXT_CHARS = 2_000;
const EMBED_BATCH = 2_000;
/** Fold new rows into the search indexes once more than this many (or 10 % of the table) wait. */
const SEARCH_REFRESH_MIN_ROWS = 5_000;
/** An update of at most this many files parses too little for optimized grammar code to pay off in a short run (see `tuneForSmallUpdate`). */
const SMALL_UPDATE_FILES = 200;
/** Merge a table's fragments once this many commits (an update makes 2 to 4 per table) were made since it was last merged. */
const COMPACT_AFTER_COMMITS = 64;

export type IndexPhase = 'walk' | 'chunk' | 'questions' | 'embed' | 'history' | 'edges' | 'write' | 'search-index' | 'compact' | 'meta' | 'eval';

export interface IndexProgress {
  phase: IndexPhase;
  done: number;
  total: number;
}

export interface IndexOptions {
  /** A git repository: work tree, `.git` dir or bare repository. */
  repoPath: string;
  /** Commit (or any rev) to index; default HEAD. */
  commit?: string;
  /** Stable repository id (`owner/name`); default derived from the repository's real path. */
  repoId?: string;
  lancedbUri: string;
  /** Where the lock lives. */
  dataDir: string;
  limits: WalkLimits;
  historyCommits: number;
  embedder?: Embedder;
  chat?: ChatModel;
  /** Names the question model in cache keys and the settings hash. */
  chatModelId?: string;
  questionTokenBudget?: number;
  /** Rebuild from scratch even when an incremental update is possible. */
  full?: boolean;
  /** Merge a table's fragments after this many commits to it (default 64). */
  compactAfterCommits?: number;
  onProgress?: (progress: IndexProgress) => void;
  logger?: Logger;
}

export interface IndexSummary {
  repo: string;
  commit: string;
  previousCommit?: string;
  incremental: boolean;
  /** Why a full rebuild was needed, when it was. */
  rebuildReason?: string;
  files: number;
  chunks: number;
  questions: number;
  historyCommits: number;
  edges: number;
  /** Files re-read in this run (all of them on a full build). */
  changedFiles: number;
  deletedFiles: number;
  skipped: Partial<Record<SkipReason, number>>;
  limitHit?: WalkResult['limitHit'];
  rolledBack: string[];
  tokensSpent: number;
  warnings: string[];
  /** Milliseconds spent in each phase. */
  timings?: Partial<Record<IndexPhase, number>>;
  ms: number;
}

/** A stable id for a repository known only by its path. */
export async function localRepoId(repoPath: string): Promise<string> {
  const real = await realpath(repoPath);
  const name = path.basename(real.replace(/\/(\.git|repo)$/, '')).replace(/\.git$/, '');
  return `local-${name}-${createHash('sha1').update(real).digest('hex').slice(0, 8)}`;
}

function settingsHash(parts: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(parts)).digest('hex');
}

interface ParsedFile {
  file: WalkedFile;
  chunked: ChunkedFile;
}

/**
 * Brings a repository's index to a commit: incrementally from the indexed commit when the
 * schema and settings are unchanged, otherwise from scratch. Holds the repository's lock, and
 * records the result in `meta` last, so a run killed halfway leaves the previous index usable
 * (the next run rolls the tables back to the recorded versions).
 */
export async function indexRepository(options: IndexOptions): Promise<IndexSummary> {
  const started = performance.now();
  const { repo, commit } = await openGitRepoAt(options.repoPath, options.commit ?? 'HEAD');
  const repoId = options.repoId ?? (await localRepoId(repo.gitDir));
  const logger = (options.logger ?? rootLog).child({ repo: repoId, commit: commit.slice(0, 12) });
  const timings: Partial<Record<IndexPhase, number>> = {};
  let phaseStarted = performance.now();
  let currentPhase: IndexPhase | undefined;
  const report = options.onProgress ?? (() => {});
  // Times each phase (for the summary and `npm run bench`) on its way to the caller's callback.
  const progress = (p: IndexProgress) => {
    if (p.phase !== currentPhase) {
      const now = performance.now();
      if (currentPhase) timings[currentPhase] = (timings[currentPhase] ?? 0) + Math.round(now - phaseStarted);
      logger.debug({ phase: p.phase }, 'index phase');
      currentPhase = p.phase;
      phaseStarted = now;
    }
    report(p);
  };
  const warnings: string[] = [];

  const lock = await acquireIndexLock(options.dataDir, repoId);
  const store = await RepoStore.open(options.lancedbUri, repoId);
  try {
    const baseEmbedder = options.embedder ?? new HashingEmbedder();
    const embedder = baseEmbedder instanceof HashingEmbedder ? baseEmbedder : new CachedEmbedder(baseEmbedder, store.embeddingCache());
    const dimension = await embedder.dimension();
    const settings = settingsHash({
      schema: SCHEMA_VERSION,
      indexer: INDEXER_VERSION,
      embedder: embedder.id,
      dimension,
      limits: options.limits,
      historyCommits: options.historyCommits,
      questions: options.chat ? (options.chatModelId ?? 'model') : 'offline',
    });

    let meta = await store.readMeta();
    // The versions readers are pinned to until this run completes: never removed by it.
    const pinnable = meta?.tableVersions;
    // Git compares the commits while the tables are checked; the diff is used only if the run is incremental.
    const diffPromise = meta && meta.indexedCommit !== commit ? repo.diffNameStatus(meta.indexedCommit, commit) : undefined;
    diffPromise?.catch(() => undefined);
    const rolledBack = meta ? await store.rollbackTo(meta) : [];
    if (rolledBack.length > 0) {
      warnings.push(`rolled back ${rolledBack.join(', ')} to the last complete index (an earlier run stopped halfway)`);
      logger.warn({ tables: rolledBack }, 'rolled back an unfinished index run');
    }

    let rebuildReason = await whyRebuild(meta, { full: options.full, settings, diff: diffPromise });
    if (rebuildReason) meta = undefined;
    if (meta && meta.indexedCommit === commit) {
      logger.info('index already at this commit');
      return {
        ...(meta.stats as unknown as Omit<IndexSummary, 'ms'>),
        incremental: true,
        previousCommit: commit,
        changedFiles: 0,
        deletedFiles: 0,
        rolledBack,
        tokensSpent: 0,
        warnings,
        ms: Math.round(performance.now() - started),
      };
    }

    // History since the indexed commit (or all of it, bounded): git works on it while files are parsed.
    const indexedCommit = meta?.indexedCommit;
    const historyOptions = { maxCommits: options.historyCommits, repoSlug: /^[\w.-]+\/[\w.-]+$/.test(repoId) ? repoId : undefined };
    const keptOrder = meta?.historyOrder;
    const historyPromise = (async (): Promise<{ commits: HistoryCommit[]; window?: string[] }> => {
      if (indexedCommit) {
        // Only the new commits are read; `window` says which of the kept ones stay (git's newest N).
        const newCommits = readHistory(repo, commit, { ...historyOptions, after: indexedCommit });
        if (keptOrder !== undefined) {
          // A line of single-parent commits on the indexed one: git's window is that line, then the kept window.
          const commits = await newCommits;
          if (isLineOnto(commits, commit, indexedCommit)) return { commits, window: lineWindow(commits, keptOrder, options.historyCommits) };
        }
        newCommits.catch(() => undefined);
        const [window, commits] = await Promise.all([repo.revList(commit, options.historyCommits), newCommits]);
        // The indexed commit is an ancestor when the window holds it; beyond the window git is asked.
        if (window.includes(indexedCommit) || (await repo.isAncestor(indexedCommit, commit))) return { commits, window };
      }
      return { commits: await readHistory(repo, commit, historyOptions) };
    })();
    // Never left unobserved if a later step throws first.
    historyPromise.catch(() => undefined);

    // 1. Which files to (re)read.
    let changedEntries: TreeEntry[] | undefined;
    let removedPaths: string[] = [];
    if (meta && diffPromise) {
      const diff = await diffPromise;
      const changed = [...diff.added, ...diff.modified, ...diff.renamed.map((r) => r.to)];
      changedEntries = diff.entries;
      removedPaths = [...new Set([...changed, ...diff.deleted, ...diff.renamed.map((r) => r.from)])];
      if (changed.length <= SMALL_UPDATE_FILES) tuneForSmallUpdate();
      warmParsers(changed.map(detectLanguage));
    }
    // What an incremental run keeps of the index, read on LanceDB's threads while the changed files are parsed.
    const keptFilesPromise = meta ? store.readColumns<KeptFile>('files', { columns: ['path', 'language', 'size'] }) : Promise.resolve([]);
    const keptPromise = meta ? readKept(store, removedPaths, keptFilesPromise) : Promise.resolve(undefined);
    keptPromise.catch(() => undefined);
    // The parsed segments of the files about to be re-read: those whose text is unchanged are not parsed again.
    const segmentsPromise = meta
      ? store.readColumnsIn<SegmentRow>('segments', 'path', removedPaths, { columns: ['path', 'key', 'value'] })
      : Promise.resolve([]);
    segmentsPromise.catch(() => undefined);
    progress({ phase: 'walk', done: 0, total: 1 });
    const changedWalk = changedEntries ? walkEntries(repo, commit, options.limits, changedEntries) : walkCommit(repo, commit, options.limits);
    // The changed files' rows (and their import edges) are deleted meanwhile too, once read and
    // once the walk shows the update stays within the limits, so the new rows can be written as
    // soon as they exist.
    const limitCheck = meta
      ? Promise.all([keptFilesPromise, changedWalk]).then(([files, walked]) => limitOverflow(walked, files, new Set(removedPaths), options.limits))
      : Promise.resolve(undefined);
    limitCheck.catch(() => undefined);
    const clearedPromise = meta
      ? clearChanged(store, removedPaths, Promise.all([keptPromise, segmentsPromise, limitCheck]).then(([, , over]) => over === undefined))
      : Promise.resolve();
    clearedPromise.catch(() => undefined);
    let walk = await changedWalk;
    const overLimit = await limitCheck;
    if (overLimit) {
      // Nothing was deleted (see clearChanged); the tables are reset below.
      await clearedPromise;
      // A full index drops the files past a limit in path order; an update cannot tell which.
      rebuildReason = overLimit;
      logger.info({ reason: overLimit }, 'the update would break a walk limit; rebuilding in full');
      meta = undefined;
      removedPaths = [];
      walk = await walkCommit(repo, commit, options.limits);
    }
    progress({ phase: 'walk', done: 1, total: 1 });
    if (walk.limitHit) {
      warnings.push(
        `index limit ${walk.limitHit.kind}=${walk.limitHit.limit} reached: ${walk.limitHit.dropped} files were not indexed (raise SCOUT_MAX_FILES / SCOUT_MAX_TOTAL_BYTES)`,
      );
    }

    // 2. Symbols.
    const storedSegments = meta ? await segmentsPromise : [];
    const segments = new MemoryUnitCache(storedSegments);
    const parsed: ParsedFile[] = [];
    for (const [i, file] of walk.files.entries()) {
      parsed.push({ file, chunked: await chunkFile(file, segments) });
      if (i % 50 === 0) progress({ phase: 'chunk', done: i, total: walk.files.length });
    }
    progress({ phase: 'chunk', done: walk.files.length, total: walk.files.length });

    // 3. Questions that lead here.
    const allChunks = parsed.flatMap((p) => p.chunked.chunks);
    progress({ phase: 'questions', done: 0, total: allChunks.length });
    const kept = meta ? await keptPromise : undefined;
    const ids = chunkIds(allChunks);
    // Each chunk's text hash keys the reuse of its tokens, vector and questions.
    const textHashes = allChunks.map((chunk) => contentHash(chunk.text));
    const reuseKeys = allChunks.map((chunk, i) => reuseKey({ ...chunk, content_hash: textHashes[i]! }));
    // A chunk the index holds under the same id with the same content keeps its question rows and
    // its chunk row as they are, wherever it moved in the file (its lines are in the file's row).
    const keptQuestions = new Set<string>();
    const keptRows = new Set<string>();
    allChunks.forEach((chunk, i) => {
      if (kept?.heldChunks.get(ids[i]!) !== questionKey(reuseKeys[i]!, chunk.kind)) return;
      keptQuestions.add(ids[i]!);
      keptRows.add(ids[i]!);
    });
    const held = kept ? [...kept.heldChunks.keys()] : [];
    // Decided before the rows to write are: it may keep none.
    const chunkRowDeletion = kept && planChunkRowDeletion(removedPaths, held, keptRows);
    // The questions of the changed files' chunks that changed go now, on LanceDB's threads (nothing
    // reads that table during the run), and the files' own questions with them.
    const questionsCleared = kept ? clearQuestions(store, { paths: removedPaths, held, keptQuestions }) : Promise.resolve();
    questionsCleared.catch(() => undefined);
    const asked = allChunks.flatMap((chunk, i) => (keptQuestions.has(ids[i]!) ? [] : [{ chunk, id: ids[i]! }]));
    // The chunks whose rows are written again, each with the key by which it takes over a kept
    // row's tokens and vector.
    const toRewrite = allChunks.flatMap((chunk, i) =>
      keptRows.has(ids[i]!) ? [] : [{ chunk, id: ids[i]!, textHash: textHashes[i]!, key: reuseKeys[i]! }],
    );
    // The tokens and vectors of those the index holds unchanged under another id (a same-named
    // chunk before it went, its kind changed) or whose rows were not kept (past the cap), read
    // while the questions are made, before their rows go.
    const reusedPromise: Promise<ReusedChunks> = kept ? reusedChunks(store, kept.chunks, toRewrite.map(({ key }) => key)) : Promise.resolve(new Map());
    reusedPromise.catch(() => undefined);
    const questionResult = await buildQuestions(parsed, asked, options, { store, logger });
    warnings.push(...questionResult.warnings);
    // The changed files' other chunk rows go, once the tokens and vectors handed over are read, while vectors and edges are made.
    const chunksCleared = chunkRowDeletion ? reusedPromise.then(() => clearChunkRows(store, chunkRowDeletion)) : Promise.resolve();
    chunksCleared.catch(() => undefined);
    progress({ phase: 'questions', done: allChunks.length, total: allChunks.length });

    // 4. History (read meanwhile).
    progress({ phase: 'history', done: 0, total: 1 });
    const read = await historyPromise;
    progress({ phase: 'history', done: 1, total: 1 });

    // 5. Vectors. A chunk whose path, name, signature, doc and text are unchanged keeps its tokens
    // and vector: both are functions of exactly those (and of the embedder, fixed by the settings hash).
    const slid = read.window && kept ? slideWindow(read.window, kept.history, read.commits.map(historyRow)) : undefined;
    if (read.window && !slid) logger.info('the history window holds commits the index lacks; re-reading it whole');
    const commits = slid ? read.commits : read.window ? await readHistory(repo, commit, historyOptions) : read.commits;
    const historyRows = commits.map(historyRow);
    const history = slid ?? { ordered: historyRows, added: historyRows };
    // The kept history rows that leave the window go now, on LanceDB's threads, so the write below only adds.
    const historyCleared = !meta
      ? Promise.resolve()
      : slid
        ? store.deleteIn('history', 'sha', slid.dropped.map((row) => row.sha))
        : store.deleteWhere('history', 'true');
    historyCleared.catch(() => undefined);
    // An update knows now which files' co-change and author edges change: their old edges go on
    // LanceDB's threads (after the changed files' import edges) while vectors and import edges are made.
    const mappedWindow = meta ? mapWindow(history.ordered, slid && { slid, changedPaths: removedPaths }) : undefined;
    const historyEdgesCleared = mappedWindow ? clearedPromise.then(() => deleteHistoryEdges(store, mappedWindow.historyOf)) : Promise.resolve();
    historyEdgesCleared.catch(() => undefined);
    const fileRows = parsed.map(({ file, chunked }) => fileRow(file, chunked));
    const reused = await reusedPromise;
    const rewritten = toRewrite.map(({ chunk, id, textHash, key }) => ({ chunk, row: chunkRow(chunk, id, textHash, reused.get(key)) }));
    const chunkRows = rewritten.map(({ row }) => row);
    const questionRows = questionRowsOf(questionResult.questions);
    const toEmbed: EmbedItem[] = [
      ...fileRows.map((row, i) => ({ row, text: fileEmbedText(parsed[i].file, parsed[i].chunked) })),
      ...rewritten.flatMap(({ chunk, row }) => (row.vector.length > 0 ? [] : [{ row, text: chunkEmbedText(chunk) }])),
    ];
    progress({ phase: 'embed', done: 0, total: toEmbed.length });
    await embedAll(embedder, toEmbed, progress);

    // 6. Write the new rows (the changed files' old rows are gone by now) and derive the edges
    // meanwhile: LanceDB writes on its own threads while the edges are computed on this one.
    progress({ phase: 'edges', done: 0, total: 1 });
    if (!meta) await store.resetIndexTables(dimension);
    await clearedPromise;
    const written = Promise.all([
      store.add('files', fileRows),
      chunksCleared.then(() => store.add('chunks', chunkRows)),
      questionsCleared.then(() => store.add('questions', questionRows)),
      replaceSegments(store, storedSegments, segments.rows()),
      historyCleared.then(() => store.add('history', history.added)),
    ]);
    // Never left unobserved if deriving the edges throws first.
    written.catch(() => undefined);

    // Edges, from the rows the index will hold once written: the kept ones and the new ones.
    const removed = new Set(removedPaths);
    const unchangedFiles = kept?.files.filter((file) => !removed.has(file.path)) ?? [];
    const derived = await deriveEdges([...unchangedFiles, ...fileRows], mappedWindow ?? mapWindow(history.ordered), kept?.imports);
    progress({ phase: 'edges', done: 1, total: 1 });

    progress({ phase: 'write', done: 0, total: 1 });
    await Promise.all([
      written,
      (async () => {
        if (meta) {
          await historyEdgesCleared;
          // Unchanged files resolved again (a path they asked about came or went) replace their import edges.
          await deleteImportEdges(store, derived.resolved.filter((path) => !removed.has(path)));
        }
        await store.add('edges', derived.edges);
      })(),
      (async () => {
        if (meta) await store.deleteIn('lookups', 'path', [...new Set([...removedPaths, ...derived.resolved])]);
        await store.add('lookups', derived.lookups);
      })(),
    ]);
    progress({ phase: 'write', done: 1, total: 1 });

    progress({ phase: 'search-index', done: 0, total: 1 });
    // Rows added since the search indexes were last refreshed are still found (by a flat scan);
    // refreshing costs seconds, so a small push skips it until enough rows have piled up.
    const addedRows = fileRows.length + chunkRows.length + questionRows.length + history.added.length;
    const pendingRows = (meta?.pendingRows ?? 0) + addedRows;
    // One round of LanceDB calls for every count the run reports.
    const [files, chunks, questions, historyCommits, edges] = await Promise.all(
      (['files', 'chunks', 'questions', 'history', 'edges'] as const).map((table) => store.countRows(table)),
    );
    const totalRows = chunks + questions;
    const refresh = !meta || pendingRows > Math.max(SEARCH_REFRESH_MIN_ROWS, 0.1 * totalRows);
    const optimized = refresh ? await store.refreshSearchIndexes({ keep: pinnable }) : [];
    progress({ phase: 'compact', done: 0, total: 1 });
    const compacted = await compactDue(store, { meta, optimized, keep: pinnable }, options.compactAfterCommits ?? COMPACT_AFTER_COMMITS);
    progress({ phase: 'compact', done: 1, total: 1 });

    const skipped: Partial<Record<SkipReason, number>> = {};
    for (const entry of walk.skipped) skipped[entry.reason] = (skipped[entry.reason] ?? 0) + 1;
    const summary: IndexSummary = {
      repo: repoId,
      commit,
      previousCommit: meta?.indexedCommit,
      incremental: Boolean(meta),
      rebuildReason,
      files,
      chunks,
      questions,
      historyCommits,
      edges,
      changedFiles: walk.files.length,
      deletedFiles: meta ? removedPaths.length - walk.files.length : 0,
      skipped,
      limitHit: walk.limitHit,
      rolledBack,
      tokensSpent: questionResult.tokensSpent,
      warnings,
      ms: 0,
    };
    await store.writeMeta({
      indexedCommit: commit,
      schemaVersion: SCHEMA_VERSION,
      settingsHash: settings,
      dimension,
      tableVersions: compacted.versions,
      compactedVersions: compacted.compactedVersions,
      pendingRows: refresh ? 0 : pendingRows,
      limitHit: walk.limitHit,
      historyOrder: history.ordered.map((row) => row.sha).join('\n'),
      indexedAt: new Date().toISOString(),
      stats: { repo: repoId, commit, files: summary.files, chunks: summary.chunks, questions: summary.questions, historyCommits: summary.historyCommits, edges: summary.edges, skipped },
    } satisfies IndexMeta);
    progress({ phase: 'meta', done: 1, total: 1 });
    summary.timings = timings;
    summary.ms = Math.round(performance.now() - started);
    logger.info({ files: summary.files, chunks: summary.chunks, incremental: summary.incremental, ms: summary.ms }, 'indexed');
    return summary;
  } finally {
    store.close();
    await lock.release();
  }
}

/**
 * Merges the fragments of the tables with `afterCommits` or more commits since they were last
 * merged (a full build, a search refresh that optimized them (`optimized`), or this). Returns the
 * tables' versions after it, and the version each was last merged at.
 */
async function compactDue(
  store: RepoStore,
  { meta, optimized, keep }: { meta: IndexMeta | undefined; optimized: IndexTable[]; keep?: KeptVersions },
  afterCommits: number,
): Promise<{ versions: Record<IndexTable, number>; compactedVersions: Record<IndexTable, number> }> {
  const before = await store.tableVersions();
  // A full build or a refresh left the table merged; an index from before this bookkeeping counts from 0.
  const mergedAt = (name: IndexTable) => (meta && !optimized.includes(name) ? (meta.compactedVersions?.[name] ?? 0) : before[name]);
  const due = INDEX_TABLES.filter((name) => before[name] - mergedAt(name) >= afterCommits);
  if (due.length > 0) await store.compact(due, keep);
  const versions = due.length > 0 ? await store.tableVersions() : before;
  const compactedVersions = Object.fromEntries(INDEX_TABLES.map((name) => [name, due.includes(name) ? versions[name] : mergedAt(name)]));
  return { versions, compactedVersions: compactedVersions as Record<IndexTable, number> };
}

async function whyRebuild(
  meta: IndexMeta | undefined,
  context: { full?: boolean; settings: string; diff?: Promise<unknown> },
): Promise<string | undefined> {
  if (!meta) return 'no index yet';
  if (context.full) return 'a full rebuild was asked for';
  if (meta.schemaVersion !== SCHEMA_VERSION) return `the index schema changed (${meta.schemaVersion} → ${SCHEMA_VERSION})`;
  if (meta.settingsHash !== context.settings) return 'index settings changed (embedder, limits, history depth or question model)';
  // Which files a limit drops depends on every file at the new commit, which only a full walk sees.
  if (meta.limitHit) return `the last index stopped at a limit (${meta.limitHit.kind}=${meta.limitHit.limit}, ${meta.limitHit.dropped} files left out)`;
  // Git cannot compare the indexed commit with the new one when it is gone (a force push, then gc).
  try {
    await context.diff;
  } catch (error) {
    return `the indexed commit ${meta.indexedCommit.slice(0, 12)} cannot be compared with the new one (${errorMessage(error)})`;
  }
  return undefined;
}

/**
 * The questions of the chunks `asked` (those of the changed files' other chunks stay as the index
 * holds them), and of every file in `parsed`.
 */
async function buildQuestions(
  parsed: ParsedFile[],
  asked: Array<{ chunk: Chunk; id: string }>,
  options: IndexOptions,
  context: { store: RepoStore; logger: Logger },
): Promise<{ questions: Question[]; tokensSpent: number; warnings: string[] }> {
  const warnings: string[] = [];
  let tokensSpent = 0;
  let fromModel = new Map<Chunk, string[]>();
  const chunks = asked.map(({ chunk }) => chunk);
  if (options.chat?.has('fast') && chunks.length > 0) {
    const result = await modelChunkQuestions(chunks, {
      model: options.chat,
      modelId: options.chatModelId ?? 'model',
      budget: new TokenBudget(options.questionTokenBudget ?? 200_000),
      cache: context.store.questionCache(),
      logger: context.logger,
    });
    fromModel = result.byChunk;
    tokensSpent = result.tokensSpent;
    warnings.push(...result.warnings);
  }
  const questions: Question[] = [];
  for (const { chunk, id } of asked) {
    const offline = offlineChunkQuestions(chunk, id);
    const written = fromModel.get(chunk);
    if (written) {
      // The literal messages stay: an issue quoting an error must find the code that raises it.
      questions.push(...offline.filter((q) => q.source === 'message'));
      for (const text of written) questions.push({ chunkId: id, path: chunk.path, text, source: 'model' });
    } else questions.push(...offline);
  }
  for (const { file, chunked } of parsed) questions.push(...fileQuestions({ path: file.path, doc: chunked.doc, symbols: chunked.symbols }));
  return { questions, tokensSpent, warnings };
}

function fileRow(file: WalkedFile, chunked: ChunkedFile): FileRow {
  const head = `${file.path}\n${chunked.doc}\n${chunked.symbols.join(' ')}\n`;
  return {
    path: file.path,
    language: file.language,
    blob_sha: file.blobSha,
    size: file.size,
    doc: chunked.doc,
    symbols: chunked.symbols.join('\n'),
    imports: JSON.stringify(chunked.imports),
    tokens: fileTokens(head, file.text, chunked.pieces),
    chunk_lines: encodeChunkLines(chunked.chunks),
    vector: [],
  };
}

/**
 * `tokenString(head + text.slice(0, FILE_TOKEN_CHARS))`, assembled from the text's pieces when the
 * chunker has them. The same string either way: no word spans a newline, and `head` and every
 * piece but the last end with one.
 */
export function fileTokens(head: string, text: string, pieces?: TokenPiece[]): string {
  if (!pieces || !head.endsWith('\n')) return tokenString(head + text.slice(0, FILE_TOKEN_CHARS));
  const parts = [tokenString(head)];
  let at = 0;
  for (const piece of pieces) {
    if (at >= FILE_TOKEN_CHARS) break;
    // The piece the cap cuts is tokenized as far as the cap.
    parts.push(at + piece.chars <= FILE_TOKEN_CHARS ? piece.tokens : tokenString(text.slice(at, FILE_TOKEN_CHARS)));
    at += piece.chars;
  }
  return parts.filter(Boolean).join(' ');
}

// The text is cut before it is joined: slicing the joined string would copy all of a large file first.
function fileEmbedText(file: WalkedFile, chunked: ChunkedFile): string {
  return `${file.path}\n${chunked.doc}\n${chunked.symbols.join(' ')}\n${file.text.slice(0, EMBED_TEXT_CHARS)}`.slice(0, EMBED_TEXT_CHARS);
}

function chunkEmbedText(chunk: Chunk): string {
  return `${chunk.path} ${chunk.name}\n${chunk.signature}\n${chunk.doc}\n${chunk.text.slice(0, EMBED_TEXT_CHARS)}`.slice(0, EMBED_TEXT_CHARS);
}

/** The row id of a kept chunk row, by `reuseKey`. */
type KeptChunks = Map<string, bigint>;

/** Tokens and vector of a kept chunk row, by `reuseKey`. */
type ReusedChunks = Map<string, { tokens: string; vector: Float32Array }>;

/**
 * The tokens and vectors of the `kept` chunk rows that rewritten chunks (by their `reuseKey`s)
 * take over, read by row id: of a changed file's chunks, those unchanged but not kept as they are.
 */
async function reusedChunks(store: RepoStore, kept: KeptChunks, rewrittenKeys: string[]): Promise<ReusedChunks> {
  const keys = [...new Set(rewrittenKeys.filter((key) => kept.has(key)))];
  const rows = await store.takeRows<{ tokens: string; vector: Float32Array }>('chunks', keys.map((key) => kept.get(key)!), { columns: ['tokens', 'vector'] });
  return new Map(keys.map((key, i) => [key, { tokens: rows[i]!.tokens, vector: rows[i]!.vector }]));
}

function reuseKey(row: { path: string; name: string; signature: string; doc: string; content_hash: string }): string {
  // NUL never occurs in indexed text (the walk skips files with NUL bytes as binary).
  return `${row.path}\0${row.name}\0${row.signature}\0${row.doc}\0${row.content_hash}`;
}

/** What a chunk's offline questions are a function of (with its id): its `reuseKey` and kind. */
function questionKey(reuse: string, kind: string): string {
  return `${reuse}\0${kind}`;
}

/** A chunk's row; `reused` are the tokens and vector of the kept row with the same `reuseKey`, if any. */
function chunkRow(chunk: Chunk, id: string, contentHashOfText: string, reused?: { tokens: string; vector: Float32Array }): ChunkRow {
  return {
    id,
    path: chunk.path,
    language: chunk.language,
    name: chunk.name,
    kind: chunk.kind,
    signature: chunk.signature,
    doc: chunk.doc,
    text: chunk.text,
    content_hash: contentHashOfText,
    tokens: reused?.tokens ?? tokenString(`${chunk.path} ${chunk.name} ${chunk.signature} ${chunk.doc} ${chunk.text}`),
    vector: reused?.vector ?? [],
  };
}

/** Question ids count within their chunk or file, so they do not depend on which other files a run read. */
function questionRowsOf(questions: Question[]): QuestionRow[] {
  const seen = new Map<string, number>();
  return questions.map((question) => {
    const owner = question.chunkId || question.path;
    const n = seen.get(owner) ?? 0;
    seen.set(owner, n + 1);
    return {
      id: `${owner}#q${n}`,
      chunk_id: question.chunkId,
      path: question.path,
      text: question.text,
      source: question.source,
      tokens: tokenString(question.text),
    };
  });
}

function historyRow(commit: HistoryCommit): HistoryRow {
  return {
    sha: commit.sha,
    author: commit.author,
    email: commit.email,
    date: commit.date,
    message: commit.message,
    files: commit.files.join('\n'),
    prs: JSON.stringify(commit.prs),
    issues: JSON.stringify(commit.issues),
    renames: JSON.stringify(commit.renames ?? []),
    tokens: tokenString(commit.message),
  };
}

interface EmbedItem {
  text: string;
  row: { vector: Float32Array | number[] };
}

async function embedAll(
  embedder: Embedder,
  items: EmbedItem[],
  progress: (p: IndexProgress) => void,
): Promise<void> {
  for (let start = 0; start < items.length; start += EMBED_BATCH) {
    const batch = items.slice(start, start + EMBED_BATCH);
    const vectors = await embedder.embed(batch.map((item) => item.text));
    batch.forEach((item, i) => {
      item.row.vector = vectors[i];
    });
    progress({ phase: 'embed', done: Math.min(start + EMBED_BATCH, items.length), total: items.length });
  }
}

/** What edges need of a history row. */
type EdgeRow = Pick<HistoryRow, 'sha' | 'email' | 'date' | 'files' | 'renames'>;

/** What an update reads of every file row. */
type KeptFile = ImportFile & Pick<FileRow, 'size'>;

interface Kept {
  /** Every file row's path, language and size (the changed ones are dropped by the caller). */
  files: KeptFile[];
  /** Every history row, in table order. */
  history: EdgeRow[];
  /** The changed files' chunk rows by `reuseKey` (their tokens and vectors are read once needed). */
  chunks: KeptChunks;
  /** Each of the changed files' chunk rows by id: its `questionKey`. */
  heldChunks: Map<string, string>;
  /** The recorded lookups of every file, and a way to read the imports of those that resolve again. */
  imports: PreviousImports;
}

type KeptChunkRow = Pick<ChunkRow, 'id' | 'path' | 'name' | 'kind' | 'signature' | 'doc' | 'content_hash'> & { _rowid: bigint };

async function readKept(store: RepoStore, changedPaths: string[], keptFiles: Promise<KeptFile[]>): Promise<Kept> {
  const [files, history, chunks, lookups] = await Promise.all([
    keptFiles,
    store.readColumns<EdgeRow>('history', { columns: ['sha', 'email', 'date', 'files', 'renames'] }),
    store.readColumnsIn<KeptChunkRow>('chunks', 'path', changedPaths, {
      columns: ['id', 'path', 'name', 'kind', 'signature', 'doc', 'content_hash'],
      rowIds: true,
    }),
    store.readColumns<LookupRow>('lookups', { columns: ['path', 'keys'] }),
  ]);
  const byKey: KeptChunks = new Map();
  const heldChunks: Kept['heldChunks'] = new Map();
  for (const row of chunks) {
    const key = reuseKey(row);
    byKey.set(key, row._rowid);
    heldChunks.set(row.id, questionKey(key, row.kind));
  }
  return {
    files,
    history,
    chunks: byKey,
    heldChunks,
    imports: {
      paths: files.map((file) => file.path),
      lookups: new Map(lookups.map((row) => [row.path, row.keys])),
      importsOf: async (paths) => {
        const rows = await store.readColumnsIn<Pick<FileRow, 'path' | 'imports'>>('files', 'path', paths, { columns: ['path', 'imports'] });
        return new Map(rows.map((row) => [row.path, row.imports]));
      },
    },
  };
}

/** The history window of an update: the new one (`ordered`), and how it differs from the one the index held (`before`). */
interface SlidWindow {
  ordered: EdgeRow[];
  /** New rows to write (those of `ordered` the index lacks). */
  added: HistoryRow[];
  /** Rows of `before` that left the window. */
  dropped: EdgeRow[];
  before: EdgeRow[];
}

/**
 * The history window at the new commit, as a full index would hold it: git's newest commits
 * (`window`, in git's order), taken from the kept rows and the commits just read; and which kept
 * rows fall out of it. Undefined when the window holds a commit that is in neither (git's order
 * can differ between two tips), so the caller re-reads the window whole.
 */
function slideWindow(window: string[], keptRows: EdgeRow[], newRows: HistoryRow[]): SlidWindow | undefined {
  const keptBySha = new Map(keptRows.map((row) => [row.sha, row]));
  const newBySha = new Map(newRows.map((row) => [row.sha, row]));
  const inWindow = new Set(window);
  const ordered: EdgeRow[] = [];
  for (const sha of window) {
    const row = newBySha.get(sha) ?? keptBySha.get(sha);
    if (!row) return undefined;
    ordered.push(row);
  }
  return {
    ordered,
    added: newRows.filter((row) => inWindow.has(row.sha) && !keptBySha.has(row.sha)),
    dropped: keptRows.filter((row) => !inWindow.has(row.sha)),
    before: keptRows,
  };
}

/**
 * Deletes what an incremental run replaces: the file rows of changed, renamed and deleted files
 * and their import edges, once `ready` says the run has read what it reuses of them and goes on as
 * an update (false: nothing is deleted); and has the schemas ready for the writes that follow.
 * (Chunk rows and questions go once the run knows which chunks changed (`clearChunkRows`,
 * `clearQuestions`), history edges once it knows which files' commits changed.)
 */
async function clearChanged(store: RepoStore, removedPaths: string[], ready: Promise<boolean>): Promise<void> {
  await Promise.all([
    store.prepareWrites(['files', 'chunks', 'questions', 'history', 'edges', 'lookups', 'segments']),
    ready.then(async (go) => {
      if (!go) return;
      await Promise.all([
        store.deleteIn('files', 'path', removedPaths),
        deleteImportEdges(store, removedPaths),
      ]);
    }),
  ]);
}

/** Above this many kept chunk rows (when the others are too many to name) an update rewrites them all: the predicate that spares them would get long. */
const KEEP_CHUNK_ROWS_MAX = 5_000;

/** Above this many chunk rows to delete, they are found by path rather than listed by id. */
const DELETE_CHUNKS_BY_ID_MAX = 3_000;

/** How the chunk rows an update replaces are deleted: listed by id, or found by path with the kept ones spared. */
export type ChunkRowDeletion = { ids: string[] } | { paths: string[]; spared: string[] };

/**
 * How to delete the chunk rows of `paths` (changed, renamed and deleted files: their rows are
 * `held`) but those in `keptRows`, with a predicate of bounded length. Usually most are kept (they
 * only moved) and the others are few: those are named. Otherwise the kept ones are, when they are
 * at most KEEP_CHUNK_ROWS_MAX; past that none is kept (`keptRows` is emptied: those chunks are
 * written again).
 */
export function planChunkRowDeletion(
  paths: string[],
  held: string[],
  keptRows: Set<string>,
  limits = { byIdMax: DELETE_CHUNKS_BY_ID_MAX, keepMax: KEEP_CHUNK_ROWS_MAX },
): ChunkRowDeletion {
  const gone = held.filter((id) => !keptRows.has(id));
  if (gone.length <= limits.byIdMax) return { ids: gone };
  if (keptRows.size > limits.keepMax) keptRows.clear();
  return { paths, spared: [...keptRows] };
}

export async function clearChunkRows(store: RepoStore, deletion: ChunkRowDeletion): Promise<void> {
  if ('ids' in deletion) return store.deleteIn('chunks', 'id', deletion.ids);
  const spared = deletion.spared.length > 0 ? ` AND id NOT IN (${deletion.spared.map(sqlString).join(', ')})` : '';
  await store.deleteMatching('chunks', deletion.paths, (list) => `path IN (${list})${spared}`);
}

/**
 * Deletes the questions of the chunks the index `held` in the changed files but those in
 * `keptQuestions`, and the files' own questions (`paths`), in one pass over the table.
 */
async function clearQuestions(store: RepoStore, sets: { paths: string[]; held: string[]; keptQuestions: Set<string> }): Promise<void> {
  await store.deleteAny('questions', [
    { values: sets.held.filter((id) => !sets.keptQuestions.has(id)), predicate: (list) => `chunk_id IN (${list})` },
    { values: sets.paths, predicate: (list) => `chunk_id = '' AND path IN (${list})` },
  ]);
}

/**
 * Why the index an update would make breaks a walk limit, which a full index obeys by dropping
 * the files past it in path order (so only a full run can say which files those are); undefined
 * when it stays within them. `walk` is the changed files' walk, `kept` every file row before.
 */
function limitOverflow(walk: WalkResult, kept: KeptFile[], removed: Set<string>, limits: WalkLimits): string | undefined {
  let files = walk.files.length;
  let bytes = walk.files.reduce((sum, file) => sum + file.size, 0);
  for (const file of kept) {
    if (removed.has(file.path)) continue;
    files += 1;
    bytes += file.size;
  }
  if (walk.limitHit) return `the changed files alone reach ${walk.limitHit.kind}=${walk.limitHit.limit}`;
  if (files > limits.maxFiles) return `the index would hold ${files} files, more than maxFiles=${limits.maxFiles}`;
  if (bytes > limits.maxTotalBytes) return `the index would hold ${bytes} bytes, more than maxTotalBytes=${limits.maxTotalBytes}`;
  return undefined;
}

/**
 * Brings the re-read files' segment rows from `stored` to `used`: a unit still used keeps its row,
 * so only the units of changed text are written.
 */
async function replaceSegments(store: RepoStore, stored: SegmentRow[], used: SegmentRow[]): Promise<void> {
  const pair = (row: SegmentRow) => `${row.path}\0${row.key}`;
  const storedPairs = new Set(stored.map(pair));
  const usedPairs = new Set(used.map(pair));
  const stale = new Map<string, string[]>();
  for (const row of stored) if (!usedPairs.has(pair(row))) appendTo(stale, row.path, row.key);
  await store.deleteInGroups('segments', 'path', 'key', stale);
  await store.add('segments', used.filter((row) => !storedPairs.has(pair(row))));
}

/** The import edges of `files` (those they import). */
async function deleteImportEdges(store: RepoStore, files: string[]): Promise<void> {
  await store.deleteMatching('edges', files, (list) => `kind = 'import' AND src IN (${list})`);
}

/** The history edges an update replaces: those of `files` (all of them when undefined). */
async function deleteHistoryEdges(store: RepoStore, files: Set<string> | undefined): Promise<void> {
  if (!files) return store.deleteWhere('edges', "kind != 'import'");
  await store.deleteMatching('edges', files, (list) => `(kind = 'cochange' AND (src IN (${list}) OR dst IN (${list}))) OR (kind = 'author' AND dst IN (${list}))`);
}

/** A history window as edges see it (`mapHistory`), and the files whose history edges an update derives again. */
interface MappedWindow {
  history: MappedHistory;
  /** Undefined when all are (a full run, or a window read whole). */
  historyOf?: Set<string>;
}

/**
 * The window's commits mapped through their renames. With the window the index held before
 * (`previous`), also the files whose co-change and author edges can change: those of the commits
 * that came or went (and `changedPaths`); the others' edges stay as they are.
 */
function mapWindow(window: EdgeRow[], previous?: { slid: SlidWindow; changedPaths: string[] }): MappedWindow {
  // A kept row is in both windows: it is parsed once.
  const parsed = new Map<EdgeRow, EdgeCommit>();
  const commitOf = (row: EdgeRow): EdgeCommit => {
    let commit = parsed.get(row);
    if (!commit) {
      commit = { sha: row.sha, email: row.email, date: row.date, files: row.files ? row.files.split('\n') : [], renames: row.renames === '[]' ? undefined : (JSON.parse(row.renames) as Array<{ from: string; to: string }>) };
      parsed.set(row, commit);
    }
    return commit;
  };
  const history = mapHistory(window.map(commitOf));
  if (!previous) return { history };
  const { slid } = previous;
  // Without a rename among the commits that came or went, the old window need not be mapped again.
  const added = new Set(slid.added.map((row) => row.sha));
  const commits = {
    added: slid.added.map(commitOf),
    dropped: slid.dropped.map(commitOf),
    kept: window.filter((row) => !added.has(row.sha)).map(commitOf),
  };
  const historyOf = slidPathsChanged(commits, history) ?? historyPathsChanged(mapHistory(slid.before.map(commitOf)), history);
  for (const path of previous.changedPaths) historyOf.add(path);
  return { history, historyOf };
}

/**
 * Import edges of the files that resolve in this run (all of them in a full run; see
 * `importEdges`), and co-change and author edges from the history window (those of
 * `window.historyOf` only, when given), sorted by kind, source and target. Yields to the event
 * loop now and then, so writes started before keep going.
 */
async function deriveEdges(files: ImportFile[], window: MappedWindow, previousImports?: PreviousImports): Promise<ImportEdges> {
  for (let i = 0; i < 3; i += 1) await yieldToLoop();
  const { resolved, edges, lookups } = await importEdges(files, previousImports);
  await yieldToLoop();
  const knownPaths = new Set(files.map((file) => file.path));
  for (const edge of historyEdges(window.history, { knownPaths, only: window.historyOf })) edges.push({ kind: edge.kind, src: edge.src, dst: edge.dst, weight: edge.weight });
  edges.sort(compareEdges);
  return { resolved, edges, lookups };
}
