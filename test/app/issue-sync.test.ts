import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, test } from 'vitest';
import { closingIssueRefs, recordClosed, syncIssues, type SyncOctokit } from '../../src/app/issue-sync.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { IssueRow } from '../../src/store/schema.ts';
import { storeIssues, toIssueRow } from '../../src/triage/issues-file.ts';
import { FakeGitHub, type FakeRequest, type FakeResponse } from '../helpers/fake-github.ts';

const TOKEN = 'ghs_installation';
const logger = pino({ level: 'silent' });
const html = (kind: 'issues' | 'pull', number: number) => `https://github.com/acme/shop/${kind}/${number}`;

interface Listed {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  updated_at: string;
  created_at: string;
  closed_at: string | null;
  user: { login: string };
  labels: Array<{ name: string }>;
  html_url: string;
  pull_request?: { merged_at: string | null; html_url: string };
}

function issue(number: number, updated: string, state: 'open' | 'closed', title: string, body = ''): Listed {
  return {
    number, title, body, state, updated_at: updated, created_at: '2024-04-01T00:00:00Z', closed_at: state === 'closed' ? updated : null,
    user: { login: 'reporter' }, labels: [{ name: 'bug' }], html_url: html('issues', number),
  };
}

function pull(number: number, updated: string, merged: boolean, title: string, body: string): Listed {
  return {
    ...issue(number, updated, 'closed', title, body),
    user: { login: 'dev' },
    html_url: html('pull', number),
    pull_request: { merged_at: merged ? updated : null, html_url: html('pull', number) },
  };
}

/** Newest first, as `sort=updated&direction=desc` returns them. */
const ITEMS: Listed[] = [
  pull(41, '2024-05-10T10:00:00Z', true, 'Cap stacked coupons', 'Fixes #12 and closes acme/shop#3. Also fixes other/repo#7.\nRefs #5'),
  issue(12, '2024-05-09T10:00:00Z', 'closed', 'Negative total with two coupons'),
  pull(44, '2024-05-08T10:00:00Z', false, 'Try clamping totals', 'fixes #5'),
  issue(5, '2024-05-07T10:00:00Z', 'open', 'Cart badge shows stale count'),
  pull(30, '2024-05-06T10:00:00Z', true, 'Resolve negative totals', 'Resolves https://github.com/acme/shop/issues/12'),
  issue(3, '2024-05-05T10:00:00Z', 'closed', 'Coupon codes are case sensitive'),
];
const FILES: Record<number, string[]> = { 41: ['shop/pricing.py', 'tests/test_pricing.py'], 30: ['shop/cart.py'] };
/** The fake pages three items at a time, whatever `per_page` asks, so two pages hold the six items. */
const PAGE = 3;

const github = new FakeGitHub({ token: TOKEN });
let octokit: Octokit;
let tmp: string;
let store: RepoStore;
/** Extra headers per listing page (1-based), e.g. rate-limit headers. */
let pageHeaders: Record<number, Record<string, string>>;
/** A response that replaces a listing page. */
let pageOverride: Record<number, FakeResponse>;
let filesHeaders: Record<string, string>;

function listIssues(request: FakeRequest): FakeResponse {
  const page = Number(request.query.get('page') ?? 1);
  if (pageOverride[page]) return pageOverride[page];
  const since = request.query.get('since');
  const items = since ? ITEMS.filter((item) => Date.parse(item.updated_at) >= Date.parse(since)) : ITEMS;
  const headers: Record<string, string> = { ...pageHeaders[page] };
  if (page * PAGE < items.length) {
    const next = new URLSearchParams(request.query);
    next.set('page', String(page + 1));
    headers.link = `<${github.apiUrl}${request.path}?${next}>; rel="next"`;
  }
  return { body: items.slice((page - 1) * PAGE, page * PAGE), headers };
}

const listRoute = () => github.on('GET', '/repos/acme/shop/issues', listIssues);
const filesRoute = () =>
  github.on('GET', '/repos/acme/shop/pulls/:number/files', (request) => {
    const files = FILES[Number(request.params.number)];
    if (!files) return { status: 404, body: { message: 'Not Found' } };
    return { body: files.map((filename) => ({ filename, status: 'modified' })), headers: filesHeaders };
  });

async function rows(): Promise<Map<string, Pick<IssueRow, 'state' | 'links' | 'files' | 'url' | 'author'>>> {
  const stored = await store.readRecords<IssueRow>('issues');
  return new Map(stored.map((row) => [row.key, { state: row.state, links: row.links, files: row.files, url: row.url, author: row.author }]));
}

beforeAll(async () => {
  await github.start();
  octokit = new Octokit({ baseUrl: github.apiUrl, auth: TOKEN, request: { retries: 0 }, log: logger });
});
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scout-issue-sync-'));
  store = await RepoStore.open(tmp, 'acme/shop');
  github.requests.length = 0;
  pageHeaders = {};
  pageOverride = {};
  filesHeaders = {};
});
afterEach(async () => {
  store.close();
  await rm(tmp, { recursive: true, force: true });
  github.assertNoUnexpected();
});
afterAll(() => github.stop());

describe('closingIssueRefs', () => {
  test("GitHub's closing keywords, for this repository only; `refs` is not a fix", () => {
    expect(closingIssueRefs('Fixes #12', 'acme/shop')).toEqual([12]);
    expect(closingIssueRefs('closes: #3, #4 and #5', 'acme/shop')).toEqual([3, 4, 5]);
    expect(closingIssueRefs('Resolved Acme/Shop#7', 'acme/shop')).toEqual([7]);
    expect(closingIssueRefs('fixed https://github.example.com/acme/shop/issues/8', 'acme/shop')).toEqual([8]);
    expect(closingIssueRefs('fixes other/repo#9 and #10', 'acme/shop')).toEqual([10]);
    expect(closingIssueRefs('Refs #4. See #5. hotfixes #6. prefix#7', 'acme/shop')).toEqual([]);
  });
});

describe('syncIssues', () => {
  test('accepts the octokits the app and the tests build (checked by the type checker)', () => {
    expectTypeOf<InstanceType<typeof ProbotOctokit>>().toExtend<SyncOctokit>();
    expectTypeOf<Octokit>().toExtend<SyncOctokit>();
  });

  test('pages through issues and PRs, fetches merged PR files, and links issues to the merged PRs that close them', async () => {
    const list = listRoute();
    const files = filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger });
    expect(result).toEqual({
      synced: 6, issues: 3, pulls: 3, filesFetched: 2, linked: 2, complete: true, stoppedBy: 'end', newestUpdatedAt: '2024-05-10T10:00:00Z',
    });

    expect(list.calls.map((call) => Object.fromEntries(call.query))).toEqual([
      { state: 'all', sort: 'updated', direction: 'desc', per_page: '100' },
      { state: 'all', sort: 'updated', direction: 'desc', per_page: '100', page: '2' },
    ]);
    // Only merged PRs cost a files request, first 100 files each.
    expect(files.calls.map((call) => [call.params.number, call.query.get('per_page')])).toEqual([['41', '100'], ['30', '100']]);

    const stored = await rows();
    expect([...stored.keys()].sort()).toEqual(['issue:12', 'issue:3', 'issue:5', 'pull:30', 'pull:41', 'pull:44']);
    expect(stored.get('pull:41')).toEqual({ state: 'merged', links: '[12,3]', files: 'shop/pricing.py\ntests/test_pricing.py', url: html('pull', 41), author: 'dev' });
    expect(stored.get('pull:30')).toMatchObject({ state: 'merged', links: '[12]', files: 'shop/cart.py' });
    expect(stored.get('pull:44')).toMatchObject({ state: 'closed', links: '[5]', files: '' });
    expect(stored.get('issue:12')).toMatchObject({ state: 'closed', links: '[30,41]', files: '', url: html('issues', 12) });
    expect(stored.get('issue:3')).toMatchObject({ links: '[41]' });
    // #44 says it fixes #5 but was closed without merging: it fixed nothing.
    expect(stored.get('issue:5')).toMatchObject({ state: 'open', links: '[]' });
  });

  test('stops at maxItems without reading the next page', async () => {
    const list = listRoute();
    const files = filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, maxItems: 2, logger });
    expect(result).toMatchObject({ synced: 2, complete: true, stoppedBy: 'max-items', filesFetched: 1 });
    expect(list.calls).toHaveLength(1);
    expect(files.calls.map((call) => call.params.number)).toEqual(['41']);
    expect([...(await rows()).keys()].sort()).toEqual(['issue:12', 'pull:41']);

    // A limit that ends with a page does not ask for the next one.
    const whole = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, maxItems: PAGE, logger });
    expect(whole).toMatchObject({ synced: PAGE, stoppedBy: 'max-items' });
    expect(list.calls).toHaveLength(2);
  });

  test('an incremental sync asks only for what changed since, and stops at anything older', async () => {
    const list = listRoute();
    filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, since: '2024-05-08T00:00:00Z', logger });
    expect(list.calls[0].query.get('since')).toBe('2024-05-08T00:00:00.000Z');
    expect(result).toMatchObject({ synced: 3, complete: true });
    expect([...(await rows()).keys()].sort()).toEqual(['issue:12', 'pull:41', 'pull:44']);

    // A server that ignores `since` still cannot make the sync read older items.
    github.on('GET', '/repos/acme/shop/issues', (request): FakeResponse => {
      const page = Number(request.query.get('page') ?? 1);
      const headers: Record<string, string> = page === 1 ? { link: `<${github.apiUrl}/repos/acme/shop/issues?page=2>; rel="next"` } : {};
      return { body: ITEMS.slice((page - 1) * PAGE, page * PAGE), headers };
    });
    const older = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, since: new Date('2024-05-07T12:00:00Z'), maxMergedPulls: 0, logger });
    expect(older).toMatchObject({ synced: 3, stoppedBy: 'since', complete: true });
  });

  test('only the most recent merged PRs get their files fetched', async () => {
    listRoute();
    const files = filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, maxMergedPulls: 1, logger });
    expect(result).toMatchObject({ synced: 6, filesFetched: 1, complete: true });
    expect(files.calls.map((call) => call.params.number)).toEqual(['41']);
    expect((await rows()).get('pull:30')).toMatchObject({ state: 'merged', files: '' });
  });

  test('stops early, without waiting, when the rate limit falls under the floor', async () => {
    const reset = Date.parse('2024-05-10T11:00:00Z') / 1000;
    pageHeaders[1] = { 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': String(reset) };
    const list = listRoute();
    const files = filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger });
    expect(result).toMatchObject({ synced: 3, complete: false, stoppedBy: 'rate-limit', filesFetched: 0, resumeAfter: '2024-05-10T11:00:00.000Z' });
    expect(list.calls).toHaveLength(1);
    expect(files.calls).toHaveLength(0);
    // What was read is kept, and links still come from the rows written.
    const stored = await rows();
    expect([...stored.keys()].sort()).toEqual(['issue:12', 'pull:41', 'pull:44']);
    expect(stored.get('issue:12')).toMatchObject({ links: '[41]' });

    // With a lower floor the same answer is fine.
    const relaxed = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, rateLimitFloor: 10, logger });
    expect(relaxed).toMatchObject({ synced: 6, complete: true });
  });

  test('a files request that leaves the quota low stops the sync after the page in hand', async () => {
    filesHeaders = { 'x-ratelimit-remaining': '50', 'x-ratelimit-reset': '1715338800' };
    const list = listRoute();
    const files = filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger });
    expect(result).toMatchObject({ synced: 3, complete: false, filesFetched: 1, resumeAfter: new Date(1715338800 * 1000).toISOString() });
    expect(list.calls).toHaveLength(1);
    expect(files.calls).toHaveLength(1);
    expect((await rows()).get('pull:41')).toMatchObject({ files: 'shop/pricing.py\ntests/test_pricing.py' });
  });

  test('a rate-limit refusal (403, none remaining) ends the sync as incomplete and keeps the pages read', async () => {
    pageOverride[2] = { status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1715338800' } };
    listRoute();
    filesRoute();
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger });
    expect(result).toMatchObject({ synced: 3, complete: false, stoppedBy: 'rate-limit', resumeAfter: new Date(1715338800 * 1000).toISOString() });
    expect((await rows()).size).toBe(3);
  });

  test('other listing errors are thrown', async () => {
    pageOverride[1] = { status: 500, body: { message: 'Server Error' } };
    listRoute();
    await expect(syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger })).rejects.toMatchObject({ status: 500 });
  });

  test("a PR whose files cannot be read is stored without them; the store's earlier knowledge is kept", async () => {
    await storeIssues(store, [
      toIssueRow({ number: 12, title: 'Negative total', state: 'open' }, { links: [99] }),
      toIssueRow({ number: 30, title: 'Resolve negative totals', state: 'closed', merged_at: '2024-05-06T10:00:00Z' }, { files: ['shop/cart.py', 'shop/old.py'] }),
    ]);
    listRoute();
    github.json('GET', '/repos/acme/shop/pulls/:number/files', { message: 'Server Error' }, 502);
    const result = await syncIssues(octokit, { owner: 'acme', repo: 'shop', store, logger });
    expect(result).toMatchObject({ synced: 6, filesFetched: 0, complete: true });
    const stored = await rows();
    expect(stored.get('pull:30')).toMatchObject({ files: 'shop/cart.py\nshop/old.py' });
    expect(stored.get('pull:41')).toMatchObject({ files: '' });
    // The issues file said #99 closed #12; the sync adds #30 and #41 and drops nothing.
    expect(stored.get('issue:12')).toMatchObject({ state: 'closed', links: '[30,41,99]' });
  });
});

describe('recordClosed', () => {
  const merged = {
    number: 50, title: 'Clamp totals', body: 'Fixes #12', state: 'closed', merged_at: '2024-06-01T00:00:00Z', merged: true,
    user: { login: 'dev' }, html_url: html('pull', 50),
  };
  const closedIssue = { ...issue(12, '2024-06-01T00:05:00Z', 'closed', 'Negative total with two coupons') };

  test('a merged PR (files passed in) and the issue it closes, in either order', async () => {
    const pullRow = await recordClosed(store, merged, { files: ['shop/pricing.py'] });
    expect(pullRow).toMatchObject({ key: 'pull:50', state: 'merged', links: '[12]', files: 'shop/pricing.py' });
    // The issue was never synced: its row arrives with the webhook and picks up the PR already stored.
    const issueRow = await recordClosed(store, closedIssue);
    expect(issueRow).toMatchObject({ key: 'issue:12', state: 'closed', links: '[50]' });
    expect((await rows()).get('issue:12')).toMatchObject({ links: '[50]' });

    // The other order: the issue row exists first, the PR's merge adds itself to it.
    const other = { ...merged, number: 51, body: 'closes #12', html_url: html('pull', 51) };
    await recordClosed(store, other, { files: ['shop/cart.py'] });
    expect((await rows()).get('issue:12')).toMatchObject({ links: '[50,51]' });
  });

  test('with an octokit, the merged PR files are fetched; a PR closed without merging costs no request', async () => {
    const files = github.json('GET', '/repos/acme/shop/pulls/:number/files', [{ filename: 'shop/pricing.py' }, { filename: 'docs/coupons.md' }]);
    const row = await recordClosed(octokit, { owner: 'acme', repo: 'shop', store, item: { ...merged, body: 'Fixes acme/shop#12' }, logger });
    expect(row).toMatchObject({ links: '[12]', files: 'shop/pricing.py\ndocs/coupons.md' });
    expect(files.calls.map((call) => [call.params.number, call.query.get('per_page')])).toEqual([['50', '100']]);

    const abandoned = pull(52, '2024-06-02T00:00:00Z', false, 'Abandoned', 'fixes #5');
    expect(await recordClosed(octokit, { owner: 'acme', repo: 'shop', store, item: abandoned, logger })).toMatchObject({ state: 'closed', files: '' });
    expect(files.calls).toHaveLength(1);
    expect((await rows()).get('issue:5')).toBeUndefined();
  });
});
