import { describe, expect, it } from 'vitest';
import { arrow } from '../../src/store/arrow.ts';
import { stringColumn } from '../../src/store/arrow-rows.ts';

describe('stringColumn', () => {
  const values = ['src/a.py', null, '', 'ünïcödé — 日本', 'x'.repeat(5000), 'plain ascii', null, 'tail'];

  it('reads Utf8 and LargeUtf8 columns as Arrow does, nulls and non-ASCII text included', () => {
    for (const type of [new arrow.Utf8(), new arrow.LargeUtf8()]) {
      const vector = arrow.vectorFromArray(values, type);
      expect(stringColumn(vector)).toEqual(vector.toArray());
      expect(stringColumn(vector)).toEqual(values);
    }
  });

  it('reads an all-ASCII batch as slices of one string, and follows batches and offsets', () => {
    const ascii = arrow.vectorFromArray(['a', 'bb', 'ccc', '', 'dddd'], new arrow.Utf8());
    const mixed = arrow.vectorFromArray(['é', null, 'f'], new arrow.Utf8());
    // A vector made of two batches, the first read from an offset into its buffers.
    const joined = ascii.slice(1).concat(mixed);
    expect(joined.data.length).toBe(2);
    expect(stringColumn(joined)).toEqual(['bb', 'ccc', '', 'dddd', 'é', null, 'f']);
  });

  it('reads the validity bits of a batch that starts at an offset', () => {
    const sliced = arrow.vectorFromArray(['a', null, 'bb', null, 'c'], new arrow.Utf8()).slice(1);
    expect(stringColumn(sliced)).toEqual([null, 'bb', null, 'c']);
    expect(stringColumn(sliced)).toEqual(sliced.toArray());
  });

  it('leaves other column types to the caller', () => {
    expect(stringColumn(arrow.vectorFromArray([1, 2, 3], new arrow.Int32()))).toBeUndefined();
  });
});
