import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HashingEmbedder } from '../ai/hashing-embedder.ts';
import { errorMessage, ScoutError } from '../errors.ts';
import { computeMetrics } from '../eval/metrics.ts';
import { indexRepository, type IndexOptions, type IndexPhase, type IndexSummary } from '../index/indexer.ts';
import type { WalkLimits } from '../index/types.ts';
import { DEFAULT_WALK_LIMITS } from '../index/walk.ts';
import { log as rootLog, type Logger } from '../log.ts';
import { processUsage } from '../process-usage.ts';
import { startHelper } from '../scm/launcher.ts';
import { RepoStore } from '../store/repo-store.ts';
import { runPipeline } from '../triage/pipeline.ts';
import { STAGES, type StageName } from '../triage/state.ts';
import { ISSUE_STYLES, type IssueStyle } from './synthetic-issues.ts';
import { SyntheticRepo } from './synthetic-repo.ts';

/**
 * `scout bench`: how fast repo-scout indexes and triages a realistic repository on this machine,
 * offline (hashing embedder, no model), so the numbers depend on the code and the machine only.
 * Generates the repository, indexes it in full, re-indexes after a one-file commit, and runs the
 * triage pipeline on generated issues, recording time and peak memory after each step.
 */

export class BenchError extends ScoutError {}

export interface BenchOptions {
  /** Files in the generated repository (default 3,000). */
  files?: number;
  /** Generated issues to triage (default 50). */
  issues?: number;
  /** Commits of generated history (default 200). */
  commits?: number;
  seed?: number;
  /** Keep the repository and the index in this (new or empty) folder instead of a temporary one. */
  keepDir?: string;
  limits?: WalkLimits;
  historyCommits?: number;
  /** Called as each step starts (the CLI prints it to stderr). */
  onStep?: (message: string) => void;
  logger?: Logger;
}

export interface LatencyStats {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  options: { files: number; issues: number; commits: number; seed: number };
  machine: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; totalMemoryMb: number };
  generate: {
    files: number;
    commits: number;
    /** Generated files the indexer is meant to skip (a lockfile, a binary, a vendored bundle). */
    designedToSkip: number;
    seconds: number;
    peakRssMb: number;
  };
  fullIndex: {
    files: number;
    /** Files the indexer left out (lockfile, binary, vendored bundle are generated on purpose). */
    skipped: number;
    skippedByReason: IndexSummary['skipped'];
    chunks: number;
    questions: number;
    historyCommits: number;
    edges: number;
    seconds: number;
    filesPerSecond: number;
    /** Milliseconds per indexing phase. */
    phaseMs: Partial<Record<IndexPhase, number>>;
    peakRssMb: number;
  };
  incremental: {
    changedPath: string;
    incremental: boolean;
    /** Files re-read by the incremental run. */
    changedFiles: number;
    seconds: number;
    /** Incremental time as a share of the full index time. */
    ratioPct: number;
    phaseMs: Partial<Record<IndexPhase, number>>;
    peakRssMb: number;
  };
  triage: {
    issues: number;
    /** The first run, which also loads the index's in-memory catalog. */
    coldMs: number;
    totalMs: LatencyStats;
    locateMs: LatencyStats;
    stageMs: Record<StageName, LatencyStats>;
    failedStages: Record<StageName, number>;
    peakRssMb: number;
    /** Hit rate on the generated issues, whose target file is known: a sanity figure, not an accuracy claim. */
    synthetic: {
      acc1: number;
      acc5: number;
      byStyle: Record<IssueStyle, { issues: number; acc1: number; acc5: number }>;
    };
  };
  /** Where the repository and index were kept (`--keep`). */
  keptAt?: string;
  /** Anything that makes the numbers suspect; the CLI exits non-zero when there is one. */
  problems: string[];
  seconds: number;
}

const REPO_ID = 'bench/synthetic';

function seconds(ms: number): number {
  return Math.round(ms / 10) / 100;
}

/** Nearest-rank percentiles, in whole milliseconds. */
export function latencyStats(values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { count: sorted.length, p50: rank(50), p95: rank(95), max: sorted[sorted.length - 1] ?? 0, mean: Math.round(mean * 10) / 10 };
}

async function workDir(keepDir: string | undefined): Promise<string> {
  if (!keepDir) return mkdtemp(path.join(os.tmpdir(), 'scout-bench-'));
  const dir = path.resolve(keepDir);
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new BenchError(`--keep ${keepDir}: the folder is not empty; give a new or empty folder.`);
  return dir;
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  // This process indexes, then runs git again once large, as the app's workers do (see launcher.ts).
  startHelper();
  const config = { files: options.files ?? 3000, issues: options.issues ?? 50, commits: options.commits ?? 200, seed: options.seed ?? 1 };
  if (config.files < 10) throw new BenchError('--files must be at least 10.');
  const logger = (options.logger ?? rootLog).child({ bench: true });
  const onStep = options.onStep ?? (() => {});
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    onStep(name);
    try {
      return await work();
    } catch (error) {
      if (error instanceof BenchError) throw error;
      throw new BenchError(`bench step "${name}" failed: ${errorMessage(error)}`, { cause: error });
    }
  };

  const root = await workDir(options.keepDir);
  const dataDir = path.join(root, 'data');
  const lancedbUri = path.join(dataDir, 'lancedb');
  const embedder = new HashingEmbedder();
  const problems: string[] = [];
  try {
    const cpus = os.cpus();
    const machine = {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    };

    // 1. The repository.
    const generateStarted = performance.now();
    const synthetic = await step(`generating a repository of ${config.files} files and ${config.commits} commits`, () =>
      SyntheticRepo.generate({ files: config.files, commits: config.commits, issues: config.issues, seed: config.seed, dir: path.join(root, 'repo') }),
    );
    const generate = {
      files: synthetic.files.length,
      commits: synthetic.commitCount,
      designedToSkip: synthetic.expectedSkipped.length,
      seconds: seconds(performance.now() - generateStarted),
      peakRssMb: processUsage().peakRssMb,
    };

    const indexOptions: IndexOptions = {
      repoPath: synthetic.dir,
      repoId: REPO_ID,
      dataDir,
      lancedbUri,
      limits: options.limits ?? DEFAULT_WALK_LIMITS,
      historyCommits: options.historyCommits ?? 5000,
      embedder,
      logger,
    };

    // 2. Full index.
    const full = await step('full index', () => indexRepository(indexOptions));
    const skipped = Object.values(full.skipped).reduce((sum, n) => sum + (n ?? 0), 0);
    const fullIndex = {
      files: full.files,
      skipped,
      skippedByReason: full.skipped,
      chunks: full.chunks,
      questions: full.questions,
      historyCommits: full.historyCommits,
      edges: full.edges,
      seconds: seconds(full.ms),
      filesPerSecond: Math.round((full.files / Math.max(full.ms, 1)) * 1000 * 10) / 10,
      phaseMs: full.timings ?? {},
      peakRssMb: processUsage().peakRssMb,
    };
    if (full.incremental) problems.push('the full index ran incrementally: the data folder was not empty');
    if (full.files + skipped !== generate.files) problems.push(`indexed ${full.files} + skipped ${skipped} files, but ${generate.files} were generated`);
    for (const warning of full.warnings) problems.push(`full index: ${warning}`);

    // 3. Incremental index after a one-file commit.
    const change = await step('one-file commit', () => synthetic.commitOneFileChange());
    const again = await step('incremental index', () => indexRepository(indexOptions));
    const incremental = {
      changedPath: change.path,
      incremental: again.incremental,
      changedFiles: again.changedFiles,
      seconds: seconds(again.ms),
      ratioPct: Math.round((again.ms / Math.max(full.ms, 1)) * 1000) / 10,
      phaseMs: again.timings ?? {},
      peakRssMb: processUsage().peakRssMb,
    };
    if (!again.incremental) problems.push(`the re-index after a one-file commit was a full rebuild (${again.rebuildReason ?? 'no reason given'})`);
    if (again.changedFiles !== 1) problems.push(`the re-index after a one-file commit re-read ${again.changedFiles} files, not 1`);
    if (again.commit !== change.commit) problems.push(`the re-index is at ${again.commit.slice(0, 12)}, not the new commit ${change.commit.slice(0, 12)}`);

    // 4. Triage latency: the pipeline on an opened, pinned store, every run computed afresh.
    const triage = await step(`triaging ${synthetic.issues.length} issues`, async () => {
      const store = await RepoStore.open(lancedbUri, REPO_ID);
      try {
        const meta = await store.readMeta();
        if (!meta) throw new BenchError('the index has no meta record after indexing');
        await store.pinTo(meta);
        const totals: number[] = [];
        const stageTimes = Object.fromEntries(STAGES.map((stage) => [stage, [] as number[]])) as Record<StageName, number[]>;
        const failedStages = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<StageName, number>;
        const firstFailure = new Map<StageName, string>();
        const rankings: Array<{ style: IssueStyle; gold: string[]; ranked: string[] }> = [];
        for (const issue of synthetic.issues) {
          const runStarted = performance.now();
          const result = await runPipeline({
            store,
            repoPath: synthetic.dir,
            commit: meta.indexedCommit,
            issue: { repo: REPO_ID, number: issue.number, title: issue.title, body: issue.body },
            embedder,
            fresh: true,
            logger,
          });
          totals.push(performance.now() - runStarted);
          for (const stage of STAGES) {
            const record = result.state.stages[stage];
            if (record.ms !== undefined && record.status !== 'skipped') stageTimes[stage].push(record.ms);
            if (record.status === 'failed') {
              failedStages[stage] += 1;
              if (!firstFailure.has(stage)) firstFailure.set(stage, record.error ?? 'no reason given');
            }
          }
          rankings.push({ style: issue.style, gold: [issue.target], ranked: (result.state.files ?? []).map((file) => file.path) });
        }
        for (const [stage, error] of firstFailure) problems.push(`the ${stage} stage failed on ${failedStages[stage]} of ${synthetic.issues.length} issues (first: ${error})`);
        const overall = computeMetrics(rankings);
        const byStyle = Object.fromEntries(
          ISSUE_STYLES.map((style) => {
            const metrics = computeMetrics(rankings.filter((row) => row.style === style));
            return [style, { issues: metrics.rows, acc1: round1(metrics.acc[1]), acc5: round1(metrics.acc[5]) }];
          }),
        ) as BenchReport['triage']['synthetic']['byStyle'];
        return {
          issues: synthetic.issues.length,
          coldMs: Math.round(totals[0] ?? 0),
          totalMs: latencyStats(totals.map(Math.round)),
          locateMs: latencyStats(stageTimes.locate),
          stageMs: Object.fromEntries(STAGES.map((stage) => [stage, latencyStats(stageTimes[stage])])) as Record<StageName, LatencyStats>,
          failedStages,
          peakRssMb: processUsage().peakRssMb,
          synthetic: { acc1: round1(overall.acc[1]), acc5: round1(overall.acc[5]), byStyle },
        };
      } finally {
        store.close();
      }
    });

    return {
      version: 1,
      startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
      options: config,
      machine,
      generate,
      fullIndex,
      incremental,
      triage,
      keptAt: options.keepDir ? root : undefined,
      problems,
      seconds: seconds(performance.now() - started),
    };
  } finally {
    if (!options.keepDir) await rm(root, { recursive: true, force: true });
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
