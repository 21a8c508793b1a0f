import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../errors.ts';
import { indexRepository, type IndexOptions, type IndexPhase } from '../index/indexer.ts';
import { log } from '../log.ts';
import { startHelper } from '../scm/launcher.ts';
import { median } from '../median.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { RepoStore } from '../store/repo-store.ts';
import { INDEX_TABLES, type FileRow, type IndexTable } from '../store/schema.ts';
import { BenchError } from './bench.ts';

/**
 * `scout bench-index`: how an incremental index run compares with a full one on a real
 * repository. Indexes `base` in full, then (each run from a copy of that index, in a new process,
 * as a push would find it) brings it to `head`; and checks that the incremental index holds
 * exactly the rows of a full index at `head`.
 */

export interface IndexBenchOptions {
  /** A git repository (work tree, `.git` dir or bare). */
  repo: string;
  base: string;
  head: string;
  /** Incremental runs (the median is reported). Default 5. */
  runs?: number;
  /** Compare the incremental index with a full one at `head` (default true). */
  verify?: boolean;
  /**
   * Also index in this one process, as the app's long-lived index worker does: a full index at
   * `base`, then the updates to `head` (from copies of it), with the parsers loaded and the code
   * compiled by then. The options are those of `scout index` (models, limits, history depth).
   */
  warm?: Omit<IndexOptions, 'repoPath' | 'commit' | 'dataDir' | 'lancedbUri'>;
  onStep?: (message: string) => void;
}

/** What one `scout index --json` process reported. */
export interface IndexRun {
  ms: number;
  /** From spawning the process to its exit: adds Node's start and module loading to `ms`. */
  wallMs: number;
  peakRssMb: number;
  /** The whole process's CPU time (all threads) and page faults, as `scout index --json` reports them. */
  cpuMs?: number;
  pageFaults?: number;
  files: number;
  chunks: number;
  questions: number;
  historyCommits: number;
  edges: number;
  incremental: boolean;
  timings: Partial<Record<IndexPhase, number>>;
}

export interface IndexBenchReport {
  repo: string;
  base: string;
  head: string;
  full: IndexRun;
  incremental: { runs: IndexRun[]; medianMs: number; minMs: number; maxMs: number; medianWallMs: number; ratio: number };
  /** The same in one long-lived process (`warm`): the full run there, and the updates after it. */
  warm?: { fullMs: number; runs: Array<Pick<IndexRun, 'ms' | 'timings'>>; medianMs: number; minMs: number; maxMs: number; ratio: number };
  /** Per table: whether the incremental index holds the same rows as a full index at `head`. */
  identical?: Record<IndexTable, { same: boolean; incremental: number; full: number }>;
  /** How much of the index the push changed (from the full indexes at `base` and `head`). */
  change?: IndexChange;
}

export interface IndexChange {
  /** Indexed files at `head` that are new or whose content changed. */
  files: number;
  bytes: number;
  /** Indexed files at `base` that are gone at `head`. */
  removed: number;
  /** Every indexed file's bytes at `head`. */
  indexedBytes: number;
}

const SCOUT = path.join(PROJECT_ROOT, 'bin', 'scout.js');

/** Runs `scout index --json` in a new process (a push is indexed by a fresh process, with cold caches). */
async function runIndex(repo: string, commit: string, dataDir: string): Promise<IndexRun & { repo: string }> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [SCOUT, 'index', repo, '--commit', commit, '--data-dir', dataDir, '--json'], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
  });
  const wallMs = Math.round(performance.now() - started);
  const line = stdout.split('\n').find((l) => l.startsWith('{"repo"'));
  if (code !== 0 || !line) throw new BenchError(`scout index ${commit.slice(0, 12)} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
  const summary = JSON.parse(line) as IndexRun & { repo: string };
  return { ...summary, wallMs };
}

function rowDigest(row: Record<string, unknown>): string {
  const hash = createHash('sha1');
  for (const key of Object.keys(row).sort()) {
    const value = row[key];
    hash.update(`${key}\0`);
    if (value && typeof value === 'object' && 'length' in value) hash.update(Buffer.from(Float32Array.from(value as ArrayLike<number>).buffer));
    else hash.update(JSON.stringify(value) ?? 'undefined');
    hash.update('\x01');
  }
  return hash.digest('hex');
}

/** Every index table's rows compared as sets of row digests (row order differs between full and incremental runs). */
export async function compareIndexes(a: { uri: string; repoId: string }, b: { uri: string; repoId: string }): Promise<NonNullable<IndexBenchReport['identical']>> {
  const result = {} as NonNullable<IndexBenchReport['identical']>;
  const [storeA, storeB] = await Promise.all([RepoStore.open(a.uri, a.repoId), RepoStore.open(b.uri, b.repoId)]);
  try {
    for (const table of INDEX_TABLES) {
      const [rowsA, rowsB] = await Promise.all([storeA.readRows<Record<string, unknown>>(table), storeB.readRows<Record<string, unknown>>(table)]);
      const digestsA = rowsA.map(rowDigest).sort();
      const digestsB = rowsB.map(rowDigest).sort();
      result[table] = { same: digestsA.length === digestsB.length && digestsA.every((d, i) => d === digestsB[i]), incremental: rowsA.length, full: rowsB.length };
    }
  } finally {
    storeA.close();
    storeB.close();
  }
  return result;
}

/** What a push changed of an index: the files of `head` new or changed since `base`, and their bytes. */
export async function indexChange(base: { uri: string; repoId: string }, head: { uri: string; repoId: string }): Promise<IndexChange> {
  type Row = Pick<FileRow, 'path' | 'blob_sha' | 'size'>;
  const read = (at: { uri: string; repoId: string }) => RepoStore.using(at.uri, at.repoId, (store) => store.readColumns<Row>('files', { columns: ['path', 'blob_sha', 'size'] }));
  const [before, after] = await Promise.all([read(base), read(head)]);
  const blobs = new Map(before.map((row) => [row.path, row.blob_sha]));
  const changed = after.filter((row) => blobs.get(row.path) !== row.blob_sha);
  const paths = new Set(after.map((row) => row.path));
  return {
    files: changed.length,
    bytes: changed.reduce((sum, row) => sum + row.size, 0),
    removed: before.filter((row) => !paths.has(row.path)).length,
    indexedBytes: after.reduce((sum, row) => sum + row.size, 0),
  };
}

export async function runIndexBench(options: IndexBenchOptions): Promise<IndexBenchReport> {
  const runs = options.runs ?? 5;
  const step = options.onStep ?? (() => {});
  const work = await mkdtemp(path.join(os.tmpdir(), 'scout-bench-index-'));
  try {
    step(`full index at ${options.base.slice(0, 12)}`);
    const full = await runIndex(options.repo, options.base, path.join(work, 'base'));
    const incremental = await updates(
      runs,
      path.join(work, 'base'),
      path.join(work, 'incremental'),
      (dir, i) => {
        step(`incremental run ${i + 1}/${runs} to ${options.head.slice(0, 12)}`);
        return runIndex(options.repo, options.head, dir);
      },
      () => `the run to ${options.head.slice(0, 12)} was not incremental (is ${options.base.slice(0, 12)} an ancestor, with the same settings?)`,
    );
    let identical: IndexBenchReport['identical'];
    let change: IndexChange | undefined;
    if (options.verify !== false) {
      step(`full index at ${options.head.slice(0, 12)}, to compare`);
      const reference = await runIndex(options.repo, options.head, path.join(work, 'head'));
      identical = await compareIndexes(
        { uri: path.join(work, 'incremental', 'lancedb'), repoId: full.repo },
        { uri: path.join(work, 'head', 'lancedb'), repoId: reference.repo },
      );
      change = await indexChange({ uri: path.join(work, 'base', 'lancedb'), repoId: full.repo }, { uri: path.join(work, 'head', 'lancedb'), repoId: reference.repo });
    }
    const warm = options.warm ? await warmRuns(options, options.warm, path.join(work, 'warm'), runs, step) : undefined;
    const runOf = ({ ms, wallMs, peakRssMb, cpuMs, pageFaults, files, chunks, questions, historyCommits, edges, incremental, timings }: IndexRun): IndexRun => ({
      ms, wallMs, peakRssMb, cpuMs, pageFaults, files, chunks, questions, historyCommits, edges, incremental, timings,
    });
    return {
      repo: options.repo,
      base: options.base,
      head: options.head,
      full: runOf(full),
      incremental: {
        runs: incremental.map(runOf),
        ...timesOf(incremental.map((run) => run.ms), full.ms),
        medianWallMs: median(incremental.map((run) => run.wallMs)) ?? 0,
      },
      warm,
      identical,
      change,
    };
  } catch (error) {
    if (error instanceof BenchError) throw error;
    throw new BenchError(`bench-index failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A full index at `base` and `runs` updates to `head`, all in this process (see `IndexBenchOptions.warm`). */
async function warmRuns(
  options: IndexBenchOptions,
  indexOptions: NonNullable<IndexBenchOptions['warm']>,
  work: string,
  runs: number,
  step: (message: string) => void,
): Promise<NonNullable<IndexBenchReport['warm']>> {
  // As quiet as the `scout index` processes (LOG_LEVEL=warn): the report is the output.
  const quiet = log.child({ bench: 'index' }, { level: 'warn' });
  const index = (commit: string, dataDir: string) =>
    indexRepository({ logger: quiet, ...indexOptions, repoPath: options.repo, commit, dataDir, lancedbUri: path.join(dataDir, 'lancedb') });
  // As the app's workers do (see launcher.ts).
  startHelper();
  step(`in this process: full index at ${options.base.slice(0, 12)}`);
  const base = path.join(work, 'base');
  const full = await index(options.base, base);
  const done = await updates(
    runs,
    base,
    path.join(work, 'incremental'),
    (dir, i) => {
      step(`in this process: update ${i + 1}/${runs} to ${options.head.slice(0, 12)}`);
      return index(options.head, dir);
    },
    (update) => `the in-process run to ${options.head.slice(0, 12)} was not incremental: ${update.rebuildReason ?? 'no reason given'}`,
  );
  const ms = done.map((update) => update.ms);
  return { fullMs: full.ms, runs: done.map((update) => ({ ms: update.ms, timings: update.timings ?? {} })), ...timesOf(ms, full.ms) };
}

/** `runs` updates, each of a fresh copy (at `dir`) of the index in `base`; every one must be incremental. */
async function updates<Run extends { incremental: boolean }>(
  runs: number,
  base: string,
  dir: string,
  update: (dir: string, i: number) => Promise<Run>,
  notIncremental: (run: Run) => string,
): Promise<Run[]> {
  const done: Run[] = [];
  for (let i = 0; i < runs; i += 1) {
    await rm(dir, { recursive: true, force: true });
    await cp(base, dir, { recursive: true });
    const run = await update(dir, i);
    if (!run.incremental) throw new BenchError(notIncremental(run));
    done.push(run);
  }
  return done;
}

/** The updates' median, range and median as a share of the full run. */
function timesOf(ms: number[], fullMs: number): { medianMs: number; minMs: number; maxMs: number; ratio: number } {
  const medianMs = median(ms) ?? 0;
  return { medianMs, minMs: Math.min(...ms), maxMs: Math.max(...ms), ratio: medianMs / fullMs };
}

export function formatIndexBenchReport(report: IndexBenchReport): string {
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
  const runs = report.incremental.runs;
  const phases = Object.keys(runs[0]?.timings ?? {}) as IndexPhase[];
  const lines = [
    `Full index at ${report.base.slice(0, 12)}: ${report.full.ms} ms (process ${report.full.wallMs} ms), peak RSS ${report.full.peakRssMb} MB`,
    `  files ${report.full.files} · chunks ${report.full.chunks} · questions ${report.full.questions} · history commits ${report.full.historyCommits} · edges ${report.full.edges}`,
    `Incremental to ${report.head.slice(0, 12)}: median ${report.incremental.medianMs} ms of ${runs.length} runs (${report.incremental.minMs}-${report.incremental.maxMs}; process ${report.incremental.medianWallMs} ms), peak RSS ${Math.max(...runs.map((r) => r.peakRssMb))} MB`,
    `  = ${pct(report.incremental.ratio)} of the full run`,
    `  phases (median ms): ${phases.map((phase) => `${phase} ${median(runs.map((r) => r.timings[phase] ?? 0)) ?? 0}`).join(' · ')}`,
  ];
  const cpu = median(runs.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs])));
  const faults = median(runs.flatMap((r) => (r.pageFaults === undefined ? [] : [r.pageFaults])));
  if (cpu !== undefined && faults !== undefined && report.full.cpuMs !== undefined) {
    // Steadier than times on a machine whose speed drifts: compare these between runs of a day.
    lines.push(`  whole process (median): CPU ${cpu} ms (full run ${report.full.cpuMs} ms) · ${faults} page faults (full run ${report.full.pageFaults})`);
  }
  if (report.warm) {
    lines.push(
      `In one process (as the app's index worker): full ${report.warm.fullMs} ms, update median ${report.warm.medianMs} ms of ${report.warm.runs.length} (${report.warm.minMs}-${report.warm.maxMs})`,
      `  = ${pct(report.warm.ratio)} of that full run`,
    );
  }
  if (report.change) {
    const { files, bytes, removed, indexedBytes } = report.change;
    const share = indexedBytes > 0 ? bytes / indexedBytes : 0;
    lines.push(
      `  the push changed ${files} indexed files (${(bytes / 1e6).toFixed(2)} MB = ${pct(share)} of the ${(indexedBytes / 1e6).toFixed(1)} MB indexed) and removed ${removed}` +
        (share > 0 ? `; the update cost ${(report.incremental.ratio / share).toFixed(2)}× a full run's time per byte changed` : ''),
    );
  }
  if (report.identical) {
    const differing = Object.entries(report.identical).filter(([, t]) => !t.same);
    lines.push(
      differing.length === 0
        ? `  rows identical to a full index at ${report.head.slice(0, 12)} (${Object.entries(report.identical).map(([name, t]) => `${name} ${t.full}`).join(', ')})`
        : `  ROWS DIFFER from a full index at ${report.head.slice(0, 12)}: ${differing.map(([name, t]) => `${name} (${t.incremental} vs ${t.full})`).join(', ')}`,
    );
  }
  return lines.join('\n');
}
