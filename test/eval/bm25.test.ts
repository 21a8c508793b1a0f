import { expect, test } from 'vitest';
import { Bm25Index } from '../../src/search/bm25.ts';

test('BM25: rare words weigh more, query repetition counts, longer documents are normalised', () => {
  const index = new Bm25Index(
    ['a', 'b', 'c'],
    [
      ['coupon', 'total', 'cart', 'cart'],
      ['shipping', 'total', 'parcel'],
      ['total', 'total', 'total', 'total', 'total', 'total', 'coupon', 'x', 'y', 'z', 'w', 'v'],
    ],
  );
  expect(index.search(['parcel'], 5).map((h) => h.id)).toEqual(['b']);
  expect(index.search(['coupon', 'cart'], 5)[0].id).toBe('a');
  const once = index.search(['total', 'parcel'], 5);
  const twice = index.search(['total', 'parcel', 'parcel'], 5);
  expect(twice[0].score).toBeGreaterThan(once[0].score);
  expect(index.search(['nothing'], 5)).toEqual([]);
  expect(index.size).toBe(3);
});
