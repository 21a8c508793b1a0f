import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BenchError, latencyStats, runBench, type BenchReport } from '../../src/bench/bench.ts';
import { formatBenchReport } from '../../src/bench/format-report.ts';
import { SyntheticRepo } from '../../src/bench/synthetic-repo.ts';
import { git } from '../helpers/git-fixture.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-bench-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the synthetic repository', () => {
  test('is deterministic: the same seed gives the same commits and issues', async () => {
    const options = { files: 40, commits: 6, issues: 3, seed: 7 };
    const [first, second] = [await SyntheticRepo.generate(options), await SyntheticRepo.generate(options)];
    cleanups.push(() => first.cleanup(), () => second.cleanup());
    const head = async (repo: SyntheticRepo) => (await git(repo.dir, ['rev-parse', 'HEAD'])).trim();
    expect(await head(first)).toBe(await head(second));
    expect(first.issues).toEqual(second.issues);
    expect(Number((await git(first.dir, ['rev-list', '--count', 'HEAD'])).trim())).toBe(6);
    expect((await git(first.dir, ['ls-files'])).trim().split('\n')).toHaveLength(40);
  });

  test('issues are about their target: a stack trace points at the line that raises the message it quotes', async () => {
    const repo = await SyntheticRepo.generate({ files: 80, commits: 8, issues: 9, seed: 3 });
    cleanups.push(() => repo.cleanup());
    expect(repo.issues.map((issue) => issue.style)).toEqual(expect.arrayContaining(['error-message', 'behaviour', 'stack-trace']));
    for (const issue of repo.issues.filter((i) => i.style === 'stack-trace')) {
      const lines = (await readFile(path.join(repo.dir, issue.target), 'utf8')).split('\n');
      const frame = new RegExp(`${issue.target.replace(/[.]/g, '\\.')}(?:", line |:)(\\d+)`).exec(issue.body);
      expect(frame, issue.body).not.toBeNull();
      const raised = lines[Number(frame![1]) - 1];
      expect(raised).toMatch(/raise |throw new /);
      // The quoted message is the one that line raises.
      expect(issue.body).toContain(/["'](.+)["']\)/.exec(raised)![1]);
    }
  });

  test('a one-file change is one commit touching one file', async () => {
    const repo = await SyntheticRepo.generate({ files: 30, commits: 3, issues: 2 });
    cleanups.push(() => repo.cleanup());
    const change = await repo.commitOneFileChange();
    expect((await git(repo.dir, ['rev-parse', 'HEAD'])).trim()).toBe(change.commit);
    expect((await git(repo.dir, ['diff', '--name-only', 'HEAD~1', 'HEAD'])).trim()).toBe(change.path);
    expect((await git(repo.dir, ['status', '--porcelain'])).trim()).toBe('');
    expect(repo.issues.map((issue) => issue.target)).not.toContain(change.path);
  });
});

describe('runBench on a tiny configuration', () => {
  let report: BenchReport;

  test('reports every step, with sane numbers', async () => {
    const steps: string[] = [];
    report = await runBench({ files: 60, issues: 5, commits: 10, onStep: (step) => steps.push(step) });
    expect(steps).toHaveLength(5);
    expect(report.problems).toEqual([]);
    expect(report.options).toEqual({ files: 60, issues: 5, commits: 10, seed: 1 });
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);

    expect(report.generate).toMatchObject({ files: 60, commits: 10, designedToSkip: 3 });
    expect(report.fullIndex.skipped).toBe(report.generate.designedToSkip);
    expect(report.fullIndex.files).toBe(report.generate.files - report.fullIndex.skipped);
    expect(report.fullIndex.chunks).toBeGreaterThan(report.fullIndex.files);
    expect(report.fullIndex.historyCommits).toBe(10);
    expect(report.fullIndex.seconds).toBeGreaterThan(0);
    expect(report.fullIndex.filesPerSecond).toBeGreaterThan(0);
    expect(Object.keys(report.fullIndex.phaseMs)).toEqual(expect.arrayContaining(['walk', 'chunk', 'embed', 'write']));

    expect(report.incremental).toMatchObject({ incremental: true, changedFiles: 1 });
    expect(report.incremental.ratioPct).toBeGreaterThan(0);

    const { triage } = report;
    expect(triage.issues).toBe(5);
    expect(triage.totalMs.count).toBe(5);
    expect(triage.locateMs.count).toBe(5);
    for (const stats of [triage.totalMs, triage.locateMs]) {
      expect(stats.p50).toBeGreaterThan(0);
      expect(stats.p95).toBeGreaterThanOrEqual(stats.p50);
      expect(stats.max).toBeGreaterThanOrEqual(stats.p95);
    }
    expect(triage.locateMs.p50).toBeLessThanOrEqual(triage.totalMs.max);
    expect(Object.values(triage.failedStages)).toEqual([0, 0, 0, 0]);
    expect(triage.synthetic.acc5).toBeGreaterThanOrEqual(triage.synthetic.acc1);
    expect(triage.synthetic.byStyle['error-message'].issues + triage.synthetic.byStyle.behaviour.issues + triage.synthetic.byStyle['stack-trace'].issues).toBe(5);
    for (const rss of [report.generate.peakRssMb, report.fullIndex.peakRssMb, report.incremental.peakRssMb, triage.peakRssMb]) expect(rss).toBeGreaterThan(0);
    // Peak RSS only grows.
    expect(triage.peakRssMb).toBeGreaterThanOrEqual(report.generate.peakRssMb);
    expect(report.keptAt).toBeUndefined();
  });

  test('prints a compact table that labels the hit rate as synthetic', () => {
    const table = formatBenchReport(report);
    expect(table).toMatch(/^full index +[\d.]+ s +[\d.,]+ files\/s · 57 files \(skipped 3/m);
    expect(table).toMatch(/^incremental \(1-file commit\) .* re-read 1 file/m);
    expect(table).toMatch(/^triage \(5 issues\) .*p50 .* · p95 .* · max /m);
    expect(table).toMatch(/^ {2}locate stage /m);
    expect(table).toMatch(/synthetic Acc@1 .* not an accuracy claim/s);
    expect(table).not.toMatch(/problem:/);
  });
});

describe('runBench options', () => {
  test('--keep leaves the repository and index in the folder; a non-empty folder is refused', async () => {
    const keep = path.join(await tempDir(), 'kept');
    const report = await runBench({ files: 20, issues: 1, commits: 2, keepDir: keep });
    expect(report.keptAt).toBe(keep);
    expect((await git(path.join(keep, 'repo'), ['rev-list', '--count', 'HEAD'])).trim()).toBe('3');
    await expect(readFile(path.join(keep, 'repo', 'README.md'), 'utf8')).resolves.toMatch(/^# shop/);

    const busy = await tempDir();
    await writeFile(path.join(busy, 'precious.txt'), 'keep me');
    await expect(runBench({ files: 20, issues: 1, commits: 2, keepDir: busy })).rejects.toThrow(BenchError);
    await expect(readFile(path.join(busy, 'precious.txt'), 'utf8')).resolves.toBe('keep me');
  });

  test('latency percentiles are nearest-rank', () => {
    expect(latencyStats([5, 1, 4, 2, 3])).toEqual({ count: 5, p50: 3, p95: 5, max: 5, mean: 3 });
    expect(latencyStats(Array.from({ length: 100 }, (_, i) => i + 1))).toMatchObject({ p50: 50, p95: 95, max: 100 });
    expect(latencyStats([])).toEqual({ count: 0, p50: 0, p95: 0, max: 0, mean: 0 });
  });
});
