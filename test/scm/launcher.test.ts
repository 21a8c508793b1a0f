import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperPid, launch, setHelperThreshold, stopHelper, type Launched } from '../../src/scm/launcher.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const options = { cwd: ROOT, env: process.env, stdin: 'ignore' as const };

/** A program's whole output and how it ended. */
async function outcome(child: Launched): Promise<{ stdout: string; stderr: string; code: number | null; error?: string }> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let error: string | undefined;
  child.on('error', (err) => {
    error = err.message;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code, error };
}

describe('launch through the process helper', () => {
  let previous: number;
  beforeAll(() => {
    previous = setHelperThreshold(0);
  });
  afterAll(() => {
    setHelperThreshold(previous);
    stopHelper();
  });

  it('runs programs with their arguments, working folder, environment and input, and reports exit codes', async () => {
    const result = await outcome(launch('sh', ['-c', 'printf "%s|%s|" "$1" "$SCOUT_TEST_VAR"; pwd; echo oops >&2; exit 3', 'sh', 'a b'], { ...options, env: { ...process.env, SCOUT_TEST_VAR: 'set' } }));
    expect(result).toEqual({ stdout: `a b|set|${ROOT}\n`, stderr: 'oops\n', code: 3, error: undefined });

    const cat = launch('cat', [], { ...options, stdin: 'pipe' });
    cat.stdin.end('ünïcödé input\n');
    expect(await outcome(cat)).toMatchObject({ stdout: 'ünïcödé input\n', code: 0 });
  });

  it('says when a program cannot be started', async () => {
    const result = await outcome(launch('no-such-program-for-repo-scout', [], options));
    expect(result.error).toMatch(/ENOENT/);
    // As from child_process.spawn, which closes with the negated errno.
    expect(result.code).not.toBe(0);
  });

  it('hands over large output whole to a slow reader, and stops a program whose reader stopped', async () => {
    const child = launch('head', ['-c', String(30 * 1024 * 1024), '/dev/zero'], options);
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      chunks += 1;
      if (chunks <= 5) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(bytes).toBe(30 * 1024 * 1024);

    // `yes` never ends by itself: the reader stops, the program is killed, and the helper goes on serving.
    const endless = launch('yes', [], options);
    for await (const _chunk of endless.stdout as AsyncIterable<Buffer>) break;
    endless.kill();
    expect((await outcome(launch('echo', ['still here'], options))).stdout).toBe('still here\n');
  });

  it('reports programs cut off when the helper dies, and starts a new helper for the next one', async () => {
    const running = outcome(launch('sleep', ['2'], options));
    const pid = helperPid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const result = await running;
    expect(result.error).toMatch(/process helper stopped/);
    expect(helperPid()).toBeUndefined();
    expect((await outcome(launch('echo', ['again'], options))).stdout).toBe('again\n');
  });

  it('does not keep the process alive once its programs are done', async () => {
    const script = [
      "import { launch, setHelperThreshold } from './src/scm/launcher.ts';",
      'setHelperThreshold(0);',
      "const child = launch('echo', ['done'], { cwd: process.cwd(), env: process.env, stdin: 'ignore' });",
      'child.stdout.on("data", (d) => process.stdout.write(d));',
    ].join('\n');
    const node = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await outcome(node as unknown as Launched);
    expect(result).toMatchObject({ stdout: 'done\n', code: 0 });
  }, 30_000);
});

describe('launch while the process is small', () => {
  it('starts programs directly (no helper)', async () => {
    const previous = setHelperThreshold(Number.POSITIVE_INFINITY);
    try {
      // The child's parent is this process itself.
      const result = await outcome(launch('sh', ['-c', 'echo $PPID'], options));
      expect(Number(result.stdout.trim())).toBe(process.pid);
    } finally {
      setHelperThreshold(previous);
    }
  });
});
