import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { bundleFor, sourceDigest } from '../../bin/load-cli.js';

const run = promisify(execFile);
const LOADER = pathToFileURL(path.resolve('bin/load-cli.js')).href;

/** A checkout of a tiny CLI: `src/cli.ts` (TypeScript only tsx or esbuild can run) imports `src/greet.ts`. */
let root: string;

async function writeSources(greeting: string): Promise<void> {
  await mkdir(path.join(root, 'src', 'lib'), { recursive: true });
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(root, 'src', 'lib', 'greet.ts'), `export const greet = (who: string): string => \`${greeting}, \${who}\`;\n`);
  await writeFile(
    path.join(root, 'src', 'cli.ts'),
    `import { greet } from './lib/greet.ts';\nexport async function main(argv: string[]): Promise<void> {\n  const { stamp } = await import('./stamp.ts');\n  console.log(greet(argv[2] ?? 'nobody') + stamp);\n}\n`,
  );
  await writeFile(path.join(root, 'src', 'stamp.ts'), `export const stamp: string = '!';\n`);
}

/** Runs the tiny checkout's CLI in a new process through `loadCli`, as bin/scout.js runs ours. */
async function runCli(args: string[], cacheDir = path.join(root, 'cache')) {
  const entry = path.join(root, 'scout.mjs');
  const options = JSON.stringify({ root, cacheDir });
  await writeFile(entry, `const { loadCli } = await import(${JSON.stringify(LOADER)});\nconst { main } = await loadCli(${options});\nawait main(process.argv);\n`);
  return run(process.execPath, [entry, ...args], { env: { ...process.env, LOG_LEVEL: 'debug' } });
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scout-bundle-'));
  await writeSources('Hello');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the CLI bundle (bin/load-cli.js)', () => {
  test('is built once, run, and built again when a source changes', async () => {
    const cacheDir = path.join(root, 'cache');
    const first = await runCli(['Ada']);
    expect(first.stdout).toBe('Hello, Ada!\n');
    // Built, not run through tsx (which the debug log would say).
    expect(first.stderr).not.toMatch(/through tsx/);
    const builds = await readdir(cacheDir);
    expect(builds).toEqual([expect.stringMatching(/^cli-[0-9a-f]{16}$/)]);
    expect(existsSync(path.join(cacheDir, builds[0]!, 'cli.js'))).toBe(true);

    // Unchanged sources: the same bundle.
    await runCli(['Ada']);
    expect(await readdir(cacheDir)).toEqual(builds);

    // An edit in a nested folder: a new bundle, which runs the new code.
    await writeSources('Bonjour');
    expect((await runCli(['Ada'])).stdout).toBe('Bonjour, Ada!\n');
    expect((await readdir(cacheDir)).sort()).toHaveLength(2);
  });

  test('the digest follows every source file, and only them', async () => {
    const src = path.join(root, 'src');
    const before = sourceDigest(src);
    expect(sourceDigest(src)).toBe(before);
    const later = new Date(Date.now() + 5_000);
    await utimes(path.join(src, 'lib', 'greet.ts'), later, later);
    const touched = sourceDigest(src);
    expect(touched).not.toBe(before);
    await writeFile(path.join(src, 'new.ts'), 'export {};\n');
    expect(sourceDigest(src)).not.toBe(touched);
  });

  test('keeps the newest three bundles and clears a dead build', async () => {
    const cacheDir = path.join(root, 'cache');
    await mkdir(path.join(cacheDir, 'cli-0000000000000000.123.partial'), { recursive: true });
    const old = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(path.join(cacheDir, 'cli-0000000000000000.123.partial'), old, old);
    const dirs: string[] = [];
    for (const greeting of ['A', 'B', 'C', 'D', 'E']) {
      await writeSources(greeting);
      dirs.push(await bundleFor({ root, cacheDir }));
    }
    expect(new Set(dirs).size).toBe(5);
    const left = await readdir(cacheDir);
    expect(left).toHaveLength(3);
    expect(left).toContain(path.basename(dirs[4]!));
    expect(left.some((name) => name.endsWith('.partial'))).toBe(false);
  });

  test('two processes starting at once both run: one bundle, no half-written one', async () => {
    const [a, b] = await Promise.all([runCli(['one']), runCli(['two'])]);
    expect(a.stdout).toBe('Hello, one!\n');
    expect(b.stdout).toBe('Hello, two!\n');
    // Neither fell back to tsx: the one that lost the race took the other's bundle.
    expect(a.stderr + b.stderr).not.toMatch(/through tsx/);
    const left = await readdir(path.join(root, 'cache'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^cli-[0-9a-f]{16}$/);
  });

  test('runs the sources through tsx when the bundle cannot be built, and says why in debug logs', async () => {
    // The cache folder's place is taken by a file: nothing can be written there.
    const blocked = path.join(root, 'blocked');
    await writeFile(blocked, 'not a folder\n');
    const { stdout, stderr } = await runCli(['Ada'], path.join(blocked, 'cache'));
    expect(stdout).toBe('Hello, Ada!\n');
    expect(stderr).toMatch(/running the sources through tsx \(the CLI bundle could not be built: .*(ENOTDIR|EEXIST)/);
  });

  test('a syntax error in the sources is reported by the run, not hidden by the fallback', async () => {
    await writeFile(path.join(root, 'src', 'lib', 'greet.ts'), 'export const greet = (;\n');
    await expect(runCli(['Ada'])).rejects.toMatchObject({ stderr: expect.stringMatching(/greet\.ts/) });
  });
});

describe('bin/scout.js', () => {
  test('runs the CLI from the bundle of this checkout', async () => {
    const { stdout } = await run(process.execPath, [path.resolve('bin/scout.js'), '--help']);
    expect(stdout).toMatch(/^Usage: scout/);
    const cache = path.resolve('node_modules', '.cache', 'repo-scout');
    const current = `cli-${sourceDigest(path.resolve('src'))}`;
    expect(await readdir(cache)).toContain(current);
  });
});
