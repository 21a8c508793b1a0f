import { describe, expect, test } from 'vitest';
import { chunkPython } from '../../src/index/chunk/python.ts';
import { pythonSegments } from '../../src/index/chunk/python-segments.ts';
import { chunkTreeSitter } from '../../src/index/chunk/tree-sitter.ts';
import { MemoryUnitCache, type UnitCache } from '../../src/index/chunk/unit-cache.ts';
import { fileTokens } from '../../src/index/indexer.ts';
import { tokenString } from '../../src/index/tokenize.ts';
import type { ChunkedFile, WalkedFile } from '../../src/index/types.ts';

function lines(count: number, indent: string, word: string): string {
  return Array.from({ length: count }, (_, i) => `${indent}${word}_${i} = compute(${i}, "${word}")`).join('\n');
}

function method(name: string, size: number, comment = `# About ${name}.`): string {
  return `    ${comment}\n    def ${name}(self, value):\n        """Do ${name}."""\n${lines(size, '        ', name)}\n        return value\n`;
}

/** A module with what segmentation must get right: docstring, imports, strings, decorators, a long class. */
function moduleText(parts: Partial<Record<'doc' | 'helperComment' | 'm2' | 'm3Comment' | 'above', string>> = {}): string {
  return `${parts.doc ?? '"""The module.\n\nIt has a docstring.\n"""'}
import os
from .models import (
    Model,
    Field,
)
${parts.above ?? ''}
CONSTANT = \\
    1


${parts.helperComment ?? '# Helps.'}
def helper(a, b):
    text = """
def fake():
class Fake:
"""
${lines(12, '    ', 'h')}
    return a + b


@decorator(
    option=True,
)
class Big(Model):
    """A big class."""

    attribute = Field()

${method('m0', 45)}
${method('m1', 8)}
${method('m2', 8, parts.m2 ? `# ${parts.m2}` : undefined).replace('return value', parts.m2 ? `return ${parts.m2}` : 'return value')}
${method('m3', 8, parts.m3Comment)}
    @property
    def prop(self):
        return 1
${method('m4', 50)}

def tail():
    import json
    return json
`;
}

function file(text: string): WalkedFile {
  return { path: 'pkg/module.py', blobSha: '', size: text.length, language: 'python', text };
}

/** Counts the units a chunking took from the cache. */
class CountingCache implements UnitCache {
  hits = 0;
  misses = 0;
  constructor(private readonly inner: MemoryUnitCache) {}
  get(key: string): string | undefined {
    const value = this.inner.get(key);
    if (value === undefined) this.misses++;
    else this.hits++;
    return value;
  }
  put(path: string, key: string, value: string): void {
    this.inner.put(path, key, value);
  }
}

async function warmCache(text: string): Promise<MemoryUnitCache> {
  const cache = new MemoryUnitCache();
  await chunkPython(file(text), cache);
  // As the indexer does: a new run starts from the stored rows.
  return new MemoryUnitCache(cache.rows());
}

/**
 * Chunks `after` without a cache and with one warmed on `before`. With a cache the result also
 * holds the text's pieces and their tokens: checked here to be the whole text's tokens, and left
 * out of `warm` so the two results compare.
 */
async function chunkBoth(before: string, after: string): Promise<{ cold: ChunkedFile; warm: ChunkedFile; cache: CountingCache }> {
  const cold = (await chunkPython(file(after)))!;
  const cache = new CountingCache(await warmCache(before));
  const { pieces, ...warm } = (await chunkPython(file(after), cache))!;
  if (pieces) {
    expect(pieces.reduce((sum, piece) => sum + piece.chars, 0)).toBe(after.length);
    expect(pieces.map((piece) => piece.tokens).filter(Boolean).join(' ')).toBe(tokenString(after));
  }
  return { cold, warm, cache };
}

describe('Python chunking by segments', () => {
  test('gives what parsing the file whole gives', async () => {
    const text = moduleText();
    const segments = pythonSegments(text.split('\n'))!;
    expect(segments.length).toBeGreaterThan(2);
    expect(segments.some((segment) => segment.members && segment.members.length > 1)).toBe(true);
    const segmented = (await chunkPython(file(text)))!;
    expect(segmented).toEqual(await chunkTreeSitter({ ...file(text), language: 'python' }));
    expect(segmented.doc).toBe('The module.\n\nIt has a docstring.');
    expect(segmented.symbols).toEqual(['helper', 'Big', 'tail']);
    // Imports inside functions count too.
    expect(segmented.imports).toEqual(['os', '.models', '.models.Model', '.models.Field', 'json']);
    const big = segmented.chunks.find((chunk) => chunk.name === 'Big')!;
    expect(big.doc).toBe('A big class.');
    expect(big.startLine).toBe(text.split('\n').indexOf('@decorator(') + 1);
    expect(big.endLine).toBe(text.split('\n').indexOf('def tail():') - 2);
    expect(segmented.chunks.find((chunk) => chunk.name === 'Big.m3')?.doc).toBe('Do m3.');
    expect(segmented.chunks.find((chunk) => chunk.name === 'helper')?.doc).toBe('Helps.');
    expect(segmented.chunks.some((chunk) => chunk.name === 'fake' || chunk.name === 'Fake')).toBe(false);
  });

  const edits: Array<[string, Parameters<typeof moduleText>[0]]> = [
    ['lines inserted above a function', { above: 'A = 1\nB = 2\nC = 3\n' }],
    ['an edit inside one method', { m2: 'changed_value' }],
    ['the comment above a function changed', { helperComment: '# Helps a lot.\n# Really.' }],
    ['the comment above a method changed', { m3Comment: '# Now m3 has a different comment.' }],
    ['the module docstring edited', { doc: '"""Another module doc."""' }],
    ['the module docstring removed', { doc: '# Just a comment.' }],
  ];
  for (const [what, parts] of edits) {
    test(`${what}: the same result with a warm cache as with none, most units reused`, async () => {
      const before = moduleText();
      const after = moduleText(parts);
      const { cold, warm, cache } = await chunkBoth(before, after);
      expect(warm).toEqual(cold);
      expect(cold).toEqual(await chunkTreeSitter({ ...file(after), language: 'python' }));
      expect(cache.hits).toBeGreaterThan(cache.misses);
      // And back: the edited file's cache serves the original.
      const back = await chunkBoth(after, before);
      expect(back.warm).toEqual(back.cold);
    });
  }

  test('lines deleted above a function: rows move, and come out at their new lines', async () => {
    const before = moduleText({ above: 'A = 1\nB = 2\nC = 3\n' });
    const after = moduleText();
    const { cold, warm, cache } = await chunkBoth(before, after);
    expect(warm).toEqual(cold);
    expect(cache.misses).toBeLessThanOrEqual(2);
    const tail = warm.chunks.find((chunk) => chunk.name === 'tail')!;
    expect(tail.startLine).toBe(after.split('\n').indexOf('def tail():') + 1);
  });

  test('a syntax error: the file is parsed whole, with or without a cache', async () => {
    const before = moduleText();
    const broken = moduleText({ m2: 'value +' });
    const { cold, warm } = await chunkBoth(before, broken);
    expect(warm).toEqual(cold);
    expect(cold).toEqual(await chunkTreeSitter({ ...file(broken), language: 'python' }));
    const fixed = await chunkBoth(broken, before);
    expect(fixed.warm).toEqual(fixed.cold);
  });

  test('a small file is parsed whole, and not cached', async () => {
    const text = `def f():\n    return 1\n\n\ndef g():\n    return 2\n`;
    const cache = new MemoryUnitCache();
    expect(await chunkPython(file(text), cache)).toEqual(await chunkTreeSitter({ ...file(text), language: 'python' }));
    expect(cache.rows()).toEqual([]);
  });

  test('a file the lexer cannot follow is parsed whole', async () => {
    const text = `def f():\n${lines(120, '    ', 'f')}\n    return 1\n\n\ndef g():\n    s = """never closed\n`;
    const cache = new MemoryUnitCache();
    const result = await chunkPython(file(text), cache);
    expect(result).toEqual(await chunkTreeSitter({ ...file(text), language: 'python' }));
    expect(cache.rows()).toEqual([]);
  });
});

describe("a file's token column from its pieces", () => {
  test('a segmented file chunked with a cache comes with pieces that are its whole text', async () => {
    const text = moduleText();
    const chunked = (await chunkPython(file(text), new MemoryUnitCache()))!;
    expect(chunked.pieces!.length).toBeGreaterThan(3);
    expect(chunked.pieces!.map((piece) => piece.tokens).join(' ')).toBe(tokenString(text));
  });

  test('fileTokens gives tokenString(head + capped text) with or without pieces, the cap falling inside a piece, a word or past the end', () => {
    const piece = (i: number) => `def function_${i}(camelCaseArg, snake_case_arg):\n    raise ValueError("bad value ${i}")\n`;
    const texts = [Array.from({ length: 3000 }, (_, i) => piece(i)).join(''), piece(1) + piece(2) + 'tail_without_newline'];
    for (const text of texts) {
      const parts = text.split(/(?<=\n)/);
      const pieces = parts.map((part) => ({ chars: part.length, tokens: tokenString(part) }));
      const head = 'pkg/module.py\nThe module.\nfunction_1 function_2\n';
      expect(fileTokens(head, text, pieces)).toBe(tokenString(head + text.slice(0, 200_000)));
      expect(fileTokens(head, text)).toBe(tokenString(head + text.slice(0, 200_000)));
    }
  });
});
