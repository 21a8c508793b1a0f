import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { GitPluginError, simpleGit, type SimpleGit, type SimpleGitProgressEvent } from 'simple-git';
import { errorMessage, RepositoryError } from '../errors.ts';
import { log as rootLog, type Logger } from '../log.ts';

/**
 * Keeps a bare clone of a GitHub (or GitHub Enterprise Server) repository under the data dir,
 * fetched with an installation token.
 *
 * The token never lands on disk, on a command line or in a message: git gets it as an
 * `Authorization` header through `GIT_CONFIG_COUNT` environment config (readable only by this
 * user, unlike argv), scoped to the GitHub host; the clone's stored remote URL has no credentials;
 * credential helpers are switched off so the machine's keychain is neither asked nor filled; and
 * every git error is redacted before it is logged or thrown.
 */

export interface GitHubHost {
  /** GitHub Enterprise Server host (`GHE_HOST`, may include a port); absent for github.com. */
  gheHost?: string;
  /** `GHE_PROTOCOL`; defaults to `https`. */
  gheProtocol?: 'http' | 'https';
}

export interface RepoRef extends GitHubHost {
  owner: string;
  repo: string;
}

export interface RepoCredentials extends RepoRef {
  /** An installation access token (`ghs_…`). */
  token: string;
}

export interface SyncOptions extends RepoCredentials {
  /** `SCOUT_DATA_DIR`: the clone goes to `<dataDir>/repos/<owner>+<repo>.git`. */
  dataDir: string;
  /**
   * The branch to keep, normally the repository's default branch (a webhook payload's
   * `repository.default_branch`); HEAD of the clone points at it. Absent: ask the remote for its
   * default branch.
   */
  branch?: string;
  /**
   * A commit that must be present afterwards (e.g. a push's `after`). When it already is, nothing
   * is fetched; otherwise the branch is fetched and, if the commit is still missing, the commit
   * itself (kept under `refs/scout/commits/<sha>` so it survives garbage collection).
   */
  commit?: string;
  /** The whole sync must finish within this (default 30 minutes: a first clone of a big repository). */
  timeoutMs?: number;
  /** A git process that prints nothing, progress included, for this long is stopped (default 2 minutes). */
  stallTimeoutMs?: number;
  logger?: Logger;
}

export interface SyncResult {
  /** Absolute path of the bare repository. */
  gitDir: string;
  /** Whether this call made the clone. */
  cloned: boolean;
  /** Whether this call talked to the remote at all (false: the commit asked for was already here). */
  fetched: boolean;
  branch: string;
  /** Commit at the tip of `branch` in the clone. */
  head: string;
  /** Full sha of `options.commit`, when one was asked for. */
  commit?: string;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_STALL_TIMEOUT_MS = 2 * 60_000;
/** Owner and repository names as GitHub allows them; anything else could escape the data dir or the URL. */
const NAME = /^[A-Za-z0-9_.-]+$/;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

function validateRef({ owner, repo }: RepoRef): void {
  for (const [what, value] of [
    ['owner', owner],
    ['repository name', repo],
  ] as const) {
    if (!NAME.test(value) || value === '.' || value === '..') {
      throw new RepositoryError(`"${value}" is not a valid GitHub ${what}: use the name from the webhook payload (letters, digits, ".", "_", "-").`);
    }
  }
}

function protocolAndHost(host: GitHubHost): { protocol: string; hostname: string } {
  if (!host.gheHost) return { protocol: 'https', hostname: 'github.com' };
  // GHE_HOST is a host name, but people paste URLs: accept `https://ghe.example.com/` too.
  const hostname = host.gheHost.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  return { protocol: host.gheProtocol ?? 'https', hostname };
}

/** The REST API root: `https://api.github.com`, or `<protocol>://<GHE_HOST>/api/v3`. */
export function apiBaseUrl(host: GitHubHost = {}): string {
  if (!host.gheHost) return 'https://api.github.com';
  const { protocol, hostname } = protocolAndHost(host);
  return `${protocol}://${hostname}/api/v3`;
}

/** The repository's web page, `https://github.com/<owner>/<repo>` (or the GHE equivalent): the base of permalinks. */
export function htmlUrl(ref: RepoRef): string {
  validateRef(ref);
  const { protocol, hostname } = protocolAndHost(ref);
  return `${protocol}://${hostname}/${ref.owner}/${ref.repo}`;
}

/** The repository's git URL without credentials (what the clone remembers as `origin`). */
export function remoteUrl(ref: RepoRef): string {
  validateRef(ref);
  const { protocol, hostname } = protocolAndHost(ref);
  return `${protocol}://${hostname}/${ref.owner}/${ref.repo}.git`;
}

/**
 * `https://x-access-token:<token>@github.com/<owner>/<repo>.git` (or the GHE equivalent): the
 * self-contained form GitHub documents for installation tokens, for tools that only take a URL.
 * `syncRepository` does not use it, so the token stays out of argv and of the clone's config.
 */
export function cloneUrl(credentials: RepoCredentials): string {
  validateRef(credentials);
  const { protocol, hostname } = protocolAndHost(credentials);
  return `${protocol}://x-access-token:${encodeURIComponent(credentials.token)}@${hostname}/${credentials.owner}/${credentials.repo}.git`;
}

/** Where the bare clone of a repository lives: `<dataDir>/repos/<owner>+<repo>.git`. */
export function mirrorDir(dataDir: string, ref: Pick<RepoRef, 'owner' | 'repo'>): string {
  validateRef(ref);
  return path.join(path.resolve(dataDir), 'repos', `${ref.owner}+${ref.repo}.git`);
}

/** Replaces every form of the token (plain, URL-encoded, inside a Basic header) with `***`. */
export function redactToken(text: string, token: string): string {
  if (!token) return text;
  const forms = new Set([
    token,
    encodeURIComponent(token),
    Buffer.from(`x-access-token:${token}`).toString('base64'),
    Buffer.from(`x-access-token:${token}`).toString('base64').replace(/=+$/, ''),
  ]);
  let result = text;
  for (const form of forms) if (form.length >= 4) result = result.split(form).join('***');
  return result;
}

// One sync per clone at a time in this process (a fetch racing a clone's rename would fail).
const inFlight = new Map<string, Promise<unknown>>();

function serialize<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  inFlight.set(key, next);
  void next
    .catch(() => undefined)
    .then(() => {
      if (inFlight.get(key) === next) inFlight.delete(key);
    });
  return next;
}

/**
 * Clones the repository as a bare repository into `<dataDir>/repos/<owner>+<repo>.git` on first
 * use, and later fetches `branch` (and `commit`, if needed) into it. Calls for the same repository
 * in this process run one after another; the first clone is made in a temporary folder and renamed
 * into place, so a crash never leaves a half clone where the next run looks. Failures throw a
 * `RepositoryError` saying what to do, with the token redacted.
 */
export async function syncRepository(options: SyncOptions): Promise<SyncResult> {
  const gitDir = mirrorDir(options.dataDir, options);
  if (options.commit !== undefined && !FULL_SHA.test(options.commit)) {
    throw new RepositoryError(`"${options.commit}" is not a full commit sha: pass the 40-character sha from the webhook payload.`);
  }
  return serialize(gitDir, () => new CloneSession(options, gitDir).sync());
}

type Action = 'clone' | 'fetch' | 'ls-remote' | 'inspect';

class CloneSession {
  private readonly remote: string;
  private readonly hostname: string;
  private readonly deadline: AbortSignal;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly stallTimeoutMs: number;
  private lastProgressLog = 0;

  constructor(
    private readonly options: SyncOptions,
    private readonly gitDir: string,
  ) {
    this.remote = remoteUrl(options);
    this.hostname = protocolAndHost(options).hostname;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.deadline = AbortSignal.timeout(this.timeoutMs);
    this.logger = (options.logger ?? rootLog).child({ repo: `${options.owner}/${options.repo}`, gitDir });
  }

  async sync(): Promise<SyncResult> {
    const started = Date.now();
    let branch = this.options.branch;
    if (branch !== undefined) checkBranchName(branch);
    let cloned = false;
    if (!(await this.isCloneAt(this.gitDir))) {
      cloned = await this.clone();
    }

    const wanted = this.options.commit?.toLowerCase();
    let fetched = cloned;
    if (!cloned) {
      const haveEverything =
        wanted !== undefined && (await this.hasCommit(wanted)) && (branch === undefined || (await this.hasCommit(`refs/heads/${branch}`)));
      if (haveEverything) {
        branch ??= await this.headBranch();
      } else {
        branch ??= await this.remoteDefaultBranch();
        await this.fetchBranch(branch);
        fetched = true;
      }
    }
    branch ??= await this.headBranch();
    await this.git(this.gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], 'inspect');

    if (wanted && !(await this.hasCommit(wanted))) {
      await this.fetchCommit(wanted);
      fetched = true;
      if (!(await this.hasCommit(wanted))) {
        throw new RepositoryError(
          `Commit ${wanted} is not in ${this.options.owner}/${this.options.repo}: it may have been force-pushed away. Re-run with the current head of the branch.`,
        );
      }
    }
    const head = await this.resolve(`refs/heads/${branch}`);
    this.logger.info({ branch, head, cloned, fetched, ms: Date.now() - started }, cloned ? 'cloned repository' : 'synced repository');
    return { gitDir: this.gitDir, cloned, fetched, branch, head, commit: wanted };
  }

  /** Whether `dir` is itself a bare repository (not a folder inside some other repository). */
  private async isCloneAt(dir: string): Promise<boolean> {
    try {
      if (!(await stat(dir)).isDirectory()) return false;
    } catch {
      return false;
    }
    try {
      const out = await this.git(dir, ['rev-parse', '--is-bare-repository', '--absolute-git-dir'], 'inspect');
      const [bare, gitDir] = out.trim().split('\n');
      if (bare === 'true' && (await realpath(gitDir)) === (await realpath(dir))) return true;
    } catch {
      // Not a repository: handled below.
    }
    this.logger.warn('the clone folder is not a usable bare repository (an interrupted clone?); cloning again');
    await rm(dir, { recursive: true, force: true });
    return false;
  }

  /** Clones into a temporary folder, then renames it into place. False when another process got there first. */
  private async clone(): Promise<boolean> {
    const parent = path.dirname(this.gitDir);
    await mkdir(parent, { recursive: true });
    const temporary = `${this.gitDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const branchArgs = this.options.branch ? ['--branch', this.options.branch] : [];
      await this.git(parent, ['clone', '--bare', '--single-branch', '--progress', ...branchArgs, '--', this.remote, temporary], 'clone');
      try {
        await this.git(temporary, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], 'inspect');
      } catch {
        throw new RepositoryError(
          `${this.options.owner}/${this.options.repo} has no commits yet, so there is nothing to index. Push a first commit and try again.`,
        );
      }
      await this.writeCommitGraph(temporary);
      try {
        await rename(temporary, this.gitDir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await this.isCloneAt(this.gitDir))) return false;
        throw error;
      }
      return true;
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }

  private async remoteDefaultBranch(): Promise<string> {
    const out = await this.git(this.gitDir, ['ls-remote', '--symref', '--', this.remote, 'HEAD'], 'ls-remote');
    const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
    if (match) return match[1];
    // A server that does not report symrefs: keep the branch the clone already follows.
    return this.headBranch();
  }

  private async headBranch(): Promise<string> {
    const ref = (await this.git(this.gitDir, ['symbolic-ref', '--quiet', 'HEAD'], 'inspect')).trim();
    return ref.replace(/^refs\/heads\//, '');
  }

  private async fetchBranch(branch: string): Promise<void> {
    await this.git(this.gitDir, ['fetch', '--progress', '--write-commit-graph', '--', this.remote, `+refs/heads/${branch}:refs/heads/${branch}`], 'fetch', { branch });
  }

  private async fetchCommit(sha: string): Promise<void> {
    await this.git(this.gitDir, ['fetch', '--progress', '--no-tags', '--write-commit-graph', '--', this.remote, `+${sha}:refs/scout/commits/${sha}`], 'fetch', { commit: sha });
  }

  /**
   * Git's commit-graph file (fetches add a layer to it): walking history reads it instead of
   * inflating commits, so an index run's 5,000-commit `rev-list` takes ~5 ms instead of ~60 ms
   * on django. The clone works without one: a failure is only logged.
   */
  private async writeCommitGraph(gitDir: string): Promise<void> {
    try {
      await this.git(gitDir, ['commit-graph', 'write', '--reachable'], 'inspect');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not write the commit-graph; history walks will be slower');
    }
  }

  /** Whether `rev` (a sha or a full ref name) names a commit in the clone. */
  private async hasCommit(rev: string): Promise<boolean> {
    try {
      await this.git(this.gitDir, ['cat-file', '-e', `${rev}^{commit}`], 'inspect');
      return true;
    } catch {
      return false;
    }
  }

  private async resolve(rev: string): Promise<string> {
    return (await this.git(this.gitDir, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`], 'inspect')).trim();
  }

  /**
   * Runs one git command with the token supplied as environment config. Every failure becomes a
   * `RepositoryError` whose message (and cause) has the token redacted.
   */
  private async git(cwd: string, args: string[], action: Action, context: { branch?: string; commit?: string } = {}): Promise<string> {
    const { token } = this.options;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const { protocol, hostname } = protocolAndHost(this.options);
    const environment: Record<string, string> = {
      ...inheritedEnvironment(),
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '2',
      // Scoped to the GitHub host, so the header goes nowhere else.
      GIT_CONFIG_KEY_0: `http.${protocol}://${hostname}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      // An empty helper clears the list: a refused token fails fast instead of asking the machine's
      // keychain (or a person), and nothing is stored.
      GIT_CONFIG_KEY_1: 'credential.helper',
      GIT_CONFIG_VALUE_1: '',
    };
    const client: SimpleGit = simpleGit({
      baseDir: cwd,
      trimmed: false,
      abort: this.deadline,
      timeout: { block: this.stallTimeoutMs },
      progress: (event) => this.onProgress(event),
      allowEnvironment: Object.keys(environment).filter((key) => key.startsWith('GIT_')),
      unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeCredentialHelper: true },
    }).env(environment);
    try {
      return await client.raw(args);
    } catch (error) {
      if (action === 'inspect') throw new RepositoryError(redactToken(errorMessage(error), token));
      throw this.describeFailure(error, action, context, hostname);
    }
  }

  private onProgress(event: SimpleGitProgressEvent): void {
    const now = Date.now();
    if (now - this.lastProgressLog < 5_000) return;
    this.lastProgressLog = now;
    this.logger.debug({ method: event.method, stage: event.stage, progress: event.progress }, 'git progress');
  }

  private describeFailure(error: unknown, action: Action, context: { branch?: string; commit?: string }, hostname: string): RepositoryError {
    const { owner, repo, token } = this.options;
    const name = `${owner}/${repo}`;
    const raw = redactToken(errorMessage(error), token);
    const detail = raw
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !/^(?:Cloning into|remote: (?:Enumerating|Counting|Compressing|Total))/.test(line))
      .slice(0, 3)
      .join(' / ');
    const cause = new Error(raw);
    let message: string;
    if (error instanceof GitPluginError && error.plugin === 'timeout') {
      message = `git ${action} of ${name} made no progress for ${duration(this.stallTimeoutMs)} and was stopped: ${hostname} or the network may be slow or down. Try again later.`;
    } else if ((error instanceof GitPluginError && error.plugin === 'abort') || this.deadline.aborted) {
      message = `git ${action} of ${name} did not finish within ${duration(this.timeoutMs)} and was stopped: the repository may be very large or ${hostname} slow. Try again, or allow more time.`;
    } else if (/repository '[^']*' not found|Repository not found|returned error: 404|HTTP 404/i.test(raw)) {
      message = `The app cannot see ${name}: is it installed there, with access to this repository? (git ${action} got 404 Not Found.)`;
    } else if (/Authentication failed|could not read (?:Username|Password)|returned error: 401|HTTP 401|terminal prompts disabled/i.test(raw)) {
      message = `${hostname} refused the installation token for ${name} (401): it may have expired or been revoked. Retry with a fresh installation token; if this keeps happening, check APP_ID and the private key.`;
    } else if (/returned error: 403|HTTP 403/i.test(raw)) {
      message = `${hostname} denied access to ${name} (403): give the app the "Contents: read" permission, or wait if the rate limit was hit.`;
    } else if (/couldn't find remote ref|Couldn't find remote ref/i.test(raw) && context.branch) {
      message = `Branch "${context.branch}" does not exist in ${name}: pass the repository's current default branch.`;
    } else if (/not our ref|unadvertised object|couldn't find remote ref/i.test(raw) && context.commit) {
      message = `Commit ${context.commit} is not in ${name}: it may have been force-pushed away. Re-run with the current head of the branch.`;
    } else if (/Could not resolve host|Failed to connect|Connection refused|Connection timed out|SSL|certificate|Empty reply/i.test(raw)) {
      message = `Cannot reach ${hostname} to ${action} ${name} (${detail}). Check the network, and GHE_HOST / GHE_PROTOCOL for GitHub Enterprise.`;
    } else {
      message = `git ${action} of ${name} failed: ${detail || 'no message from git'}.`;
    }
    return new RepositoryError(message, { cause });
  }
}

/** git's ref name rules (`git check-ref-format`), checked before a branch name reaches a command line. */
function checkBranchName(branch: string): void {
  const invalid =
    branch === '' ||
    branch === '@' ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    [...branch].some((char) => char.charCodeAt(0) <= 0x20 || char.charCodeAt(0) === 0x7f || '~^:?*[\\'.includes(char)) ||
    branch.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'));
  if (invalid) {
    throw new RepositoryError(`"${branch}" is not a valid branch name: pass the repository's default branch from the webhook payload.`);
  }
}

function duration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * Variables that make git run other programs. simple-git refuses to pass them explicitly, and git
 * needs none of them to fetch (it must never open an editor or ask for a password).
 */
const PROGRAM_VARIABLES = new Set(['EDITOR', 'VISUAL', 'PAGER', 'PREFIX', 'SSH_ASKPASS']);

/**
 * The process environment (proxies, CA bundles, HOME stay) without ambient `GIT_*` settings — a
 * leaked `GIT_DIR` would redirect every command — and without variables that start programs.
 */
function inheritedEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    const upper = key.toUpperCase();
    if (value !== undefined && !upper.startsWith('GIT_') && !PROGRAM_VARIABLES.has(upper)) environment[key] = value;
  }
  return environment;
}
