import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireWithCodeCache } from '../../src/index/chunk/code-cache.ts';
import { runtimeV8Flags, tuneForShortRun } from '../../src/runtime-flags.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// Its own file: tuneForShortRun changes V8's flags for the rest of the process.
const tempDir = tempDirs('scout-code-cache-flags-');

describe('tuneForShortRun and the code cache', () => {
  it('a cache made before the flags changed is not reused after: V8 would reject it; the one made after is', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'module.cjs');
    await writeFile(file, 'exports.double = (n) => n * 2;\n');
    const cacheDir = path.join(dir, 'cache');
    const load = () => {
      const loaded = requireWithCodeCache<{ double(n: number): number }>(file, { cacheDir });
      expect(loaded.exports.double(21)).toBe(42);
      loaded.saveCache();
    };
    load();
    expect(await readdir(cacheDir)).toHaveLength(1);

    tuneForShortRun();
    tuneForShortRun();
    expect(runtimeV8Flags).toEqual(['--interrupt-budget=1000000']);
    load();
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(2);
    // Files by inode: a rejected cache is written again, under a new file renamed over the old one.
    const inodes = () => Promise.all(files.map(async (name) => (await stat(path.join(cacheDir, name))).ino));
    const made = await inodes();

    // Under the new flags the new cache is taken as it is.
    load();
    expect(await inodes()).toEqual(made);
  });
});
