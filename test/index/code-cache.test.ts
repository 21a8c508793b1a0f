import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireWithCodeCache } from '../../src/index/chunk/code-cache.ts';

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('requireWithCodeCache', () => {
  it('loads a CommonJS file as require would, with and without a cache written by an earlier load', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-code-cache-'));
    dirs.push(dir);
    const file = path.join(dir, 'module.cjs');
    await writeFile(file, "const path = require('node:path');\nexports.base = (p) => path.basename(p);\nmodule.exports.answer = 42;\nexports.file = __filename;\n");
    const cacheDir = path.join(dir, 'cache');
    const first = requireWithCodeCache<{ base(p: string): string; answer: number; file: string }>(file, { cacheDir });
    expect(first.exports.answer).toBe(42);
    expect(first.exports.base('/a/b.txt')).toBe('b.txt');
    expect(first.exports.file).toBe(file);
    first.saveCache();
    first.saveCache(); // once is enough: a no-op
    expect((await readdir(cacheDir)).length).toBe(1);
    const second = requireWithCodeCache<{ base(p: string): string; answer: number }>(file, { cacheDir });
    expect(second.exports.answer).toBe(42);
    expect(second.exports.base('c/d.js')).toBe('d.js');
  });

  it('reads a file with non-ASCII text as UTF-8 (ASCII files are read as Latin-1, the same string)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-code-cache-'));
    dirs.push(dir);
    const file = path.join(dir, 'unicode.cjs');
    await writeFile(file, "exports.greeting = 'héllo → wörld ✓';\n", 'utf8');
    const loaded = requireWithCodeCache<{ greeting: string }>(file, { cacheDir: path.join(dir, 'cache') });
    expect(loaded.exports.greeting).toBe('héllo → wörld ✓');
  });

  it('a file that cannot be read is an error, as with require', () => {
    expect(() => requireWithCodeCache(path.join(os.tmpdir(), 'scout-no-such-module.cjs'), { cacheDir: path.join(os.tmpdir(), 'scout-no-such-cache') })).toThrow();
  });
});
