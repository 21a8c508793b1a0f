import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { IssueRow } from '../../src/store/schema.ts';
import { MAX_BODY_CHARS, loadIssuesFile, storeIssues, toIssueRow, type GitHubIssueLike } from '../../src/triage/issues-file.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'issues');
const fixture = (name: string) => path.join(fixtures, name);
const seconds = (iso: string) => Date.parse(iso) / 1000;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scout-issues-file-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('toIssueRow', () => {
  test('takes what octokit returns for issues and pull requests (checked by the type checker)', () => {
    expectTypeOf<RestEndpointMethodTypes['issues']['get']['response']['data']>().toExtend<GitHubIssueLike>();
    expectTypeOf<RestEndpointMethodTypes['issues']['listForRepo']['response']['data'][number]>().toExtend<GitHubIssueLike>();
    expectTypeOf<RestEndpointMethodTypes['pulls']['get']['response']['data']>().toExtend<GitHubIssueLike>();
    expectTypeOf<RestEndpointMethodTypes['pulls']['list']['response']['data'][number]>().toExtend<GitHubIssueLike>();
  });

  test('titles count twice in the tokens; bodies are capped; a PR body says which issues it fixes', () => {
    const row = toIssueRow({ number: 9, title: 'Coupon overflow', body: `Fixes #3 and #4\n${'word '.repeat(10_000)}`, pull_request: { merged_at: null }, state: 'open' });
    expect(row.kind).toBe('pull');
    expect(row.key).toBe('pull:9');
    expect(row.state).toBe('open');
    expect(row.body.length).toBe(MAX_BODY_CHARS);
    expect(row.links).toBe('[3,4]');
    expect(row.tokens.startsWith('coupon overflow coupon overflow fix word')).toBe(true);
    // Numbers (issue references, versions, line numbers) and install paths are not words of the issue.
    const traced = toIssueRow({ number: 1, title: 'Crash', body: 'File "/home/ada/.venv/lib/python3.11/site-packages/shop/pricing.py", line 12 in v2.3' });
    expect(traced.tokens).toBe('crash crash file shop pric py line');
  });

  test('extras give the links and changed files REST does not', () => {
    const row = toIssueRow({ number: 41, title: 'Cap stacked coupons', merged_at: '2024-03-02T09:58:00Z', state: 'closed', body: 'Fixes #12' }, { links: [12, 13], files: ['shop/pricing.py', 'shop/pricing.py', 'tests/test_pricing.py'] });
    expect(row).toMatchObject({ kind: 'pull', state: 'merged', links: '[12,13]', files: 'shop/pricing.py\ntests/test_pricing.py', closed_at: seconds('2024-03-02T09:58:00Z') });
    const issue = toIssueRow({ number: 12, title: 'Negative total', state: 'closed' }, { links: [41], files: ['ignored.py'] });
    expect(issue).toMatchObject({ kind: 'issue', links: '[41]', files: '', author: '', url: '', created_at: 0 });
  });
});

describe('loadIssuesFile', () => {
  test('reads the REST shape: issues, pull requests from the issues and the pulls API', async () => {
    const rows = await loadIssuesFile(fixture('rest.jsonl'));
    const byKey = new Map(rows.map((row) => [row.key, row]));
    expect([...byKey.keys()]).toEqual(['issue:12', 'pull:41', 'pull:44', 'issue:57']);
    expect(byKey.get('issue:12')).toMatchObject<Partial<IssueRow>>({
      number: 12,
      kind: 'issue',
      title: 'Negative cart total with two coupons',
      state: 'closed',
      labels: '["bug","pricing"]',
      author: 'ada',
      created_at: seconds('2024-03-01T09:30:00Z'),
      closed_at: seconds('2024-03-02T10:00:00Z'),
      // REST's `closed_by` is the user who closed it, not a PR.
      links: '[]',
      url: 'https://github.com/acme/shop/issues/12',
    });
    expect(byKey.get('issue:12')!.body).toContain('ValueError: Cart total cannot be negative after discounts');
    expect(byKey.get('issue:12')!.body).not.toContain('\r');
    expect(byKey.get('pull:41')).toMatchObject({ kind: 'pull', state: 'merged', author: 'grace', links: '[12]', url: 'https://github.com/acme/shop/pull/41' });
    expect(byKey.get('pull:44')).toMatchObject({ kind: 'pull', state: 'closed', body: '', labels: '["enhancement"]', author: 'linus', url: 'https://github.com/acme/shop/pull/44' });
    expect(byKey.get('issue:57')).toMatchObject({ kind: 'issue', state: 'open', body: '', closed_at: 0 });
  });

  test('reads the flat shape, skipping blank lines', async () => {
    const rows = await loadIssuesFile(fixture('flat.jsonl'));
    expect(rows.map((row) => row.key)).toEqual(['issue:12', 'pull:41', 'issue:57', 'pull:60']);
    expect(rows[0]).toMatchObject({ kind: 'issue', state: 'closed', author: 'ada', links: '[41]', labels: '["bug"]', url: 'https://github.com/acme/shop/issues/12' });
    expect(rows[1]).toMatchObject({ kind: 'pull', state: 'merged', author: 'grace', links: '[12]', files: 'shop/pricing.py\ntests/test_pricing.py', url: '' });
    expect(rows[2]).toMatchObject({ kind: 'issue', state: 'open', body: '', labels: '[]', links: '[]' });
    expect(rows[3]).toMatchObject({ kind: 'pull', state: 'open', links: '[57,58]', created_at: 1714564800 });
  });

  test('a bad line is a ConfigError naming the file, the line and what is wrong', async () => {
    const error = await loadIssuesFile(fixture('bad.jsonl')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`${fixture('bad.jsonl')} line 4`);
    expect(message).toContain('`number` must be a number');
    expect(message).toContain('`state` must be open, closed or merged');
  });

  test('broken JSON, a non-object, a missing title and an unreadable file are explained too', async () => {
    const file = path.join(tmp, 'broken.jsonl');
    await writeFile(file, '{"number": 1, "title": "ok"}\n{"number": 2, "title": \n');
    await expect(loadIssuesFile(file)).rejects.toThrow(/broken\.jsonl line 2 is not valid JSON/);
    await writeFile(file, '[1, 2]\n');
    await expect(loadIssuesFile(file)).rejects.toThrow(/line 1 must be a JSON object/);
    await writeFile(file, '{"number": 1}\n');
    await expect(loadIssuesFile(file)).rejects.toThrow(/line 1: `title` is missing/);
    await writeFile(file, '{"number": 1, "title": "x", "closed_by": [0]}\n');
    await expect(loadIssuesFile(file)).rejects.toThrow(/`closed_by/);
    await expect(loadIssuesFile(path.join(tmp, 'absent.jsonl'))).rejects.toThrow(ConfigError);
  });

  test('storeIssues upserts into the issues table by key', async () => {
    const store = await RepoStore.open(tmp, 'acme/shop');
    await storeIssues(store, await loadIssuesFile(fixture('rest.jsonl')));
    await storeIssues(store, await loadIssuesFile(fixture('flat.jsonl')));
    const rows = await store.readRecords<IssueRow>('issues');
    expect(rows.map((row) => row.key).sort()).toEqual(['issue:12', 'issue:57', 'pull:41', 'pull:44', 'pull:60']);
    // The flat file's record of #12 replaced the REST one.
    expect(rows.find((row) => row.key === 'issue:12')!.links).toBe('[41]');
    store.close();
  });
});
