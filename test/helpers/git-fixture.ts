import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Builds small, fully deterministic git repositories for tests: fixed author/committer names,
 * emails and dates, branch `main`, and no influence from the machine's global or system git config
 * (no signing, hooks, templates, autocrlf…). Same input → same commit shas on every machine.
 */

const execFileAsync = promisify(execFile);

export interface FixtureCommit {
  /** Path → content; `null` deletes the path. Folders are created as needed. */
  files: Record<string, string | Buffer | null>;
  message: string;
  /** Defaults to `Test Author <author@example.com>`. */
  author?: { name: string; email: string };
  /** Any date git accepts (ISO 8601 like `2024-03-01T12:00:00Z`, or `@<unix> +0000`). Defaults to 2024-01-01 plus one day per commit. */
  date?: string;
  /** Link path → target (stored as a symlink, never followed). */
  symlinks?: Record<string, string>;
  /** Old path → new path, applied before `files` (so a rename can also edit the file). */
  renames?: Record<string, string>;
}

export interface FixtureRepo {
  /** Work tree of the repository (its git directory is `dir/.git`). */
  dir: string;
  /** Commit shas, in the order of `commits`. */
  shas: string[];
  cleanup(): Promise<void>;
}

/** 2024-01-01T00:00:00Z. */
const BASE_DATE = 1_704_067_200;
const DAY = 86_400;
export const DEFAULT_AUTHOR = { name: 'Test Author', email: 'author@example.com' };

/** An environment that isolates git from the machine: no global/system config, no ambient GIT_* variables. */
export function isolatedGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    TZ: 'UTC',
    ...extra,
  };
}

/** Runs git (no shell) in `cwd` with an isolated environment and returns stdout. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    env: isolatedGitEnv(env),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return stdout;
}

async function ensureParent(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
}

function inside(root: string, relative: string): string {
  const target = path.resolve(root, relative);
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new Error(`fixture path escapes the repository: ${relative}`);
  }
  return target;
}

/** Creates a temporary repository with the given commits (in order). Call `cleanup()` when done. */
export async function makeRepo(commits: FixtureCommit[]): Promise<FixtureRepo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-fixture-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await git(dir, ['-c', 'init.defaultBranch=main', 'init', '-q', '--initial-branch=main']);
    // Repository-local settings that make content and commits independent of the machine.
    const settings: Array<[string, string]> = [
      ['core.autocrlf', 'false'],
      ['core.symlinks', 'true'],
      ['core.fileMode', 'true'],
      ['commit.gpgSign', 'false'],
      ['tag.gpgSign', 'false'],
      ['core.hooksPath', os.devNull],
      ['user.useConfigOnly', 'false'],
    ];
    for (const [key, value] of settings) await git(dir, ['config', key, value]);

    const shas: string[] = [];
    for (const [index, commit] of commits.entries()) shas.push(await applyCommit(dir, commit, index));
    return { dir, shas, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Writes one commit's changes into the work tree of `dir` and commits them; returns the new sha. */
async function applyCommit(dir: string, commit: FixtureCommit, index: number): Promise<string> {
  for (const [from, to] of Object.entries(commit.renames ?? {})) {
    const target = inside(dir, to);
    await ensureParent(target);
    await rename(inside(dir, from), target);
  }
  for (const [file, content] of Object.entries(commit.files)) {
    const target = inside(dir, file);
    await rm(target, { force: true }); // also replaces a symlink rather than writing through it
    if (content !== null) {
      await ensureParent(target);
      await writeFile(target, content);
    }
  }
  for (const [link, linkTarget] of Object.entries(commit.symlinks ?? {})) {
    const target = inside(dir, link);
    await ensureParent(target);
    await rm(target, { force: true });
    await symlink(linkTarget, target);
  }
  await git(dir, ['add', '-A', '--', '.']);
  await git(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', commit.message], identityEnv(commit, index));
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}

function identityEnv(commit: Pick<FixtureCommit, 'author' | 'date'>, index: number): Record<string, string> {
  const author = commit.author ?? DEFAULT_AUTHOR;
  const date = commit.date ?? `@${BASE_DATE + index * DAY} +0000`;
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_COMMITTER_DATE: date,
  };
}

/**
 * Adds a branch off the current `main` with `commits`, then merges it into `main` with a merge
 * commit (`--no-ff`) whose message is `merge.message` — e.g. GitHub's `Merge pull request #34 from
 * a/b`. Default dates continue the one-day-per-commit sequence of `makeRepo`.
 */
export async function addMergedBranch(
  fixture: Pick<FixtureRepo, 'dir'>,
  branch: string,
  commits: FixtureCommit[],
  merge: Pick<FixtureCommit, 'message' | 'author' | 'date'>,
): Promise<{ branchShas: string[]; mergeSha: string }> {
  const dir = fixture.dir;
  let index = Number((await git(dir, ['rev-list', '--count', 'HEAD'])).trim());
  await git(dir, ['checkout', '-q', '-b', branch]);
  const branchShas: string[] = [];
  for (const commit of commits) {
    branchShas.push(await applyCommit(dir, commit, index));
    index += 1;
  }
  await git(dir, ['checkout', '-q', 'main']);
  await git(dir, ['merge', '-q', '--no-ff', '-m', merge.message, branch], identityEnv(merge, index));
  return { branchShas, mergeSha: (await git(dir, ['rev-parse', 'HEAD'])).trim() };
}

/** `git clone --bare` of a fixture into a new temporary folder; the caller removes it with `cleanup()`. */
export async function cloneBare(source: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'scout-bare-'));
  const dir = path.join(parent, 'repo.git');
  await git(parent, ['clone', '-q', '--bare', source, dir]);
  return { dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
}
