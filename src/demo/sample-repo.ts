import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { RepositoryError, ScoutError } from '../errors.ts';
import { PROJECT_ROOT } from '../project-root.ts';

/**
 * The sample repository `npm run demo` triages: a small bookshop whose files live in `demo/sample/`
 * and whose history is replayed from `demo/history.json` into a fresh git repository at run time,
 * so repo-scout never ships a `.git` folder. Older versions of edited files live in
 * `demo/versions/<commit id>/<path>`. Fixed authors, dates and messages, and a git environment cut
 * off from the machine's configuration, give the same commit shas on every machine.
 */

/** `demo/` of this checkout, wherever the process was started from. */
export const DEMO_DIR = `${path.join(PROJECT_ROOT, 'demo')}${path.sep}`;

export interface SampleIssue {
  title: string;
  body: string;
}

export interface SampleRepo {
  /** Absolute path of the work tree (its git directory is `repoPath/.git`), branch `main` checked out. */
  repoPath: string;
  /** Full sha of `main`. */
  head: string;
  issue: SampleIssue;
}

export interface SampleRepoOptions {
  /** A folder laid out like `demo/` (tests use small ones). Defaults to `DEMO_DIR`. */
  demoDir?: string;
}

const identity = z
  .string()
  .regex(/^[^<>\n]+ <[^<>\s]+>$/, 'must look like "Name <email@example.com>"');
// An explicit offset keeps the commit (and its sha) independent of the machine's time zone.
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 date with an offset, like 2024-01-08T09:30:00+00:00');
const branchName = z.string().regex(/^[A-Za-z0-9][\w./-]*$/, 'must be a plain branch name');
const common = {
  id: z.string().regex(/^[\w.-]+$/, 'must be letters, digits, ".", "_" or "-"'),
  author: identity,
  date: isoDate,
  message: z.string().trim().min(1, 'must not be empty'),
};
const fileCommitSchema = z.strictObject({
  ...common,
  branch: branchName.optional(),
  files: z.array(z.string().min(1)).min(1, 'must list at least one path'),
});
const mergeCommitSchema = z.strictObject({ ...common, merge: branchName });
const planSchema = z.object({
  about: z.string().optional(),
  commits: z.array(z.union([mergeCommitSchema, fileCommitSchema])).min(1),
});

export type SamplePlan = z.infer<typeof planSchema>;
export type PlannedCommit = SamplePlan['commits'][number];

/** Left behind by running the sample's own tests in place; never part of the sample. */
const LEFTOVERS = new Set(['__pycache__', '.pytest_cache', '.ruff_cache', '.mypy_cache', 'node_modules', '.DS_Store', '.git']);

/**
 * Builds the sample repository at `dir` (created if missing; it must be new or empty) and reads the
 * sample issue. If `dir` already holds the sample repository built from the same `demo/` files, it
 * is kept as it is, so a kept demo folder can be reused.
 */
export async function createSampleRepo(dir: string, options: SampleRepoOptions = {}): Promise<SampleRepo> {
  const demoDir = path.resolve(options.demoDir ?? DEMO_DIR);
  const repoPath = path.resolve(dir);
  const plan = await readSamplePlan(demoDir);
  const [sampleFiles, versionFiles, issue] = await Promise.all([
    listFiles(path.join(demoDir, 'sample')),
    listFiles(path.join(demoDir, 'versions')),
    readSampleIssue(demoDir),
  ]);
  const steps = resolvePlan(plan, sampleFiles, versionFiles, demoDir);

  await mkdir(path.dirname(repoPath), { recursive: true });
  // Built beside the target and moved into place at the end: a failure halfway never leaves a
  // partial repository where the caller expects the sample.
  const staging = await mkdtemp(path.join(path.dirname(repoPath), `.${path.basename(repoPath)}-building-`));
  try {
    const work = path.join(staging, 'repo');
    const home = path.join(staging, 'home');
    await Promise.all([mkdir(work), mkdir(home)]);
    const env = isolatedGitEnv(home);
    const head = await buildRepo(work, steps, env);
    const tree = new Set((await git(work, ['ls-tree', '-r', '-z', '--name-only', 'HEAD'], env)).split('\0').filter(Boolean));
    const missing = sampleFiles.filter((file) => !tree.has(file));
    if (missing.length > 0 || tree.size !== sampleFiles.length) {
      throw new ScoutError(`The sample repository built from ${demoDir} does not match sample/ (missing: ${missing.join(', ') || 'none'}).`);
    }
    await moveIntoPlace(work, repoPath, head, env);
    return { repoPath, head, issue };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** `history.json`, validated. */
export async function readSamplePlan(demoDir: string = DEMO_DIR): Promise<SamplePlan> {
  const file = path.join(demoDir, 'history.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ScoutError(`Cannot read the demo's commit plan ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`);
    throw new ScoutError(`${file} is not a valid commit plan: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** `issue.md`: the first line is the title (a leading `# ` is dropped), the rest is the body. */
export async function readSampleIssue(demoDir: string = DEMO_DIR): Promise<SampleIssue> {
  const file = path.join(demoDir, 'issue.md');
  const text = (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n');
  const newline = text.indexOf('\n');
  const title = (newline < 0 ? text : text.slice(0, newline)).replace(/^#\s+/, '').trim();
  const body = newline < 0 ? '' : text.slice(newline + 1).replace(/^\s*\n/, '').trimEnd();
  if (!title) throw new ScoutError(`${file} must start with the issue title on its first line.`);
  return { title, body };
}

/** Files of the final tree (`sample/`), as sorted `/`-separated paths. */
export function listSampleFiles(demoDir: string = DEMO_DIR): Promise<string[]> {
  return listFiles(path.join(demoDir, 'sample'));
}

async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && relative === '') return;
      throw error;
    }
    for (const entry of entries) {
      if (LEFTOVERS.has(entry.name)) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(child);
      else if (entry.isFile()) files.push(child);
      else throw new ScoutError(`${path.join(root, child)} is not a regular file; the demo files hold plain files only.`);
    }
  };
  await visit('');
  return files.sort(byCodeUnit);
}

/** Locale-independent order, so the same files are always written in the same order. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Step =
  | { kind: 'commit'; commit: PlannedCommit; branch: string; writes: Array<{ path: string; source: string }> }
  | { kind: 'merge'; commit: PlannedCommit; branch: string };

/**
 * Checks the plan against the files before any git runs, and says which file a commit writes
 * where: every listed path exists in sample/, every older version belongs to a commit that
 * writes that path, every branch is merged, and each path's last write is its final version.
 */
function resolvePlan(plan: SamplePlan, sampleFiles: string[], versionFiles: string[], demoDir: string): Step[] {
  const fail = (message: string) => new ScoutError(`${path.join(demoDir, 'history.json')}: ${message}`);
  const sample = new Set(sampleFiles);
  const versions = new Set(versionFiles);
  const ids = new Set<string>();
  const lastSource = new Map<string, string>();
  const unmerged = new Set<string>();
  const steps: Step[] = [];

  for (const [index, commit] of plan.commits.entries()) {
    if (ids.has(commit.id)) throw fail(`commit id "${commit.id}" is used twice.`);
    ids.add(commit.id);
    if ('merge' in commit) {
      if (!unmerged.has(commit.merge)) throw fail(`commit ${commit.id} merges "${commit.merge}", which has no unmerged commits before it.`);
      unmerged.delete(commit.merge);
      steps.push({ kind: 'merge', commit, branch: commit.merge });
      continue;
    }
    const branch = commit.branch ?? 'main';
    if (index === 0 && branch !== 'main') throw fail(`the first commit must be on main, so branches have something to start from.`);
    if (branch !== 'main') unmerged.add(branch);

    const paths = new Set<string>();
    for (const entry of commit.files) {
      const matches = entry.endsWith('/') ? sampleFiles.filter((file) => file.startsWith(entry)) : sample.has(entry) ? [entry] : [];
      if (matches.length === 0) throw fail(`commit ${commit.id} lists "${entry}", which matches nothing in sample/.`);
      for (const file of matches) paths.add(file);
    }
    const writes = [...paths].sort(byCodeUnit).map((file) => {
      const older = `${commit.id}/${file}`;
      const source = versions.has(older) ? path.join(demoDir, 'versions', older) : path.join(demoDir, 'sample', file);
      lastSource.set(file, versions.has(older) ? `versions/${older}` : 'sample');
      return { path: file, source };
    });
    steps.push({ kind: 'commit', commit, branch, writes });
  }

  for (const version of versionFiles) {
    const [id, ...rest] = version.split('/');
    const file = rest.join('/');
    const step = steps.find((candidate) => candidate.commit.id === id);
    if (!step) throw fail(`versions/${version} belongs to no commit: there is no commit "${id}".`);
    if (step.kind !== 'commit' || !step.writes.some((write) => write.path === file)) {
      throw fail(`versions/${version} is never written: commit ${id} does not list ${file}.`);
    }
  }
  if (unmerged.size > 0) throw fail(`branch ${[...unmerged].join(', ')} is never merged into main.`);
  for (const file of sampleFiles) {
    const source = lastSource.get(file);
    if (source === undefined) throw fail(`no commit writes sample/${file}.`);
    if (source !== 'sample') throw fail(`sample/${file} ends at ${source}; a later commit must list ${file} to reach its final version.`);
  }
  return steps;
}

async function buildRepo(work: string, steps: Step[], env: NodeJS.ProcessEnv): Promise<string> {
  // No template: no sample hooks or excludes from the machine's git installation.
  await git(work, ['init', '-q', '--initial-branch=main', '--template=', '.'], env);
  let current = 'main';
  const created = new Set<string>(['main']);
  const checkout = async (branch: string) => {
    if (branch === current) return;
    await git(work, created.has(branch) ? ['checkout', '-q', branch] : ['checkout', '-q', '-b', branch, 'main'], env);
    created.add(branch);
    current = branch;
  };

  for (const step of steps) {
    const commitEnv = { ...env, ...identityEnv(step.commit) };
    if (step.kind === 'merge') {
      await checkout('main');
      await git(work, ['merge', '-q', '--no-ff', '--no-log', '--no-verify', '--cleanup=whitespace', '-m', step.commit.message, step.branch], commitEnv);
      continue;
    }
    await checkout(step.branch);
    for (const write of step.writes) {
      const target = path.join(work, ...write.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      // Read and written rather than copied, so file modes from the checkout of demo/ never reach git.
      await writeFile(target, await readFile(write.source), { mode: 0o644 });
    }
    // --force: a .gitignore inside the sample must not hide the sample's own files.
    await git(work, ['add', '-A', '--force', '--', '.'], env);
    const staged = await git(work, ['diff', '--cached', '--name-only', '-z'], env);
    if (staged === '') {
      throw new ScoutError(`Commit ${step.commit.id} of the demo's history.json changes nothing; give it different file versions or remove it.`);
    }
    // `whitespace` keeps lines that start with `#`, which the default cleanup would drop as comments.
    await git(work, ['commit', '-q', '--no-verify', '--cleanup=whitespace', '-m', step.commit.message], commitEnv);
  }
  await checkout('main');
  return (await git(work, ['rev-parse', 'HEAD'], env)).trim();
}

/** Moves the built repository to `target`, or keeps `target` when it already is this sample. */
async function moveIntoPlace(built: string, target: string, head: string, env: NodeJS.ProcessEnv): Promise<void> {
  let entries: string[] | undefined;
  try {
    entries = await readdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new ScoutError(`${target} is a file; pass a new or empty folder for the sample repository.`);
    if (code !== 'ENOENT') throw error;
  }
  if (entries === undefined || entries.length === 0) {
    if (entries) await rmdir(target);
    await rename(built, target);
    return;
  }
  if ((await existingHead(target, env)) === head) return;
  throw new ScoutError(`${target} already exists and does not hold the sample repository; pass a new or empty folder.`);
}

/** HEAD of the repository whose work tree is exactly `dir` (not a repository `dir` is nested in). */
async function existingHead(dir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const [top, head] = (await git(dir, ['rev-parse', '--show-toplevel', 'HEAD'], env)).trim().split('\n');
    return top && (await realpath(top)) === (await realpath(dir)) ? head : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's environment without its `GIT_*` variables, and no global or system git config. */
function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    // An empty home also hides ~/.config/git/{ignore,attributes}, which GIT_CONFIG_GLOBAL does not cover.
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    TZ: 'UTC',
  };
}

function identityEnv(commit: PlannedCommit): Record<string, string> {
  const match = /^(.+) <(.+)>$/.exec(commit.author);
  const [name, email] = [match?.[1] ?? commit.author, match?.[2] ?? ''];
  return {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_AUTHOR_DATE: commit.date,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    GIT_COMMITTER_DATE: commit.date,
  };
}

/** Settings that would otherwise come from config files the isolated environment no longer reads. */
const GIT_SETTINGS = [
  ['core.autocrlf', 'false'],
  ['core.fileMode', 'true'],
  ['core.hooksPath', os.devNull],
  ['commit.gpgSign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
].flatMap(([key, value]) => ['-c', `${key}=${value}`]);

const execFileAsync = promisify(execFile);

async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', [...GIT_SETTINGS, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new RepositoryError('Could not run git to build the sample repository. Install git and make sure it is on PATH.', { cause: error });
    }
    const detail = (failure.stderr || failure.message).trim();
    throw new RepositoryError(`git ${args[0]} failed while building the sample repository in ${cwd}: ${detail}`, { cause: error });
  }
}
