import { describe, expect, test } from 'vitest';
import { reasonsFor, toFinding } from '../../src/triage/explain.ts';

describe('why a file is listed', () => {
  test('a stack frame and a named symbol come first, pinned to the symbol', () => {
    const finding = toFinding({
      path: 'shop/pricing.py',
      score: 0.44519,
      evidence: { ranks: { frame: 1, mention: 1 }, frame: { file: 'shop/pricing.py', line: 69, function: '_ensure_payable', language: 'python' }, mention: 'price_for_checkout', symbol: { name: 'price_for_checkout', kind: 'function', startLine: 56, endLine: 62 } },
    });
    expect(finding).toEqual({ path: 'shop/pricing.py', startLine: 56, endLine: 62, symbol: 'price_for_checkout', score: 0.4452, why: "in the issue's stack trace (line 69 in `_ensure_payable`); the issue names `price_for_checkout`" });
  });

  test('a plain word matched to a file name reads as such; a past fix is quoted without its PR suffix', () => {
    expect(reasonsFor({ ranks: { mention: 2, pathWords: 1, history: 1 }, mention: 'coupons', commit: { sha: 'abc1234def', subject: 'Cap each coupon (#41)', prs: [41] } })).toEqual([
      "its path has the issue's word `coupons`",
      'changed in #41 "Cap each coupon"',
    ]);
  });

  test('weak evidence says so rather than inventing a reason', () => {
    expect(reasonsFor({ ranks: { vector: 30 } })).toEqual(["shares the issue's vocabulary"]);
    expect(reasonsFor({ ranks: {} })).toEqual(['weak evidence']);
  });
});
