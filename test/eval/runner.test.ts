import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EvalRow } from '../../src/eval/dataset.ts';
import { formatReport, relocateEval, runEval } from '../../src/eval/runner.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

let repo: FixtureRepo;
let dataDir: string;

const patchOf = (file: string) => `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-a\n+b\n`;

beforeAll(async () => {
  repo = await makeRepo([
    {
      message: 'Initial',
      files: {
        'calc/add.py': 'def add(a, b):\n    """Add two numbers."""\n    return a + b\n',
        'calc/divide.py': 'def divide(a, b):\n    if b == 0:\n        raise ZeroDivisionError("cannot divide by zero")\n    return a / b\n',
        'calc/power.py': 'def power(a, b):\n    return a ** b\n',
      },
    },
    { message: 'Add rounding', files: { 'calc/rounding.py': 'def round_half_up(x):\n    return int(x + 0.5)\n' } },
  ]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-eval-'));
});

afterAll(async () => {
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

describe('runEval', () => {
  test('rows in base-commit order, indexed incrementally; missing repos and commits skipped with a reason', async () => {
    const rows: EvalRow[] = [
      { instance_id: 'calc-2', repo: 'acme/calc', base_commit: repo.shas[1], problem_statement: 'round_half_up rounds 2.5 down\nIt should give 3.', patch: patchOf('calc/rounding.py') },
      { instance_id: 'calc-1', repo: 'acme/calc', base_commit: repo.shas[0], problem_statement: 'Dividing by zero crashes\nI get "cannot divide by zero".', patch: patchOf('calc/divide.py') },
      { instance_id: 'calc-3', repo: 'acme/calc', base_commit: 'f'.repeat(40), problem_statement: 'x', patch: patchOf('calc/add.py') },
      { instance_id: 'calc-4', repo: 'acme/calc', base_commit: repo.shas[0], problem_statement: 'new file only', patch: patchOf('calc/rounding.py') },
      { instance_id: 'other-1', repo: 'acme/missing', base_commit: repo.shas[0], problem_statement: 'x', patch: patchOf('a.py') },
    ];
    const seen: string[] = [];
    const report = await runEval({
      rows,
      repoDirs: new Map([['acme/calc', repo.dir]]),
      dataDir,
      limits: { maxFiles: 100, maxFileBytes: 100_000, maxTotalBytes: 1_000_000 },
      historyCommits: 50,
      onRow: (_done, _total, row) => seen.push(row.instance_id),
    });
    expect(seen.slice(0, 2).sort()).toEqual(['calc-1', 'calc-4']);
    expect(seen[2]).toBe('calc-2');
    expect(report.rows.map((r) => r.instance_id).sort()).toEqual(['calc-1', 'calc-2']);
    const byId = Object.fromEntries(report.rows.map((r) => [r.instance_id, r]));
    expect(byId['calc-1'].gold).toEqual(['calc/divide.py']);
    expect(byId['calc-1'].scout[0]).toBe('calc/divide.py');
    expect(byId['calc-2'].scout[0]).toBe('calc/rounding.py');
    expect(byId['calc-1'].baseline.length).toBeGreaterThan(0);
    const skipped = report.repos.flatMap((r) => r.skipped);
    expect(skipped.map((s) => s.instance_id).sort()).toEqual(['calc-3', 'calc-4', 'other-1']);
    expect(skipped.find((s) => s.instance_id === 'calc-3')?.reason).toMatch(/not in/);
    expect(skipped.find((s) => s.instance_id === 'calc-4')?.reason).toMatch(/no gold file/);
    expect(skipped.find((s) => s.instance_id === 'other-1')?.reason).toMatch(/not found/);
    expect(report.overall.scout.acc[1]).toBe(100);
    const calc = report.repos.find((r) => r.repo === 'acme/calc')!;
    expect(calc.indexFullMs).toBeGreaterThan(0);
    expect(calc.indexIncrementalMs).toHaveLength(1);
    const table = formatReport(report);
    expect(table).toContain('| acme/calc | 2 | 2 | repo-scout | 100.0 |');
    expect(table).toContain('| Python | 2 |');

    // --relocate: locate alone, each row against the index version it was located on (the index is now at shas[1]).
    const again = await relocateEval({ rows, previous: report, dataDir });
    expect(again.rows.map((r) => [r.instance_id, r.scout])).toEqual(report.rows.map((r) => [r.instance_id, r.scout]));
    expect(again.rows.find((r) => r.instance_id === 'calc-1')!.scout).not.toContain('calc/rounding.py');
    expect(again.repos.find((r) => r.repo === 'acme/calc')!.indexFullMs).toBe(calc.indexFullMs);
    const unrecorded = await relocateEval({ rows, previous: { ...report, rows: report.rows.map((r) => ({ ...r, index: undefined })) }, dataDir });
    expect(unrecorded.rows).toHaveLength(0);
    expect(unrecorded.repos.flatMap((r) => r.skipped).map((s) => s.reason)).toContain('the earlier report does not record its index version');
  });
});
