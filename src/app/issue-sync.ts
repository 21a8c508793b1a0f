import type { Octokit } from '@octokit/rest';
import type { Logger } from '../log.ts';
import type { RepoStore } from '../store/repo-store.ts';
import type { IssueRow } from '../store/schema.ts';
import { toIssueRow, type GitHubIssueLike, type IssueExtras } from '../triage/issues-file.ts';
import { errorMessage, httpStatus } from '../errors.ts';

/**
 * Keeps the `issues` record table in step with GitHub: a bounded sync of the newest issues and
 * pull requests (with the files of recently merged PRs), and single rows as they close.
 *
 * Links: a PR row lists the issues its title or body closes ("Fixes #12", "closes owner/repo#3"
 * for this repository); an issue row lists the merged PRs that close it. Links are only ever
 * added, never dropped: a merged PR stays merged, and links loaded from an issues file are kept
 * (the price: a PR whose body stops saying "Fixes #12" keeps the link).
 */

/** The part of an octokit the sync uses: `@octokit/rest`'s `Octokit` and Probot's `context.octokit` both fit. */
export type SyncOctokit = Pick<Octokit, 'request' | 'paginate'>;

export const DEFAULT_MAX_ITEMS = 5_000;
/** Each merged PR costs one request for its files; the most recent ones are the ones worth it. */
export const DEFAULT_MAX_MERGED_PULLS = 300;
/** Requests left in the hour below which the sync stops, so triage and comments still have quota. */
export const DEFAULT_RATE_LIMIT_FLOOR = 100;
/** The files endpoint pages at 100; a PR that changed more is a sweeping one and its first 100 say enough. */
const FILES_PER_PULL = 100;

export interface SyncOptions {
  owner: string;
  repo: string;
  store: RepoStore;
  /** Stop at items last updated before this (ISO date or Date): an incremental sync. */
  since?: string | Date;
  /** Issues and PRs to read at most, newest first. Default 5,000. */
  maxItems?: number;
  /** Merged PRs whose changed files are fetched, newest first. Default 300. */
  maxMergedPulls?: number;
  /** Stop when GitHub says fewer requests than this are left. Default 100. */
  rateLimitFloor?: number;
  logger: Logger;
}

export type SyncStop = 'end' | 'since' | 'max-items' | 'rate-limit';

export interface SyncResult {
  /** Rows written (issues + pulls). */
  synced: number;
  issues: number;
  pulls: number;
  /** Merged PRs whose files were fetched. */
  filesFetched: number;
  /** Issue rows that gained links to the merged PRs that close them. */
  linked: number;
  /** False when the rate limit cut the sync short: run it again after `resumeAfter`. */
  complete: boolean;
  stoppedBy: SyncStop;
  /** ISO time the rate limit resets (only when `complete` is false). */
  resumeAfter?: string;
  /** `updated_at` of the newest item read: the `since` of the next incremental sync, once complete. */
  newestUpdatedAt?: string;
}

/** An item of `GET /repos/{owner}/{repo}/issues`: an issue, or a PR (it carries `pull_request`). */
type ListedItem = GitHubIssueLike & { updated_at?: string | null };

interface RateLimit {
  remaining?: number;
  /** Unix seconds. */
  reset?: number;
}

type Headers = Record<string, string | number | undefined>;

function rateLimitOf(headers: Headers | undefined): RateLimit {
  const number = (value: string | number | undefined) => {
    const parsed = Number(value);
    return value === undefined || value === '' || !Number.isFinite(parsed) ? undefined : parsed;
  };
  return { remaining: number(headers?.['x-ratelimit-remaining']), reset: number(headers?.['x-ratelimit-reset']) };
}

function headersOf(error: unknown): Headers | undefined {
  return (error as { response?: { headers?: Headers } } | null)?.response?.headers;
}

/** When GitHub refused for the rate limit (primary or secondary), the time to try again; else undefined. */
function rateLimitedUntil(error: unknown): Date | undefined {
  const status = httpStatus(error);
  const headers = headersOf(error);
  const retryAfter = Number(headers?.['retry-after']);
  const limit = rateLimitOf(headers);
  const limited = status === 429 || (status === 403 && (limit.remaining === 0 || Number.isFinite(retryAfter)));
  if (!limited) return undefined;
  if (Number.isFinite(retryAfter)) return new Date(Date.now() + retryAfter * 1000);
  return resumeTime(limit);
}

function resumeTime(limit: RateLimit): Date {
  return limit.reset !== undefined ? new Date(limit.reset * 1000) : new Date(Date.now() + 60_000);
}

const CLOSING_KEYWORD = String.raw`(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)`;
const REFERENCE = String.raw`(?:https?:\/\/[^\s/]+\/[\w.-]+\/[\w.-]+\/issues\/\d+|(?:[\w.-]+\/[\w.-]+)?#\d+)`;
const CLOSING_LIST = new RegExp(
  String.raw`\b${CLOSING_KEYWORD}\b:?[ \t]*(${REFERENCE}(?:[ \t]*(?:,|\band\b|&)[ \t]*${REFERENCE})*)`,
  'gi',
);
const ONE_REFERENCE = /https?:\/\/[^\s/]+\/([\w.-]+\/[\w.-]+)\/issues\/(\d+)|(?:([\w.-]+\/[\w.-]+))?#(\d+)/gi;

/**
 * Issues of `repoSlug` that a PR's text closes, with GitHub's closing keywords: `Fixes #12`,
 * `closes: #3`, `Resolved owner/repo#5`, `fixes https://github.com/owner/repo/issues/7`, and lists
 * (`closes #1, #2 and #3`). `Refs #4` is not a fix. References to other repositories are ignored.
 */
export function closingIssueRefs(text: string, repoSlug: string): number[] {
  const slug = repoSlug.toLowerCase();
  const found = new Set<number>();
  for (const match of text.matchAll(CLOSING_LIST)) {
    for (const ref of (match[1] ?? '').matchAll(ONE_REFERENCE)) {
      const target = (ref[1] ?? ref[3])?.toLowerCase();
      if (target !== undefined && target !== slug) continue;
      const number = Number(ref[2] ?? ref[4]);
      if (Number.isSafeInteger(number) && number > 0) found.add(number);
    }
  }
  return [...found];
}

function parseNumbers(json: string | undefined): number[] {
  try {
    const value = JSON.parse(json ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((item): item is number => Number.isSafeInteger(item) && item > 0) : [];
  } catch {
    return [];
  }
}

/** A stored row as a plain object (LanceDB hands back row proxies), ready to be written again. */
function plainRow(row: IssueRow): IssueRow {
  return {
    key: String(row.key),
    number: Number(row.number),
    kind: row.kind === 'pull' ? 'pull' : 'issue',
    title: String(row.title),
    body: String(row.body),
    state: String(row.state),
    labels: String(row.labels),
    author: String(row.author),
    created_at: Number(row.created_at),
    closed_at: Number(row.closed_at),
    links: String(row.links),
    files: String(row.files),
    url: String(row.url),
    tokens: String(row.tokens),
  };
}

async function storedRows(store: RepoStore, keys: string[]): Promise<Map<string, IssueRow>> {
  const rows = await store.recordsWithKeys<IssueRow>('issues', keys);
  return new Map(rows.map((row) => [String(row.key), plainRow(row)]));
}

/** The first 100 paths a pull request changed. */
export async function fetchPullFiles(octokit: Pick<SyncOctokit, 'request'>, target: { owner: string; repo: string; pull_number: number }): Promise<string[]> {
  const response = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { ...target, per_page: FILES_PER_PULL });
  return response.data.map((file) => file.filename);
}

function isMergedPull(item: GitHubIssueLike): boolean {
  return Boolean(item.pull_request?.merged_at ?? item.merged_at) || item.merged === true;
}

function isPull(item: GitHubIssueLike): boolean {
  return Boolean(item.pull_request) || 'merged_at' in item || 'merged' in item;
}

/**
 * Gives issue rows the merged PRs that close them, from the PR rows in the store (so a PR synced
 * long ago still links an issue synced now, and the other way round). `issueNumbers` limits the
 * issues looked at. Returns how many issue rows changed.
 */
export async function linkFixingPulls(store: RepoStore, issueNumbers?: number[]): Promise<number> {
  if (issueNumbers !== undefined && issueNumbers.length === 0) return 0;
  const pulls = await store.readRecords<Pick<IssueRow, 'number' | 'links'>>('issues', {
    where: `kind = 'pull' AND state = 'merged' AND links != '[]'`,
    columns: ['number', 'links'],
  });
  const fixes = new Map<number, Set<number>>();
  for (const pull of pulls) {
    for (const issue of parseNumbers(pull.links)) {
      if (issueNumbers && !issueNumbers.includes(issue)) continue;
      const set = fixes.get(issue) ?? new Set<number>();
      set.add(Number(pull.number));
      fixes.set(issue, set);
    }
  }
  if (fixes.size === 0) return 0;
  const stored = await storedRows(store, [...fixes.keys()].map((number) => `issue:${number}`));
  const changed: IssueRow[] = [];
  for (const row of stored.values()) {
    const links = new Set(parseNumbers(row.links));
    const before = links.size;
    for (const pull of fixes.get(row.number) ?? []) links.add(pull);
    if (links.size === before) continue;
    changed.push({ ...row, links: JSON.stringify([...links].sort((a, b) => a - b)) });
  }
  await store.upsertRecords('issues', changed);
  return changed.length;
}

/** The row for one item, keeping what the store knew and this read cannot say (files past the budget, links). */
function rowFor(item: GitHubIssueLike, slug: string, existing: IssueRow | undefined, files: string[] | undefined): IssueRow {
  if (isPull(item)) {
    const links = [...new Set([...parseNumbers(existing?.links), ...closingIssueRefs(`${item.title}\n${item.body ?? ''}`, slug)])];
    const known = existing?.files ? existing.files.split('\n') : undefined;
    return toIssueRow(item, { kind: 'pull', links, files: files ?? known });
  }
  return toIssueRow(item, { kind: 'issue', links: parseNumbers(existing?.links) });
}

/**
 * Reads the repository's issues and PRs, most recently updated first, into the `issues` table:
 * one page (100) at a time, each written before the next is read, so a sync cut short keeps what
 * it read. Stops at `maxItems`, at `since`, or — without waiting — when the rate limit runs low,
 * returning `complete: false` and when to resume.
 */
export async function syncIssues(octokit: SyncOctokit, options: SyncOptions): Promise<SyncResult> {
  const { owner, repo, store } = options;
  const slug = `${owner}/${repo}`;
  const logger = options.logger.child({ repo: slug, step: 'issue-sync' });
  const maxItems = Math.max(1, Math.floor(options.maxItems ?? DEFAULT_MAX_ITEMS));
  const maxMergedPulls = Math.max(0, Math.floor(options.maxMergedPulls ?? DEFAULT_MAX_MERGED_PULLS));
  const floor = options.rateLimitFloor ?? DEFAULT_RATE_LIMIT_FLOOR;
  const since = options.since === undefined ? undefined : new Date(options.since);
  if (since && Number.isNaN(since.getTime())) throw new TypeError(`syncIssues: since is not a date: ${String(options.since)}`);

  const result: SyncResult = { synced: 0, issues: 0, pulls: 0, filesFetched: 0, linked: 0, complete: true, stoppedBy: 'end' };
  let mergedSeen = 0;
  let resumeAfter: Date | undefined;
  const lowOn = (limit: RateLimit): boolean => {
    if (limit.remaining === undefined || limit.remaining >= floor) return false;
    resumeAfter = resumeTime(limit);
    return true;
  };

  const pages = octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues', {
    owner,
    repo,
    state: 'all',
    sort: 'updated',
    direction: 'desc',
    per_page: 100,
    ...(since ? { since: since.toISOString() } : {}),
  });
  const iterator = pages[Symbol.asyncIterator]();
  let stop: SyncStop | undefined;
  while (!stop) {
    let next: IteratorResult<{ data: ListedItem[]; headers: Headers }>;
    try {
      next = (await iterator.next()) as IteratorResult<{ data: ListedItem[]; headers: Headers }>;
    } catch (error) {
      const until = rateLimitedUntil(error);
      if (!until) throw error;
      resumeAfter = until;
      stop = 'rate-limit';
      break;
    }
    if (next.done) break;

    const items: ListedItem[] = [];
    for (const item of next.value.data) {
      if (result.synced + items.length >= maxItems) {
        stop = 'max-items';
        break;
      }
      if (since && item.updated_at && Date.parse(item.updated_at) < since.getTime()) {
        stop = 'since';
        break;
      }
      result.newestUpdatedAt ??= item.updated_at ?? undefined;
      items.push(item);
    }
    let low = lowOn(rateLimitOf(next.value.headers));

    const files = new Map<number, string[]>();
    for (const item of items) {
      if (low || !isMergedPull(item)) continue;
      mergedSeen += 1;
      if (mergedSeen > maxMergedPulls) continue;
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { owner, repo, pull_number: item.number, per_page: FILES_PER_PULL });
        files.set(item.number, response.data.map((file) => file.filename));
        result.filesFetched += 1;
        low = lowOn(rateLimitOf(response.headers as Headers));
      } catch (error) {
        const until = rateLimitedUntil(error);
        if (until) {
          resumeAfter = until;
          low = true;
          continue;
        }
        // One PR's files are not worth the whole sync: it keeps what the store knew about them.
        logger.warn({ pull: item.number, status: httpStatus(error), err: errorMessage(error) }, 'could not read the files of a merged pull request');
      }
    }

    const stored = await storedRows(store, items.map((item) => `${isPull(item) ? 'pull' : 'issue'}:${item.number}`));
    const rows = items.map((item) => rowFor(item, slug, stored.get(`${isPull(item) ? 'pull' : 'issue'}:${item.number}`), files.get(item.number)));
    await store.upsertRecords('issues', rows);
    for (const row of rows) {
      result.synced += 1;
      if (row.kind === 'pull') result.pulls += 1;
      else result.issues += 1;
    }
    if (low) stop = 'rate-limit';
    else if (!stop && result.synced >= maxItems) stop = 'max-items'; // without asking for a page it would not use
  }
  result.stoppedBy = stop ?? 'end';

  // Store-only, so it runs even when the rate limit stopped the sync.
  result.linked = await linkFixingPulls(store);
  if (result.stoppedBy === 'rate-limit') {
    result.complete = false;
    result.resumeAfter = (resumeAfter ?? new Date(Date.now() + 60_000)).toISOString();
    logger.warn({ synced: result.synced, resumeAfter: result.resumeAfter }, 'issue sync stopped early: the rate limit is low');
  } else {
    logger.info({ synced: result.synced, filesFetched: result.filesFetched, linked: result.linked, stoppedBy: result.stoppedBy }, 'issues synced');
  }
  return result;
}

export interface RecordClosedExtras extends Pick<IssueExtras, 'files' | 'links'> {
  /** `owner/name`, for references written as `owner/name#12`. Default: the store's repository id. */
  repo?: string;
}

export interface RecordClosedFromGitHub {
  owner: string;
  repo: string;
  store: RepoStore;
  /** The webhook's `issue` or `pull_request`, or what `GET /repos/{owner}/{repo}/issues/{n}` returned. */
  item: GitHubIssueLike;
  logger?: Logger;
}

/**
 * Writes the row of one issue or PR that just closed (`issues.closed`, `pull_request.closed`).
 * A merged PR's `extras.files` are its changed paths (fetched by the caller); without them the
 * files the store already had are kept. A merged PR is added to the links of the issues it
 * closes, and a closed issue gets the merged PRs already stored that close it.
 *
 * With an octokit first, the merged PR's files are fetched here (a failure is logged, and the row
 * is written without them).
 */
export async function recordClosed(store: RepoStore, item: GitHubIssueLike, extras?: RecordClosedExtras): Promise<IssueRow>;
export async function recordClosed(octokit: SyncOctokit, options: RecordClosedFromGitHub): Promise<IssueRow>;
export async function recordClosed(
  first: RepoStore | SyncOctokit,
  second: GitHubIssueLike | RecordClosedFromGitHub,
  extras: RecordClosedExtras = {},
): Promise<IssueRow> {
  if (!('upsertRecords' in first)) {
    const { owner, repo, store, item, logger } = second as RecordClosedFromGitHub;
    let files: string[] | undefined;
    if (isMergedPull(item)) {
      try {
        files = await fetchPullFiles(first, { owner, repo, pull_number: item.number });
      } catch (error) {
        logger?.warn({ pull: item.number, status: httpStatus(error), err: errorMessage(error) }, 'could not read the files of a merged pull request');
      }
    }
    return recordClosed(store, item, { repo: `${owner}/${repo}`, files });
  }

  const store = first;
  const item = second as GitHubIssueLike;
  const slug = extras.repo ?? store.repoId;
  const pull = isPull(item);
  const key = `${pull ? 'pull' : 'issue'}:${item.number}`;
  const existing = (await storedRows(store, [key])).get(key);
  let row: IssueRow;
  if (pull) {
    row = rowFor(item, slug, existing, extras.files);
    if (extras.links) row.links = JSON.stringify([...new Set([...parseNumbers(row.links), ...extras.links])]);
  } else {
    const links = new Set([...parseNumbers(existing?.links), ...(extras.links ?? [])]);
    row = toIssueRow(item, { kind: 'issue', links: [...links].sort((a, b) => a - b) });
  }
  await store.upsertRecords('issues', [row]);
  if (pull) {
    await linkFixingPulls(store, parseNumbers(row.links));
    return row;
  }
  // The issue may have gained the PRs that close it.
  return (await linkFixingPulls(store, [row.number])) > 0 ? ((await storedRows(store, [key])).get(key) ?? row) : row;
}
