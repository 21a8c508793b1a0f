import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RepositoryError } from '../errors.ts';
import { log } from '../log.ts';
import { launch } from './launcher.ts';

/**
 * Thin git plumbing over a git directory (bare or not). Everything reads git objects: nothing here
 * checks files out or touches a work tree, so the same code serves a bare mirror and a clone.
 *
 * Arguments never go through a shell. Revisions given by callers are resolved to full object ids
 * with `rev-parse --verify --end-of-options` first, so no caller string can be read as an option.
 */

/** One entry of `git ls-tree -r --long`. */
export interface TreeEntry {
  /** Octal mode as git prints it: `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  /** Blob size in bytes; `null` for submodules (git prints `-`) and for entries from a diff (`NameStatusDiff.entries`), which does not say. */
  size: number | null;
  /** Path from the repository root, `/`-separated, exactly as stored (no quoting). */
  path: string;
}

export interface Blob {
  sha: string;
  size: number;
  data: Buffer;
}

export interface NameStatusDiff {
  added: string[];
  modified: string[];
  deleted: string[];
  renamed: Array<{ from: string; to: string }>;
  /** The later commit's tree entries of the added, modified, renamed and copied paths (`size` null: a diff does not say). */
  entries: TreeEntry[];
}

export interface LogOptions {
  /** Newest commit to list (any revision; resolved first). */
  commit: string;
  /** Exclusive lower bound: commits reachable from `after` are left out. */
  after?: string;
  /** At most this many commits. */
  maxCount: number;
  /** A `--format` string; callers should delimit fields with `%x00` / `%x1e`. */
  format: string;
  /** Add `--name-status -M` (rename detection) with `-z` path output. */
  nameStatus?: boolean;
}

export interface GitRepo {
  /** Absolute path of the git directory (`.git` of a clone, or the bare repository itself). */
  readonly gitDir: string;
  readonly bare: boolean;
  /** Full object id of the commit `rev` names. Unknown → `RepositoryError`. */
  resolveCommit(rev?: string): Promise<string>;
  /**
   * Every entry of the commit's tree, recursively (`git ls-tree -r -z --long`), in git's order;
   * with `paths`, only the entries at exactly those paths (literal pathspecs; absent ones left out).
   */
  listTree(commit: string, paths?: readonly string[]): Promise<TreeEntry[]>;
  /**
   * Blob contents, in the order asked, streamed through ONE `git cat-file --batch` process.
   * Breaking out of the loop stops the process.
   */
  blobs(shas: readonly string[]): AsyncGenerator<Blob, void, undefined>;
  /** Callback form of `blobs`; `onBlob` is awaited before the next blob is handed over. */
  readBlobs(shas: readonly string[], onBlob: (blob: Blob) => void | Promise<void>): Promise<void>;
  /** What changed between two commits (`git diff --raw -z -M`): paths, and the later commit's entries of those that exist there. */
  diffNameStatus(from: string, to: string): Promise<NameStatusDiff>;
  /** Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Raw `git log` output for `LogOptions`; `history.ts` parses it. */
  log(options: LogOptions): Promise<string>;
  /** Ids of the newest `maxCount` commits of `commit`'s history, in `git log`'s order (`git rev-list`). */
  revList(commit: string, maxCount: number): Promise<string[]>;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA_PREFIX = /^[0-9a-f]{4,64}$/i;

/**
 * The environment for git processes we spawn ourselves: ambient `GIT_*` variables (a `GIT_DIR` or
 * `GIT_INDEX_FILE` leaking in from a hook, say) are dropped, as simple-git does for its own calls.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  // Never prompt for anything: we only read local objects.
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs git without a shell and collects its output, whatever the exit code. */
function run(cwd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = launch('git', args, { cwd, env: cleanEnv(), stdin: 'ignore' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(new RepositoryError(`Could not run git (${error.message}). Install git and make sure it is on PATH.`, { cause: error })),
    );
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim() }),
    );
  });
}

/**
 * Opens the repository at `repoPath`: a work tree (or any folder inside one), its `.git`, or a bare
 * repository. Not a git repository → `RepositoryError`.
 */
export async function openGitRepo(repoPath: string): Promise<GitRepo> {
  return (await openRepo(repoPath)).repo;
}

/**
 * `openGitRepo`, and the commit `rev` names (`resolveCommit`) asked of the same git process: one
 * process fewer for a caller that needs both (an index run).
 */
export async function openGitRepoAt(repoPath: string, rev: string): Promise<{ repo: GitRepo; commit: string }> {
  const { repo, printed } = await openRepo(repoPath, rev);
  return { repo, commit: printed && FULL_SHA.test(printed) ? printed : await repo.resolveCommit(rev) };
}

/** Opens the repository, and asks git for the commit `rev` names too (`printed`: what git printed for it). */
async function openRepo(repoPath: string, rev?: string): Promise<{ repo: LocalGitRepo; printed?: string }> {
  const absolute = path.resolve(repoPath);
  try {
    const info = await stat(absolute);
    if (!info.isDirectory()) {
      throw new RepositoryError(`${absolute} is a file, not a git repository. Pass the folder of a clone or a bare mirror.`);
    }
  } catch (error) {
    if (error instanceof RepositoryError) throw error;
    throw new RepositoryError(
      `${absolute} does not exist. Clone the repository first (git clone <url> ${repoPath}) and pass that folder.`,
      { cause: error },
    );
  }
  const resolve = rev !== undefined && isRevision(rev);
  const result = await run(absolute, ['rev-parse', '--absolute-git-dir', '--is-bare-repository', ...(resolve ? ['--verify', '--quiet', '--end-of-options', `${rev}^{commit}`] : [])]);
  // Exit 1 with the git dir printed: the repository is fine, the revision is not (resolveCommit says so below).
  const gitDirFound = result.code === 1 && resolve && result.stdout.length > 0;
  if (result.code !== 0 && !gitDirFound) {
    throw new RepositoryError(
      `${absolute} is not a git repository (${result.stderr || `git exited with ${result.code}`}). ` +
        'Pass the folder of a clone or of a bare mirror (git clone --mirror <url>).',
    );
  }
  const [gitDir, bare, printed] = result.stdout.toString('utf8').trim().split('\n');
  if (!gitDir) throw new RepositoryError(`git did not report a git directory for ${absolute}.`);
  return { repo: new LocalGitRepo(gitDir, bare === 'true'), printed };
}

/** A string git can take as a revision argument (anything else is refused before git sees it). */
function isRevision(rev: unknown): rev is string {
  return typeof rev === 'string' && rev.length > 0 && !rev.includes('\0') && !rev.includes('\n');
}

class LocalGitRepo implements GitRepo {
  private readonly resolved = new Map<string, string>();

  constructor(
    readonly gitDir: string,
    readonly bare: boolean,
  ) {}

  async resolveCommit(rev = 'HEAD'): Promise<string> {
    const cached = this.resolved.get(rev);
    if (cached) return cached;
    if (!isRevision(rev)) {
      throw new RepositoryError(`"${String(rev)}" is not a revision. Pass a commit sha, branch or tag.`);
    }
    const result = await run(this.gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    const sha = result.stdout.toString('utf8').trim();
    if (result.code !== 0 || !FULL_SHA.test(sha)) {
      const hint =
        rev === 'HEAD'
          ? ' The repository may have no commits yet, or HEAD names a branch that does not exist: commit or fetch first.'
          : SHA_PREFIX.test(rev)
            ? ' If it is a recent commit, fetch it first (git fetch).'
            : ' Check the spelling, or fetch the branch or tag first (git fetch).';
      throw new RepositoryError(`Unknown commit "${rev}" in ${this.gitDir}.${hint}`);
    }
    // Only ids are cached: a branch or HEAD may move while this object lives (a long-running server).
    if (FULL_SHA.test(rev)) this.resolved.set(rev, sha);
    return sha;
  }

  /** A full sha is used as is (git itself reports a missing object); anything else is resolved. */
  private async commitId(rev: string): Promise<string> {
    return FULL_SHA.test(rev) ? rev : this.resolveCommit(rev);
  }

  /**
   * Runs git and returns its whole output. Not through simple-git: it settles a command 50 ms
   * after the process exits even when stdout has not been read to the end, and an index run keeps
   * this thread busy for longer than that (parsing, loading a parser): a `rev-list` of 5,000 ids
   * once came back with 4,784. `run` waits for the output to close.
   */
  private async raw(args: string[], what: string): Promise<string> {
    const result = await run(this.gitDir, args);
    if (result.code !== 0) {
      throw new RepositoryError(`git ${what} failed in ${this.gitDir}: ${result.stderr || `exit code ${result.code}`}`);
    }
    return result.stdout.toString('utf8');
  }

  async listTree(commit: string, paths?: readonly string[]): Promise<TreeEntry[]> {
    const sha = await this.commitId(commit);
    if (paths && paths.length === 0) return [];
    const args = paths
      ? ['--literal-pathspecs', 'ls-tree', '-r', '-z', '--long', '--full-tree', sha, '--', ...paths]
      : ['ls-tree', '-r', '-z', '--long', '--full-tree', sha];
    const out = await this.raw(args, `ls-tree ${sha}`);
    const wanted = paths ? new Set(paths) : undefined;
    const entries: TreeEntry[] = [];
    for (const record of out.split('\0')) {
      if (record === '') continue;
      const tab = record.indexOf('\t');
      if (tab < 0) continue;
      const [mode, type, objectSha, size] = record.slice(0, tab).trim().split(/\s+/);
      if (!mode || !type || !objectSha || size === undefined) continue;
      const entryPath = record.slice(tab + 1);
      if (wanted && !wanted.has(entryPath)) continue;
      entries.push({
        mode,
        type: type as TreeEntry['type'],
        sha: objectSha,
        size: size === '-' ? null : Number(size),
        path: entryPath,
      });
    }
    return entries;
  }

  async *blobs(shas: readonly string[]): AsyncGenerator<Blob, void, undefined> {
    if (shas.length === 0) return;
    for (const sha of shas) {
      if (!SHA_PREFIX.test(sha)) throw new RepositoryError(`"${sha}" is not an object id.`);
    }
    const child = launch('git', ['cat-file', '--batch', '--buffer'], { cwd: this.gitDir, env: cleanEnv(), stdin: 'pipe' });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('close', (code) => resolve(code));
      child.on('error', () => resolve(null));
    });
    // git stops reading when we stop early; the write error that follows is expected.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${shas.join('\n')}\n`);

    let buf: Buffer = Buffer.alloc(0);
    let pos = 0;
    let current: { sha: string; size: number; parts: Buffer[]; have: number } | undefined;
    let delivered = 0;
    let finished = false;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
        pos = 0;
        const ready: Blob[] = [];
        for (;;) {
          if (!current) {
            const nl = buf.indexOf(10, pos);
            if (nl < 0) break;
            const header = buf.toString('utf8', pos, nl);
            pos = nl + 1;
            const [sha, type, size] = header.split(' ');
            if (type === 'missing' || type === 'ambiguous' || size === undefined) {
              throw new RepositoryError(
                `Object ${sha} is ${type ?? 'unreadable'} in ${this.gitDir}. The repository may be a partial or damaged clone: fetch it again.`,
              );
            }
            current = { sha: sha ?? '', size: Number(size), parts: [], have: 0 };
          }
          // The body is `size` bytes followed by a newline.
          const need = current.size + 1 - current.have;
          const available = buf.length - pos;
          if (available < need) {
            if (available > 0) current.parts.push(buf.subarray(pos));
            current.have += available;
            pos = buf.length;
            break;
          }
          current.parts.push(buf.subarray(pos, pos + need));
          pos += need;
          const whole = current.parts.length === 1 ? current.parts[0]! : Buffer.concat(current.parts);
          ready.push({ sha: current.sha, size: current.size, data: whole.subarray(0, current.size) });
          current = undefined;
        }
        for (const blob of ready) {
          delivered += 1;
          yield blob;
        }
      }
      const code = await exited;
      if (spawnError) {
        throw new RepositoryError(`Could not run git (${spawnError.message}). Install git and make sure it is on PATH.`, {
          cause: spawnError,
        });
      }
      if (code !== 0 || delivered !== shas.length) {
        throw new RepositoryError(
          `git cat-file failed in ${this.gitDir} after ${delivered} of ${shas.length} objects: ` +
            `${Buffer.concat(stderr).toString('utf8').trim() || `exit code ${code}`}`,
        );
      }
      finished = true;
    } finally {
      if (!finished && child.exitCode === null) {
        child.kill();
        log.debug({ gitDir: this.gitDir, delivered, total: shas.length }, 'stopped git cat-file early');
      }
    }
  }

  async readBlobs(shas: readonly string[], onBlob: (blob: Blob) => void | Promise<void>): Promise<void> {
    for await (const blob of this.blobs(shas)) await onBlob(blob);
  }

  async diffNameStatus(from: string, to: string): Promise<NameStatusDiff> {
    const [a, b] = await Promise.all([this.commitId(from), this.commitId(to)]);
    const diff = (renames: string) => this.raw(['diff', '--raw', '--no-abbrev', '-z', renames, '--no-color', '--no-ext-diff', a, b], `diff ${a} ${b}`);
    return parseRawDiff((await withoutRenamesOnMissingBlobs(() => diff('-M'), () => diff('--no-renames'))).split('\0'));
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const [a, b] = await Promise.all([this.commitId(ancestor), this.commitId(descendant)]);
    const result = await run(this.gitDir, ['merge-base', '--is-ancestor', a, b]);
    if (result.code === 0) return true;
    if (result.code === 1) return false;
    throw new RepositoryError(`git merge-base failed in ${this.gitDir}: ${result.stderr || `exit code ${result.code}`}`);
  }

  async revList(commit: string, maxCount: number): Promise<string[]> {
    const sha = await this.commitId(commit);
    const count = Math.max(0, Math.floor(maxCount));
    if (count === 0) return [];
    const out = await this.raw(['rev-list', `--max-count=${count}`, sha, '--'], `rev-list ${sha}`);
    return out.split('\n').filter((line) => FULL_SHA.test(line));
  }

  async log(options: LogOptions): Promise<string> {
    // Full shas go to git as they are (an index run has resolved them already): a missing one fails the log.
    const commit = await this.commitId(options.commit);
    const after = options.after === undefined ? undefined : await this.commitId(options.after);
    const maxCount = Math.max(0, Math.floor(options.maxCount));
    if (maxCount === 0) return '';
    const args = [
      // Authors are mapped through the .mailmap of the commit being read, not of some work tree.
      '-c',
      `mailmap.blob=${commit}:.mailmap`,
      'log',
      '--no-color',
      '--no-show-signature',
      '--no-notes',
      `--format=${options.format}`,
      `--max-count=${maxCount}`,
    ];
    const tail = [commit, ...(after ? [`^${after}`] : []), '--'];
    if (!options.nameStatus) return this.raw([...args, ...tail], `log ${commit}`);
    const withNames = (renames: string) => this.raw([...args, '-z', '--name-status', renames, '--root', ...tail], `log ${commit}`);
    return withoutRenamesOnMissingBlobs(() => withNames('-M'), () => withNames('--no-renames'));
  }
}

/**
 * Rename detection reads blob contents; a mirror that lacks some large blobs (partial snapshots do)
 * makes it fail with "unable to read <sha>". Name-status without renames compares ids only, so it
 * still works: a rename then shows as a delete and an add, which indexing handles the same way.
 */
async function withoutRenamesOnMissingBlobs(withRenames: () => Promise<string>, withoutRenames: () => Promise<string>): Promise<string> {
  try {
    return await withRenames();
  } catch (error) {
    if (!/unable to read|could not read|missing blob/i.test((error as Error).message)) throw error;
    log.warn({ err: (error as Error).message }, 'rename detection needs a blob this repository lacks; listing changes without renames');
    return withoutRenames();
  }
}

const MODE_SUBMODULE = '160000';

/**
 * Parses `git diff --raw --no-abbrev -z` tokens: `:oldmode newmode oldsha newsha STATUS\0path\0`
 * or, for renames and copies, `…R100\0old\0new\0`. Copies count as added, type changes (a file
 * becoming a symlink) and the like as modified; the new side of every path that has one is an entry.
 */
export function parseRawDiff(tokens: string[]): NameStatusDiff {
  const diff: NameStatusDiff = { added: [], modified: [], deleted: [], renamed: [], entries: [] };
  let i = 0;
  while (i < tokens.length) {
    const header = (tokens[i] ?? '').replace(/^\n+/, '');
    i += 1;
    if (header === '') continue;
    const [, newMode, , newSha, status] = header.slice(1).split(' ');
    if (!newMode || !newSha || !status) break;
    const kind = status[0];
    const paired = kind === 'R' || kind === 'C';
    const from = tokens[i];
    const to = paired ? tokens[i + 1] : from;
    i += paired ? 2 : 1;
    if (from === undefined || to === undefined) break;
    if (kind === 'R') diff.renamed.push({ from, to });
    else if (kind === 'A' || kind === 'C') diff.added.push(to);
    else if (kind === 'D') diff.deleted.push(to);
    else diff.modified.push(to); // M, T (type change), U, X: re-read the file
    if (kind !== 'D') diff.entries.push({ mode: newMode, type: newMode === MODE_SUBMODULE ? 'commit' : 'blob', sha: newSha, size: null, path: to });
  }
  return diff;
}
