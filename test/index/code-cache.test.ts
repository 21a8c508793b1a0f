import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireWithCodeCache } from '../../src/index/chunk/code-cache.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

const tempDir = tempDirs('scout-code-cache-');

describe('requireWithCodeCache', () => {
  it('loads a CommonJS file as require would, with and without a cache written by an earlier load', async () => {
    const dir = await tempDir();
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
    const dir = await tempDir();
    const file = path.join(dir, 'unicode.cjs');
    await writeFile(file, "exports.greeting = 'héllo → wörld ✓';\n", 'utf8');
    const loaded = requireWithCodeCache<{ greeting: string }>(file, { cacheDir: path.join(dir, 'cache') });
    expect(loaded.exports.greeting).toBe('héllo → wörld ✓');
  });

  it('a file that cannot be read is an error, as with require', () => {
    expect(() => requireWithCodeCache(path.join(os.tmpdir(), 'scout-no-such-module.cjs'), { cacheDir: path.join(os.tmpdir(), 'scout-no-such-cache') })).toThrow();
  });
});

describe('code cache folder', () => {
  it('keeps the newest four caches of a file, whatever made the others (other flags, an older version of it)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'module.cjs');
    const other = path.join(dir, 'other.cjs');
    const cacheDir = path.join(dir, 'cache');
    await writeFile(other, 'exports.x = 1;\n');
    requireWithCodeCache(other, { cacheDir }).saveCache();
    for (let version = 1; version <= 6; version += 1) {
      // Each edit changes the file's size and time: a new key, as an upgrade of the module would give.
      await writeFile(file, `exports.version = ${version};${' '.repeat(version)}\n`);
      const loaded = requireWithCodeCache<{ version: number }>(file, { cacheDir });
      expect(loaded.exports.version).toBe(version);
      loaded.saveCache();
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const names = await readdir(cacheDir);
    expect(names.filter((name) => name.startsWith('module.cjs-'))).toHaveLength(4);
    // Another file's cache is not this file's to prune.
    expect(names.filter((name) => name.startsWith('other.cjs-'))).toHaveLength(1);
    // The newest (version 6) is among those kept: loading it again takes it, and writes or removes nothing.
    const again = requireWithCodeCache<{ version: number }>(file, { cacheDir });
    again.saveCache();
    expect((await readdir(cacheDir)).sort()).toEqual([...names].sort());
  });

  it('keeps a cache in use while newer ones come and go', async () => {
    const dir = await tempDir();
    const cacheDir = path.join(dir, 'cache');
    // Two files of one name: their caches are pruned together, as one file's under several flags would be.
    await mkdir(path.join(dir, 'stable'));
    await mkdir(path.join(dir, 'changing'));
    const stable = path.join(dir, 'stable', 'module.cjs');
    const changing = path.join(dir, 'changing', 'module.cjs');
    await writeFile(stable, 'exports.stable = true;\n');
    const load = (file: string) => requireWithCodeCache(file, { cacheDir }).saveCache();
    const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
    load(stable);
    for (let version = 1; version <= 6; version += 1) {
      await pause();
      await writeFile(changing, `exports.version = ${version};${' '.repeat(version)}\n`);
      load(changing);
      await pause();
      load(stable);
    }
    const names = await readdir(cacheDir);
    expect(names).toHaveLength(4);
    // The stable file's cache was kept throughout: loading it again writes nothing.
    load(stable);
    expect((await readdir(cacheDir)).sort()).toEqual([...names].sort());
  });
});
