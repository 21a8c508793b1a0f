import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { parseIssueRefs } from '../index/history.ts';
import { tokenize } from '../index/tokenize.ts';
import type { RepoStore } from '../store/repo-store.ts';
import type { IssueRow } from '../store/schema.ts';

/**
 * Issues and pull requests for related-issue search: rows made from what the GitHub REST API
 * returns (the app's sync) or read from a JSONL file (`scout triage --issues-file`).
 */

/**
 * An issue or pull request as octokit returns it: `issues.get` / `issues.listForRepo` (pull requests
 * there carry `pull_request`), `pulls.get` / `pulls.list` (they carry `merged_at`), or a webhook
 * payload's `issue` / `pull_request`. Only the fields repo-scout reads are named.
 */
export interface GitHubIssueLike {
  number: number;
  title: string;
  body?: string | null;
  state?: string | null;
  labels?: ReadonlyArray<string | { name?: string | null }>;
  user?: { login: string } | null;
  created_at?: string | null;
  closed_at?: string | null;
  merged_at?: string | null;
  merged?: boolean | null;
  pull_request?: { merged_at?: string | null; html_url?: string | null } | null;
  html_url?: string | null;
}

/** What the REST objects do not say: which PRs closed an issue (or which issues a PR closes), and a PR's changed paths. */
export interface IssueExtras {
  links?: number[];
  files?: string[];
  /** Used for a flat record's `kind`, `author` and `url`, which the REST shape spells differently. */
  kind?: 'issue' | 'pull';
  author?: string;
  url?: string;
}

/** Bodies beyond this are mostly logs and dumps: they would swamp the words that matter and bloat the table. */
export const MAX_BODY_CHARS = 20_000;

function unixSeconds(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  if (typeof value === 'number') return value > 1e12 ? Math.floor(value / 1000) : Math.floor(value);
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

function isPull(input: GitHubIssueLike, kind?: 'issue' | 'pull'): boolean {
  if (kind) return kind === 'pull';
  if (input.pull_request) return true;
  // `pulls.get` / `pulls.list` objects have no `pull_request` field but always a `merged_at` (string or null).
  if (input.merged_at !== undefined || (input.merged !== undefined && input.merged !== null)) return true;
  return /\/pull\/\d+\/?$/.test(input.html_url ?? '');
}

/** `open`, `closed` or `merged` (pull requests only): REST says `closed` for a merged PR and tells merging apart by `merged_at`. */
function stateOf(input: GitHubIssueLike, kind: 'issue' | 'pull', mergedAt: string | null): 'open' | 'closed' | 'merged' {
  const state = (input.state ?? '').toLowerCase();
  if (kind === 'pull' && (input.merged === true || Boolean(mergedAt) || state === 'merged')) return 'merged';
  if (state === 'open' || state === 'closed') return state;
  return state === 'merged' || input.closed_at ? 'closed' : 'open';
}

/**
 * Words that say where a reporter's machine keeps things, not what is wrong: links, and the
 * install prefixes of traceback paths (`/home/ada/.venv/lib/python3.11/site-packages/`). Left in,
 * they make every two issues with a traceback look alike.
 */
const MACHINE_NOISE = [
  /https?:\/\/\S+/g,
  /(?:[A-Za-z]:)?(?:[\\/][^\s"'`\\/]+)*[\\/](?:site-packages|dist-packages|node_modules|lib[\\/]python\d+(?:\.\d+)?)(?=[\\/])/g,
  /(?<![\w.])(?:[A-Za-z]:)?[\\/](?:home|Users|usr|opt|tmp|var)[\\/][^\s"'`\\/]+/g,
];

/**
 * Issue or pull request text as the `tokens` column holds it: the title counts twice; links,
 * install paths and bare numbers (versions, line numbers, issue references) are left out.
 */
export function issueTokens(title: string, body: string): string {
  let text = `${title}\n${title}\n${body}`;
  for (const noise of MACHINE_NOISE) text = text.replace(noise, ' ');
  return tokenize(text)
    .filter((token) => !/^v?[0-9]+$/.test(token))
    .join(' ');
}

/** One `issues` table row from a GitHub REST issue or pull request (plus what REST does not say). */
export function toIssueRow(input: GitHubIssueLike, extras: IssueExtras = {}): IssueRow {
  const kind = isPull(input, extras.kind) ? 'pull' : 'issue';
  const title = input.title.trim();
  const body = (input.body ?? '').replace(/\r\n?/g, '\n').slice(0, MAX_BODY_CHARS);
  const mergedAt = input.merged_at ?? input.pull_request?.merged_at ?? null;
  const state = stateOf(input, kind, mergedAt);
  const labels = (input.labels ?? [])
    .map((label) => (typeof label === 'string' ? label : (label.name ?? '')))
    .filter((name) => name !== '');
  // A PR body says which issues it closes ("Fixes #12"); an issue cannot say which PR closed it.
  const links = extras.links ?? (kind === 'pull' ? parseIssueRefs(`${title}\n${body}`) : []);
  return {
    key: `${kind}:${input.number}`,
    number: input.number,
    kind,
    title,
    body,
    state,
    labels: JSON.stringify(labels),
    author: extras.author ?? input.user?.login ?? '',
    created_at: unixSeconds(input.created_at),
    closed_at: unixSeconds(input.closed_at ?? (state === 'merged' ? mergedAt : null)),
    links: JSON.stringify([...new Set(links)]),
    files: kind === 'pull' ? [...new Set(extras.files ?? [])].join('\n') : '',
    url: input.html_url ?? input.pull_request?.html_url ?? extras.url ?? '',
    tokens: issueTokens(title, body),
  };
}

const date = z.union(
  [
    z.number().nonnegative(),
    z.string().refine((value) => value === '' || Number.isFinite(Date.parse(value)), 'must be an ISO date such as 2024-05-01T12:00:00Z'),
  ],
  { error: 'must be an ISO date such as 2024-05-01T12:00:00Z (or unix seconds)' },
);
/** zod's message for a required field: missing and mistyped are different mistakes. */
const required = (type: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is missing' : `must be ${type}`);
const positiveWhole = z.number({ error: 'must be a positive whole number' }).int('must be a positive whole number').positive('must be a positive whole number');
const numbers = z.array(positiveWhole, { error: 'must be a list of issue or PR numbers' });

/**
 * One line of an issues file: the REST shape (`user.login`, `html_url`, `pull_request`, `merged_at`)
 * or a flat one (`kind`, `author`, `url`, `links` / `closed_by` / `fixes`, `files`). Unknown keys
 * are ignored, so a dump of `gh api` output loads as it is.
 */
const issueLine = z.object({
  number: z
    .number({ error: required('a number') })
    .int('must be a whole number')
    .positive('must be positive'),
  kind: z.enum(['issue', 'pull', 'pr']).optional(),
  title: z.string({ error: required('a string') }),
  body: z.string().nullish(),
  state: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['open', 'closed', 'merged'], { error: 'must be open, closed or merged' }))
    .nullish(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().nullish() })], { error: 'must be a label name or {"name": …}' }), { error: 'must be a list of labels' }).nullish(),
  author: z.string().nullish(),
  user: z.object({ login: z.string() }).nullish(),
  created_at: date.nullish(),
  closed_at: date.nullish(),
  merged_at: date.nullish(),
  merged: z.boolean().nullish(),
  pull_request: z.object({ merged_at: z.string().nullish(), html_url: z.string().nullish() }).nullish(),
  links: numbers.optional(),
  fixes: numbers.optional(),
  // In the REST shape `closed_by` is the user who closed the issue; only a list of numbers is a link.
  closed_by: z.union([numbers, z.object({}), z.null()], { error: 'must be a list of PR numbers' }).optional(),
  files: z.array(z.string(), { error: 'must be a list of paths' }).optional(),
  url: z.string().optional(),
  html_url: z.string().nullish(),
});
type IssueLine = z.infer<typeof issueLine>;

/** An ISO string as the REST shape has it, so `toIssueRow` reads dates one way. */
function isoDate(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') return value;
  return new Date((value > 1e12 ? value : value * 1000)).toISOString();
}

function lineToRow(line: IssueLine): IssueRow {
  const links = [...(line.links ?? []), ...(Array.isArray(line.closed_by) ? line.closed_by : []), ...(line.fixes ?? [])];
  // The REST `url` is the API address; only a flat record's `url` is the page people open.
  const url = line.url && !/\/repos\//.test(line.url) ? line.url : undefined;
  const input: GitHubIssueLike = {
    number: line.number,
    title: line.title,
    body: line.body,
    state: line.state,
    labels: line.labels ?? [],
    user: line.user,
    created_at: isoDate(line.created_at),
    closed_at: isoDate(line.closed_at),
    pull_request: line.pull_request,
    html_url: line.html_url ?? undefined,
  };
  if (line.merged_at !== undefined) input.merged_at = isoDate(line.merged_at);
  if (line.merged !== undefined) input.merged = line.merged;
  const hasLinks = line.links !== undefined || Array.isArray(line.closed_by) || line.fixes !== undefined;
  return toIssueRow(input, {
    kind: line.kind === 'pr' ? 'pull' : line.kind,
    author: line.author ?? undefined,
    url,
    links: hasLinks ? links : undefined,
    files: line.files,
  });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `\`${issue.path.join('.')}\` ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Reads a JSONL file of issues and pull requests (one JSON object a line; blank lines ignored).
 * A bad line stops the load with a `ConfigError` naming the file, the line and what is wrong.
 */
export async function loadIssuesFile(path: string): Promise<IssueRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the issues file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const rows: IssueRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index].trim();
    if (line === '') continue;
    const where = `${path} line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ConfigError(`${where} is not valid JSON (${(error as Error).message}); each line must be one issue or PR object.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`${where} must be a JSON object with at least \`number\` and \`title\`.`);
    }
    const parsed = issueLine.safeParse(value);
    if (!parsed.success) throw new ConfigError(`${where}: ${describeIssues(parsed.error)}.`);
    rows.push(lineToRow(parsed.data));
  }
  return rows;
}

/** Writes issues and pull requests into the `issues` record table (replacing rows with the same key). */
export async function storeIssues(store: RepoStore, rows: IssueRow[]): Promise<void> {
  await store.upsertRecords('issues', rows);
}
