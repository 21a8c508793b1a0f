import type { Octokit } from '@octokit/rest';
import { parseRepoConfig, REPO_CONFIG_PATH, type RepoConfig } from '../config/repo-config.ts';
import { log as rootLog, type Logger } from '../log.ts';
import { errorMessage, httpStatus } from '../errors.ts';

/**
 * Reads `.github/scout.yml` from GitHub. Never throws for the repository's sake: a missing file is
 * the defaults, and a file that cannot be read or parsed is the defaults plus a warning the
 * comment shows, so a broken config is visible instead of silently ignored.
 */

/** The part of an octokit the loader uses: `@octokit/rest`'s `Octokit` and Probot's `context.octokit` both fit. */
export type ConfigOctokit = Pick<Octokit, 'request'>;

export interface LoadedRepoConfig {
  config: RepoConfig;
  /** Markdown for the comment: what is wrong with the file, and that defaults apply. */
  warning?: string;
  /** `file` when the file was read (even if parts of it were unusable), `default` otherwise. */
  source: 'file' | 'default';
}

export interface RepoConfigTarget {
  owner: string;
  repo: string;
  /** Commit sha, branch or tag; default: the default branch. */
  ref?: string;
}

export interface LoadOptions {
  /** Reuse results for the same repository and commit sha (only a full sha is cached: a branch moves). */
  cache?: RepoConfigCache;
  logger?: Logger;
}

const FULL_SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i;

/**
 * Recent results per repository and commit: one triage job reads the config several times (the
 * handler's filter, the pipeline), and at a fixed sha the file cannot change.
 */
export class RepoConfigCache {
  private readonly entries = new Map<string, { at: number; value: LoadedRepoConfig }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 500,
  ) {}

  static key(target: RepoConfigTarget): string | undefined {
    return target.ref && FULL_SHA.test(target.ref) ? `${target.owner}/${target.repo}@${target.ref}`.toLowerCase() : undefined;
  }

  get(target: RepoConfigTarget): LoadedRepoConfig | undefined {
    const key = RepoConfigCache.key(target);
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.ttlMs) {
      this.entries.delete(key!);
      return undefined;
    }
    return { ...entry.value, config: structuredClone(entry.value.config) };
  }

  set(target: RepoConfigTarget, value: LoadedRepoConfig): void {
    const key = RepoConfigCache.key(target);
    if (key === undefined) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { at: Date.now(), value: { ...value, config: structuredClone(value.config) } });
  }
}

function unreadable(reason: string): LoadedRepoConfig {
  return { ...parseRepoConfig(undefined), warning: `\`${REPO_CONFIG_PATH}\` could not be read (${reason}), so the default settings are used.`, source: 'default' };
}

/** The file's text from a contents API answer: JSON with base64 `content`, or the raw text. */
function fileText(data: unknown): { text: string } | { problem: string } {
  if (typeof data === 'string') return { text: data };
  if (Array.isArray(data)) return { problem: 'it is a folder, not a file' };
  const file = data as { type?: string; encoding?: string; content?: string; size?: number } | null;
  if (!file || typeof file !== 'object') return { problem: 'GitHub sent an answer that is not a file' };
  if (file.type !== undefined && file.type !== 'file') return { problem: `it is a ${file.type}, not a file` };
  // Files over 1 MB come without content (`encoding: none`).
  if (file.encoding === 'none' || (file.content === '' && (file.size ?? 0) > 0)) return { problem: 'it is too large' };
  if (file.encoding !== undefined && file.encoding !== 'base64') return { problem: `GitHub sent it in an unknown encoding (${file.encoding})` };
  return { text: Buffer.from(file.content ?? '', 'base64').toString('utf8') };
}

/**
 * The repository's settings: `GET /repos/{owner}/{repo}/contents/.github/scout.yml` parsed with
 * `parseRepoConfig`. 404 (no file) → defaults, no warning. Any other failure → defaults and a
 * warning naming the HTTP status.
 */
export async function loadRepoConfig(octokit: ConfigOctokit, target: RepoConfigTarget, options: LoadOptions = {}): Promise<LoadedRepoConfig> {
  const cached = options.cache?.get(target);
  if (cached) return cached;
  const logger = (options.logger ?? rootLog).child({ repo: `${target.owner}/${target.repo}`, step: 'repo-config' });

  let data: unknown;
  try {
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: target.owner,
      repo: target.repo,
      path: REPO_CONFIG_PATH,
      ...(target.ref ? { ref: target.ref } : {}),
    }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) {
      const defaults: LoadedRepoConfig = { ...parseRepoConfig(undefined), source: 'default' };
      options.cache?.set(target, defaults);
      return defaults;
    }
    logger.warn({ status, err: errorMessage(error) }, 'could not read the repository config; using defaults');
    return unreadable(status === undefined ? 'GitHub could not be reached' : `GitHub answered HTTP ${status}`);
  }

  const read = fileText(data);
  if ('problem' in read) return unreadable(read.problem);
  const parsed = parseRepoConfig(read.text);
  const loaded: LoadedRepoConfig = { ...parsed, source: 'file' };
  if (parsed.warning) logger.info('the repository config has problems; the comment will say which');
  options.cache?.set(target, loaded);
  return loaded;
}
