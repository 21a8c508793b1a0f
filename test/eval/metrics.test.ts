import { describe, expect, test } from 'vitest';
import { goldFiles, modifiedFiles, type EvalRow } from '../../src/eval/dataset.ts';
import { computeMetrics } from '../../src/eval/metrics.ts';

const patch = [
  'diff --git a/src/a.py b/src/a.py',
  'index 1..2 100644',
  '--- a/src/a.py',
  '+++ b/src/a.py',
  '@@ -1 +1 @@',
  '-x',
  '+y',
  'diff --git a/src/new.py b/src/new.py',
  'new file mode 100644',
  '--- /dev/null',
  '+++ b/src/new.py',
  '@@ -0,0 +1 @@',
  '+z',
  'diff --git a/docs/usage.rst b/docs/usage.rst',
  '--- a/docs/usage.rst',
  '+++ b/docs/usage.rst',
  '@@ -1 +1 @@',
  '-a',
  '+b',
  'diff --git a/CHANGELOG b/CHANGELOG',
  '--- a/CHANGELOG',
  '+++ b/CHANGELOG',
  'diff --git a/src/b.js b/src/b.js',
  '--- a/src/b.js',
  '+++ b/src/b.js',
  '@@ -1 +1 @@',
  '-a',
  '+b',
].join('\n');

const row = (overrides: Partial<EvalRow> = {}): EvalRow => ({
  instance_id: 'x__y-1',
  repo: 'x/y',
  base_commit: 'abcdef1',
  problem_statement: 'title',
  patch,
  ...overrides,
});

describe('gold files', () => {
  test('modified files, without created files, docs and changelogs, that exist at the base commit', () => {
    expect(modifiedFiles(patch)).toEqual(['src/a.py', 'docs/usage.rst', 'CHANGELOG', 'src/b.js']);
    expect(goldFiles(row(), () => true)).toEqual(['src/a.py', 'src/b.js']);
    expect(goldFiles(row(), (p) => p !== 'src/b.js')).toEqual(['src/a.py']);
  });

  test('ground_truth_files overrides the patch', () => {
    expect(goldFiles(row({ ground_truth_files: ['lib/c.py', 'README.md'] }), () => true)).toEqual(['lib/c.py']);
  });
});

describe('metrics', () => {
  test('Acc@k needs every gold file in the top k; MRR and recall of the first gold file', () => {
    const metrics = computeMetrics([
      { gold: ['a'], ranked: ['a', 'b', 'c'] },
      { gold: ['a', 'b'], ranked: ['c', 'a', 'x', 'y', 'b'] },
      { gold: ['z'], ranked: ['a', 'b'] },
      { gold: ['q'], ranked: ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'q'] },
    ]);
    expect(metrics.rows).toBe(4);
    expect(metrics.acc[1]).toBe(25);
    expect(metrics.acc[3]).toBe(25);
    expect(metrics.acc[5]).toBe(50);
    expect(metrics.acc[10]).toBe(75);
    expect(metrics.mrr).toBeCloseTo((1 + 0.5 + 0 + 0.1) / 4, 10);
    expect(metrics.recall10).toBeCloseTo(75, 10);
  });

  test('no rows gives zeros, not NaN', () => {
    expect(computeMetrics([])).toEqual({ rows: 0, acc: { 1: 0, 3: 0, 5: 0, 10: 0 }, mrr: 0, recall10: 0 });
  });
});
