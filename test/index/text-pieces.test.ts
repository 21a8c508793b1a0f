import { describe, expect, test } from 'vitest';
import { chunkFile } from '../../src/index/chunk/index.ts';
import { pieceLengths, textPieces } from '../../src/index/chunk/text-pieces.ts';
import { MemoryUnitCache, type UnitCache } from '../../src/index/chunk/unit-cache.ts';
import { fileTokens } from '../../src/index/indexer.ts';
import { tokenString } from '../../src/index/tokenize.ts';
import type { WalkedFile } from '../../src/index/types.ts';

/** A doc of `n` short paragraphs, each with a heading line and a blank line after it. */
function doc(n: number, edit?: { at: number; text: string }): string {
  const paragraphs = Array.from({ length: n }, (_, i) => `Heading ${i}\n\nThe queryset_${i} of BulkCreate applies coupon ${i}.\nSecond line ${i}.\n`);
  if (edit) paragraphs.splice(edit.at, 0, edit.text);
  return paragraphs.join('\n');
}

function piecesOf(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (const length of pieceLengths(text)) {
    out.push(text.slice(at, at + length));
    at += length;
  }
  return out;
}

/** A cache that counts the keys it did not hold. */
function countingCache(rows: MemoryUnitCache): UnitCache & { misses: number } {
  const cache = {
    misses: 0,
    get(key: string) {
      const value = rows.get(key);
      if (value === undefined) cache.misses += 1;
      return value;
    },
    put: (path: string, key: string, value: string) => rows.put(path, key, value),
  };
  return cache;
}

describe('text pieces', () => {
  test('cut the text whole: each piece but the last ends with a newline, together they are the text', () => {
    const texts = [
      '',
      'one line, no newline',
      'two\nlines\n',
      doc(200),
      doc(50).replace(/\n/g, '\r\n'),
      'é ✓ 漢字\n\nstill text\n'.repeat(400),
      'x'.repeat(5_000) + '\n' + 'no blank lines here\n'.repeat(1_000),
    ];
    for (const text of texts) {
      const pieces = piecesOf(text);
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces.slice(0, -1)) expect(piece.endsWith('\n')).toBe(true);
      expect(pieces.every((piece) => piece.length > 0)).toBe(true);
    }
    // Text without blank lines is still cut, at the line limit.
    expect(piecesOf('line\n'.repeat(1_000)).length).toBeGreaterThan(1);
  });

  test('end where the text says: a paragraph added in the middle changes the pieces around it only', () => {
    const before = piecesOf(doc(300));
    const after = piecesOf(doc(300, { at: 150, text: 'A new paragraph about refunds.\n' }));
    expect(before.length).toBeGreaterThan(10);
    const kept = new Set(before);
    const changed = after.filter((piece) => !kept.has(piece));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThanOrEqual(2);
    expect(changed.join('')).toContain('refunds');
  });

  test("their tokens give the file's token column exactly, and a later run tokenizes only the changed pieces", () => {
    const head = 'docs/guide.txt\n\n\n';
    const first = doc(300);
    const rows = new MemoryUnitCache();
    const pieces = textPieces('docs/guide.txt', first, rows);
    expect(fileTokens(head, first, pieces)).toBe(tokenString(head + first));

    const second = doc(300, { at: 150, text: 'A new paragraph about refunds.\n' });
    const cache = countingCache(new MemoryUnitCache(rows.rows()));
    const again = textPieces('docs/guide.txt', second, cache);
    expect(fileTokens(head, second, again)).toBe(tokenString(head + second));
    expect(again.length).toBeGreaterThan(10);
    expect(cache.misses).toBeGreaterThan(0);
    expect(cache.misses).toBeLessThanOrEqual(2);
  });

  test('chunkFile gives pieces to a file the chunker keeps none for, when it has a cache', async () => {
    const file: WalkedFile = { path: 'docs/guide.md', language: 'markdown', text: `# Guide\n\n${doc(40)}`, size: 0, blobSha: 'x' };
    const withCache = await chunkFile(file, new MemoryUnitCache());
    expect(withCache.pieces?.map((piece) => piece.chars).reduce((a, b) => a + b, 0)).toBe(file.text.length);
    expect((await chunkFile(file)).pieces).toBeUndefined();
  });
});
