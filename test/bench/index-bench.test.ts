import { describe, expect, test } from 'vitest';
import { formatIndexBenchReport, runIndexBench } from '../../src/bench/index-bench.ts';
import { BenchError } from '../../src/bench/bench.ts';
import { makeRepo } from '../helpers/git-fixture.ts';

describe('scout bench-index', () => {
  test('times a full run and incremental runs in new processes (and in one process), and finds the incremental index identical to a full one', async () => {
    const repo = await makeRepo([
      {
        message: 'Add the shop',
        files: {
          'shop/__init__.py': '',
          'shop/pricing.py': 'def price(item):\n    """The price of an item."""\n    return item.cost * 2\n',
          'shop/cart.py': 'from shop.pricing import price\n\ndef total(items):\n    return sum(price(i) for i in items)\n',
          'web/app.ts': "import { render } from './view';\nexport function start(): void {\n  render();\n}\n",
          'web/view.ts': 'export function render(): void {\n  console.log("hi");\n}\n',
        },
      },
      { message: 'Discounts (#12)', files: { 'shop/pricing.py': 'def price(item, discount=0):\n    """The price of an item."""\n    return item.cost * 2 - discount\n', 'shop/discounts.py': 'from shop.pricing import price\n' } },
      { message: 'Drop the view', files: { 'web/view.ts': null, 'web/app.ts': 'export function start(): void {}\n' } },
    ]);
    try {
      const report = await runIndexBench({
        repo: repo.dir,
        base: repo.shas[0]!,
        head: repo.shas[2]!,
        runs: 1,
        warm: { limits: { maxFiles: 1000, maxFileBytes: 1_000_000, maxTotalBytes: 50_000_000 }, historyCommits: 100 },
      });
      expect(report.full.incremental).toBe(false);
      expect(report.incremental.runs).toHaveLength(1);
      expect(report.incremental.runs.every((run) => run.incremental && run.ms > 0)).toBe(true);
      expect(report.incremental.ratio).toBeGreaterThan(0);
      expect(Object.values(report.identical!).every((table) => table.same)).toBe(true);
      expect(report.identical!.files).toEqual({ same: true, incremental: 5, full: 5 });
      // pricing.py and app.ts changed, discounts.py came, view.ts went.
      const pricing = 'def price(item, discount=0):\n    """The price of an item."""\n    return item.cost * 2 - discount\n';
      const changedBytes = pricing.length + 'from shop.pricing import price\n'.length + 'export function start(): void {}\n'.length;
      expect(report.change).toMatchObject({ files: 3, removed: 1, bytes: changedBytes });
      expect(report.change!.indexedBytes).toBeGreaterThan(changedBytes);
      expect(formatIndexBenchReport(report)).toMatch(/the push changed 3 indexed files \(0\.00 MB = \d+\.\d % of the 0\.0 MB indexed\) and removed 1; the update cost \d+\.\d\d× a full run's time per byte changed/);
      expect(report.warm!.runs).toHaveLength(1);
      expect(report.warm!.fullMs).toBeGreaterThan(0);
      expect(report.warm!.ratio).toBeGreaterThan(0);
      expect(formatIndexBenchReport(report)).toMatch(/rows identical to a full index/);
      expect(report.incremental.runs[0]!.cpuMs).toBeGreaterThan(0);
      expect(formatIndexBenchReport(report)).toMatch(/whole process \(median\): CPU \d+ ms \(full run \d+ ms\) · \d+ page faults \(full run \d+\)/);
      expect(formatIndexBenchReport(report)).toMatch(/In one process \(as the app's index worker\): full \d+ ms, update median \d+ ms of 1/);
    } finally {
      await repo.cleanup();
    }
  }, 120_000);

  test('a commit that does not exist is a clear error', async () => {
    const repo = await makeRepo([{ message: 'one', files: { 'a.py': 'x = 1\n' } }]);
    try {
      await expect(runIndexBench({ repo: repo.dir, base: repo.shas[0]!, head: 'no-such-commit', runs: 1 })).rejects.toThrow(BenchError);
    } finally {
      await repo.cleanup();
    }
  }, 60_000);
});
