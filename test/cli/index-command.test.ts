import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

const run = promisify(execFile);
const bin = path.resolve('bin/scout.js');

let repo: FixtureRepo;
let dataDir: string;

beforeAll(async () => {
  repo = await makeRepo([
    { message: 'Initial', files: { 'app/main.py': 'def main():\n    """Entry point."""\n    return 1\n', 'README.md': '# App\n' } },
    { message: 'Add helper (#2)', files: { 'app/helper.py': 'from .main import main\n\n\ndef helper():\n    return main() + 1\n' } },
  ]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-cli-'));
});

afterAll(async () => {
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function scout(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [bin, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
}

describe('scout index (as a user runs it)', () => {
  test('--json summary; a second run at a later commit is incremental', async () => {
    const first = JSON.parse((await scout(['index', repo.dir, '--commit', repo.shas[0], '--data-dir', dataDir, '--json'])).stdout);
    expect(first).toMatchObject({ commit: repo.shas[0], files: 2, historyCommits: 1, incremental: false });
    expect(first.chunks).toBeGreaterThan(0);
    // The whole process's work, for comparing runs on a machine whose speed drifts.
    expect(first.cpuMs).toBeGreaterThan(0);
    expect(first.pageFaults).toBeGreaterThan(1000);
    const second = JSON.parse((await scout(['index', repo.dir, '--data-dir', dataDir, '--json'])).stdout);
    expect(second).toMatchObject({ commit: repo.shas[1], files: 3, historyCommits: 2, incremental: true });
    expect(second.edges).toBeGreaterThan(0);
  });

  test('a human summary without --json, with no log lines repeating it; a run at the indexed commit says so', async () => {
    // LOG_LEVEL unset, as a user runs it.
    const { LOG_LEVEL: _unset, ...userEnv } = process.env;
    const { stdout, stderr } = await run(process.execPath, [bin, 'index', repo.dir, '--data-dir', dataDir], { env: userEnv });
    expect(stdout).toMatch(/^Indexed local-\S+ at [0-9a-f]{12} \(already current\)/);
    expect(stdout).toMatch(/files 3 · chunks \d+/);
    expect(stderr).toBe('');
  });

  test('bad input is a clear error, not a stack trace', async () => {
    await expect(scout(['index', repo.dir, '--commit', 'no-such-commit', '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringMatching(/^scout: .*no-such-commit/),
    });
    await expect(scout(['index', path.join(dataDir, 'nowhere'), '--data-dir', dataDir])).rejects.toMatchObject({ stderr: expect.stringMatching(/^scout: /) });
    await expect(scout(['index', repo.dir, '--data-dir', dataDir], { SCOUT_MAX_FILES: 'lots' })).rejects.toMatchObject({
      stderr: expect.stringMatching(/SCOUT_MAX_FILES: must be a positive whole number/),
    });
  });
});
