import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { log } from '../../log.ts';
import { runtimeV8Flags } from '../../runtime-flags.ts';

/**
 * Loads a large CommonJS file (the 9 MB TypeScript compiler) with V8's code cache, as Node 22's
 * module compile cache would: on Node 20 compiling it costs ~0.2 s of every run that needs it,
 * with the cache ~0.05 s. The cache lives in the OS temp folder, keyed by the file, its size and
 * mtime, the Node version and the process's flags; V8 itself rejects a cache that does not fit the source (and we
 * then compile as usual and write a fresh one). Anything going wrong falls back to `require`.
 */
export interface CachedModule<T> {
  exports: T;
  /** Writes the cache once, if it was missing or rejected: call it after the module has done some work, so the functions compiled by then are cached too. */
  saveCache(): void;
}

/** Per user; only used when this user owns it and nobody else can write to it (a cache is code V8 runs). */
const CACHE_DIR = path.join(os.tmpdir(), `repo-scout-code-cache-${process.getuid?.() ?? 'user'}`);

function cacheDirIsOurs(dir: string): boolean {
  try {
    const info = statSync(dir);
    return info.isDirectory() && (process.getuid === undefined || info.uid === process.getuid()) && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * A source file's text. An ASCII file (the TypeScript compiler is one) is read as Latin-1, which
 * gives the same string without UTF-8 decoding: 9 MB in about half the time.
 */
function readSource(filename: string): string {
  const data = readFileSync(filename);
  return isAscii(data) ? data.toString('latin1') : data.toString('utf8');
}

/**
 * Caches kept per source file: one per set of flags in use (the CLI's short commands, the
 * long-lived server, a profiling run) and a spare. The least recently used (other flags, a
 * compiler since upgraded) are removed, so the folder does not grow by ~2.5 MB with every new
 * combination.
 */
const KEEP_CACHES = 4;

/** Removes all but the `KEEP_CACHES` most recently used caches of `source` in `dir`; best effort (another process may be at it too). */
function pruneCaches(dir: string, source: string): void {
  const caches: Array<{ file: string; mtime: number }> = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${source}-`) || !name.endsWith('.bin')) continue;
    const mtime = statSync(path.join(dir, name), { throwIfNoEntry: false })?.mtimeMs;
    if (mtime !== undefined) caches.push({ file: path.join(dir, name), mtime });
  }
  caches.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of caches.slice(KEEP_CACHES)) rmSync(file, { force: true });
}

export function requireWithCodeCache<T>(filename: string, options: { cacheDir?: string } = {}): CachedModule<T> {
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  try {
    const info = statSync(filename);
    // V8 rejects a cache made under other flags (--cpu-prof, --max-semi-space-size, …, or set at run
    // time): those get their own file.
    const flags = `${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}\0${runtimeV8Flags.join(' ')}`;
    const key = createHash('sha1').update(`${filename}\0${info.size}\0${info.mtimeMs}\0${process.version}\0${process.arch}\0${flags}`).digest('hex').slice(0, 16);
    const cacheFile = path.join(cacheDir, `${path.basename(filename)}-${key}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = cacheDirIsOurs(cacheDir) ? readFileSync(cacheFile) : undefined;
    } catch {
      cachedData = undefined;
    }
    const script = new vm.Script(Module.wrap(readSource(filename)), { filename, cachedData });
    const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
    const module = { exports: {} as unknown, filename, id: filename, loaded: false };
    wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename));
    module.loaded = true;
    let save = cachedData === undefined || script.cachedDataRejected === true;
    if (!save) {
      // A cache's time is when it was last used: pruning then removes those no longer used.
      try {
        const now = new Date();
        utimesSync(cacheFile, now, now);
      } catch {
        // Another process pruned it meanwhile: it is written again next time.
      }
    }
    return {
      exports: module.exports as T,
      saveCache() {
        if (!save) return;
        save = false;
        try {
          mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
          if (!cacheDirIsOurs(cacheDir)) return;
          // Written whole under a temporary name first: a concurrent reader never sees half a cache.
          const partial = `${cacheFile}.${process.pid}.tmp`;
          writeFileSync(partial, script.createCachedData());
          renameSync(partial, cacheFile);
          pruneCaches(cacheDir, path.basename(filename));
        } catch (error) {
          log.debug({ file: filename, err: error }, 'could not write the code cache');
        }
      },
    };
  } catch (error) {
    log.debug({ file: filename, err: error }, 'code cache unavailable; loading the module as usual');
    return { exports: createRequire(filename)(filename) as T, saveCache() {} };
  }
}
