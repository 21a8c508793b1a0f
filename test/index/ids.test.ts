import { describe, expect, test } from 'vitest';
import { ChunkLineIndex, chunkIds, encodeChunkLines } from '../../src/index/ids.ts';

const chunk = (path: string, name: string, startLine: number, endLine: number) => ({ path, name, startLine, endLine });

describe('chunk ids and lines', () => {
  test('ids hold path and name, numbering repeats in file order, and no line numbers', () => {
    const chunks = [chunk('a.py', 'get', 1, 3), chunk('a.py', 'get', 5, 9), chunk('a.py', 'Cart.total', 10, 12), chunk('b.py', 'get', 1, 2)];
    expect(chunkIds(chunks)).toEqual(['a.py#get', 'a.py#get#2', 'a.py#Cart.total', 'b.py#get']);
    const moved = chunks.map((c) => ({ ...c, startLine: c.startLine + 40, endLine: c.endLine + 40 }));
    expect(chunkIds(moved)).toEqual(chunkIds(chunks));
  });

  test("a file's row says where each of its chunks is, by id", () => {
    const chunks = [chunk('src/a b.py', 'get', 1, 3), chunk('src/a b.py', 'get', 5, 9), chunk('src/a b.py', 'Cart.total', 10, 12)];
    const encoded = encodeChunkLines(chunks);
    expect(JSON.parse(encoded)).toEqual({ get: [1, 3], 'get#2': [5, 9], 'Cart.total': [10, 12] });
    const index = new ChunkLineIndex().add('src/a b.py', encoded).add('other.py', '{"run":[4,8]}');
    expect(index.get('src/a b.py', 'src/a b.py#get#2')).toEqual({ startLine: 5, endLine: 9 });
    expect(index.get('src/a b.py', 'src/a b.py#Cart.total')).toEqual({ startLine: 10, endLine: 12 });
    expect(index.get('other.py', 'other.py#run')).toEqual({ startLine: 4, endLine: 8 });
    // An id of another file, a chunk the row does not name, a file without a row.
    expect(index.get('other.py', 'src/a b.py#get')).toBeUndefined();
    expect(index.get('other.py', 'other.py#gone')).toBeUndefined();
    expect(index.get('new.py', 'new.py#run')).toBeUndefined();
  });

  test('a row whose lines cannot be read gives no lines rather than an error', () => {
    const index = new ChunkLineIndex().add('a.py', '{not json').add('b.py', '[1, 2]').add('c.py', '{"run":"4-8","ok":[1,2]}').add('d.py', '');
    expect(index.get('a.py', 'a.py#run')).toBeUndefined();
    expect(index.get('b.py', 'b.py#0')).toBeUndefined();
    expect(index.get('c.py', 'c.py#run')).toBeUndefined();
    expect(index.get('c.py', 'c.py#ok')).toEqual({ startLine: 1, endLine: 2 });
    expect(index.get('d.py', 'd.py#run')).toBeUndefined();
  });
});
