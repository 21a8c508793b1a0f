import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../ai/embedder.ts';
import type { ChatModel } from '../ai/llm.ts';
import { HashingEmbedder } from '../ai/hashing-embedder.ts';
import { indexRepository } from '../index/indexer.ts';
import { tokenize } from '../index/tokenize.ts';
import type { WalkLimits } from '../index/types.ts';
import { log } from '../log.ts';
import { processUsage } from '../process-usage.ts';
import { openGitRepo, type GitRepo } from '../scm/git.ts';
import { startHelper } from '../scm/launcher.ts';
import { RepoStore, type IndexMeta } from '../store/repo-store.ts';
import { fileTextIndex, locateFiles, type LocateResult, type SignalWeights } from '../triage/stages/locate.ts';
import { understandIssue } from '../triage/stages/understand.ts';
import { goldFiles, type EvalRow } from './dataset.ts';
import { computeMetrics, type Metrics } from './metrics.ts';

export interface EvalOptions {
  rows: EvalRow[];
  /** owner/name → git directory. */
  repoDirs: Map<string, string>;
  dataDir: string;
  limits: WalkLimits;
  historyCommits: number;
  embedder?: Embedder;
  weights?: Partial<SignalWeights>;
  onRow?: (done: number, total: number, row: EvalRow) => void;
  /** With `--model`: query rewriting and reranking by the configured chat models. */
  chat?: ChatModel;
  /** Keep each signal's ranking per row (for tuning the fusion offline). */
  debugSignals?: boolean;
}

export interface EvalRowResult {
  instance_id: string;
  repo: string;
  gold: string[];
  scout: string[];
  baseline: string[];
  locateMs: number;
  signals?: LocateResult['signals'];
  demotions?: LocateResult['demotions'];
  /** The index version the row was located against (LanceDB keeps it), so `--relocate` can re-run locate alone. */
  index?: Pick<IndexMeta, 'indexedCommit' | 'tableVersions'>;
}

export interface RepoReport {
  repo: string;
  rows: number;
  skipped: Array<{ instance_id: string; reason: string }>;
  scout: Metrics;
  baseline: Metrics;
  indexFullMs?: number;
  indexIncrementalMs: number[];
}

export interface EvalReport {
  overall: { scout: Metrics; baseline: Metrics; rows: number; skipped: number; locateP50Ms: number; locateP95Ms: number; peakRssMb: number };
  repos: RepoReport[];
  rows: EvalRowResult[];
}

/** Finds `owner/name` under `--repos DIR` as `DIR/owner+name` (a git dir, bare or not, or a folder holding one at `repo/`). */
export function findRepoDir(reposDir: string, repo: string): string | undefined {
  const base = path.join(reposDir, repo.replace('/', '+'));
  for (const candidate of [path.join(base, 'repo'), base]) {
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  return undefined;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function commitTime(repo: GitRepo, sha: string): Promise<number | undefined> {
  try {
    const out = await repo.log({ commit: sha, maxCount: 1, format: '%ct' });
    const seconds = Number(out.trim());
    return Number.isFinite(seconds) && out.trim() !== '' ? seconds : undefined;
  } catch {
    return undefined;
  }
}

/** repo-scout's and the baseline's metrics over the same rows. */
function metricsOf(rows: EvalRowResult[]): { scout: Metrics; baseline: Metrics } {
  return {
    scout: computeMetrics(rows.map((r) => ({ gold: r.gold, ranked: r.scout }))),
    baseline: computeMetrics(rows.map((r) => ({ gold: r.gold, ranked: r.baseline }))),
  };
}

/** Locates one row against the index version `pick` chooses, with the BM25 baseline on the same version. */
async function locateRow(
  options: Pick<EvalOptions, 'dataDir' | 'weights' | 'debugSignals' | 'chat'> & { embedder: Embedder },
  row: EvalRow,
  gold: string[],
  pick: (store: RepoStore) => Promise<Pick<IndexMeta, 'indexedCommit' | 'tableVersions'> | undefined>,
): Promise<EvalRowResult> {
  const store = await RepoStore.open(path.join(options.dataDir, 'lancedb'), `eval/${row.repo}`);
  try {
    const meta = await pick(store);
    if (meta) await store.pinTo(meta);
    const [title, ...rest] = row.problem_statement.split('\n');
    const started = performance.now();
    const located = await locateFiles({ store, embedder: options.embedder, facts: understandIssue(title, rest.join('\n')), weights: options.weights, debugSignals: options.debugSignals, chat: options.chat });
    const locateMs = performance.now() - started;
    const baselineRows = (await fileTextIndex(store)).search(tokenize(row.problem_statement), 20).map((hit) => ({ path: hit.id }));
    return {
      instance_id: row.instance_id,
      repo: row.repo,
      gold,
      scout: located.files.slice(0, 20).map((f) => f.path),
      baseline: baselineRows.map((r) => r.path),
      locateMs: Math.round(locateMs),
      signals: located.signals,
      demotions: located.demotions,
      index: meta ? { indexedCommit: meta.indexedCommit, tableVersions: meta.tableVersions } : undefined,
    };
  } finally {
    store.close();
  }
}

/**
 * Re-runs locate alone over the rows of an earlier report, each against the index version it was
 * located on then (for tuning: no indexing, same answers as the full run for unchanged code).
 */
export async function relocateEval(options: Omit<EvalOptions, 'repoDirs' | 'limits' | 'historyCommits'> & { previous: EvalReport }): Promise<EvalReport> {
  const byId = new Map(options.rows.map((row) => [row.instance_id, row]));
  const embedder = options.embedder ?? new HashingEmbedder();
  const pairs = options.previous.rows.flatMap((earlier) => {
    const row = byId.get(earlier.instance_id);
    return row ? [{ earlier, row }] : [];
  });
  const results: EvalRowResult[] = [];
  const skipped = new Map<string, Array<{ instance_id: string; reason: string }>>();
  for (const [done, { earlier, row }] of pairs.entries()) {
    options.onRow?.(done, pairs.length, row);
    if (!earlier.index) {
      skipped.set(row.repo, [...(skipped.get(row.repo) ?? []), { instance_id: row.instance_id, reason: 'the earlier report does not record its index version' }]);
      continue;
    }
    results.push(await locateRow({ ...options, embedder }, row, earlier.gold, async () => earlier.index));
  }
  const repos: RepoReport[] = [...new Set(options.previous.rows.map((r) => r.repo))].map((repo) => {
    const mine = results.filter((r) => r.repo === repo);
    const before = options.previous.repos.find((r) => r.repo === repo);
    return {
      repo,
      rows: mine.length,
      skipped: [...(before?.skipped ?? []), ...(skipped.get(repo) ?? [])],
      ...metricsOf(mine),
      indexFullMs: before?.indexFullMs,
      indexIncrementalMs: before?.indexIncrementalMs ?? [],
    };
  });
  return { overall: summarise(results, repos), repos, rows: results };
}

function summarise(results: EvalRowResult[], reports: RepoReport[]): EvalReport['overall'] {
  const locateTimes = results.map((r) => r.locateMs);
  return {
    ...metricsOf(results),
    rows: results.length,
    skipped: reports.reduce((sum, r) => sum + r.skipped.length, 0),
    locateP50Ms: percentile(locateTimes, 50),
    locateP95Ms: percentile(locateTimes, 95),
    peakRssMb: processUsage().peakRssMb,
  };
}

/**
 * Runs locate and the BM25 baseline on every row, repository by repository, indexing each
 * repository incrementally from one base commit to the next as pushes would.
 */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  // One process indexes repository after repository and runs git all along, as the app's workers do (see launcher.ts).
  startHelper();
  const embedder = options.embedder ?? new HashingEmbedder();
  const byRepo = new Map<string, EvalRow[]>();
  for (const row of options.rows) byRepo.set(row.repo, [...(byRepo.get(row.repo) ?? []), row]);
  const reports: RepoReport[] = [];
  const results: EvalRowResult[] = [];
  let done = 0;
  for (const [repoName, rows] of byRepo) {
    const report: RepoReport = { repo: repoName, rows: 0, skipped: [], ...metricsOf([]), indexIncrementalMs: [] };
    reports.push(report);
    const dir = options.repoDirs.get(repoName);
    const skipAll = (reason: string) => {
      for (const row of rows) report.skipped.push({ instance_id: row.instance_id, reason });
      done += rows.length;
    };
    if (!dir) {
      skipAll(`repository ${repoName} not found (fetch it and pass --repos DIR or --repo ${repoName}=GITDIR)`);
      continue;
    }
    let repo: GitRepo;
    try {
      repo = await openGitRepo(dir);
    } catch (error) {
      skipAll(`${dir}: ${(error as Error).message}`);
      continue;
    }
    // Base-commit order, as a live repository moves forward.
    const timed = await Promise.all(rows.map(async (row) => ({ row, time: await commitTime(repo, row.base_commit) })));
    for (const { row, time } of timed) {
      if (time === undefined) report.skipped.push({ instance_id: row.instance_id, reason: `base commit ${row.base_commit.slice(0, 12)} not in ${dir}` });
    }
    const ordered = timed.filter((t) => t.time !== undefined).sort((a, b) => a.time! - b.time!);
    done += rows.length - ordered.length;
    const repoResults: EvalRowResult[] = [];
    for (const { row } of ordered) {
      options.onRow?.(done, options.rows.length, row);
      done += 1;
      let summary: Awaited<ReturnType<typeof indexRepository>>;
      try {
        summary = await indexRepository({
        repoPath: dir,
        commit: row.base_commit,
        repoId: `eval/${repoName}`,
        dataDir: options.dataDir,
        lancedbUri: path.join(options.dataDir, 'lancedb'),
        limits: options.limits,
        historyCommits: options.historyCommits,
        embedder,
        logger: log.child({ eval: row.instance_id }),
        });
      } catch (error) {
        // One broken commit (a mirror missing objects, say) costs its row, not the run.
        report.skipped.push({ instance_id: row.instance_id, reason: `indexing failed: ${(error as Error).message}` });
        continue;
      }
      if (summary.incremental) {
        if (summary.changedFiles > 0 || summary.deletedFiles > 0) report.indexIncrementalMs.push(summary.ms);
      } else report.indexFullMs ??= summary.ms;
      const tree = new Set((await repo.listTree(row.base_commit)).map((entry) => entry.path));
      const gold = goldFiles(row, (p) => tree.has(p));
      if (gold.length === 0) {
        report.skipped.push({ instance_id: row.instance_id, reason: 'no gold file exists at the base commit' });
        continue;
      }
      const result = await locateRow({ ...options, embedder }, row, gold, async (store) => store.readMeta());
      repoResults.push(result);
      results.push(result);
    }
    report.rows = repoResults.length;
    Object.assign(report, metricsOf(repoResults));
  }
  return { overall: summarise(results, reports), repos: reports, rows: results };
}

const fmt = (value: number) => value.toFixed(1);

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  py: 'Python', js: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript', jsx: 'JavaScript', ts: 'TypeScript', tsx: 'TypeScript',
  go: 'Go', java: 'Java', rs: 'Rust', rb: 'Ruby', php: 'PHP', c: 'C/C++', h: 'C/C++', cc: 'C/C++', cpp: 'C/C++', cs: 'C#', kt: 'Kotlin', swift: 'Swift',
};

/** Rows grouped by the language of their first gold source file (type declarations and config do not count). */
function rowsByLanguage(rows: EvalRowResult[]): Map<string, EvalRowResult[]> {
  const groups = new Map<string, EvalRowResult[]>();
  for (const row of rows) {
    const languages = row.gold
      .filter((path) => !/\.d\.[cm]?ts$/.test(path))
      .map((path) => LANGUAGE_BY_EXTENSION[path.split('.').pop()?.toLowerCase() ?? '']);
    const language = languages.find(Boolean) ?? 'other';
    groups.set(language, [...(groups.get(language) ?? []), row]);
  }
  return groups;
}
const diff = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)}`;

function metricCells(m: Metrics): string[] {
  return [fmt(m.acc[1]), fmt(m.acc[3]), fmt(m.acc[5]), fmt(m.acc[10]), m.mrr.toFixed(3), fmt(m.recall10)];
}

/** Markdown tables: per repository and overall, repo-scout against the BM25 baseline of the same run. */
export function formatReport(report: EvalReport): string {
  const header = '| repo | rows | skipped | system | Acc@1 | Acc@3 | Acc@5 | Acc@10 | MRR | R@10 | index full s | index incr. s (median) |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = [header, rule];
  for (const repo of report.repos) {
    const incr = percentile(repo.indexIncrementalMs, 50);
    lines.push(`| ${repo.repo} | ${repo.rows} | ${repo.skipped.length} | repo-scout | ${metricCells(repo.scout).join(' | ')} | ${repo.indexFullMs !== undefined ? (repo.indexFullMs / 1000).toFixed(1) : '–'} | ${repo.indexIncrementalMs.length ? (incr / 1000).toFixed(2) : '–'} |`);
    lines.push(`| | | | BM25 | ${metricCells(repo.baseline).join(' | ')} | | |`);
  }
  const o = report.overall;
  lines.push(`| **overall** | ${o.rows} | ${o.skipped} | repo-scout | ${metricCells(o.scout).join(' | ')} | | |`);
  lines.push(`| | | | BM25 | ${metricCells(o.baseline).join(' | ')} | | |`);
  lines.push(
    `| | | | difference | ${diff(o.scout.acc[1], o.baseline.acc[1])} | ${diff(o.scout.acc[3], o.baseline.acc[3])} | ${diff(o.scout.acc[5], o.baseline.acc[5])} | ${diff(o.scout.acc[10], o.baseline.acc[10])} | ${(o.scout.mrr - o.baseline.mrr).toFixed(3)} | ${diff(o.scout.recall10, o.baseline.recall10)} | | |`,
  );
  lines.push('', '| language | rows | repo-scout Acc@1/5/10 | BM25 Acc@1/5/10 |', '|---|---|---|---|');
  for (const [language, rows] of rowsByLanguage(report.rows)) {
    const { scout, baseline } = metricsOf(rows);
    const cells = (m: Metrics) => `${fmt(m.acc[1])} / ${fmt(m.acc[5])} / ${fmt(m.acc[10])}`;
    lines.push(`| ${language} | ${rows.length} | ${cells(scout)} | ${cells(baseline)} |`);
  }
  lines.push('', `locate p50 ${o.locateP50Ms} ms · p95 ${o.locateP95Ms} ms · peak RSS ${o.peakRssMb} MB`);
  const skipped = report.repos.flatMap((r) => r.skipped);
  if (skipped.length > 0) {
    lines.push('', 'Skipped:');
    for (const s of skipped.slice(0, 30)) lines.push(`- ${s.instance_id}: ${s.reason}`);
    if (skipped.length > 30) lines.push(`- … and ${skipped.length - 30} more`);
  }
  return lines.join('\n');
}
