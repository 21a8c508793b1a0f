import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tokenString } from '../../src/index/tokenize.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { HistoryRow } from '../../src/store/schema.ts';
import { toIssueRow } from '../../src/triage/issues-file.ts';
import { findExperts, findRelated, isBotAuthor, loginFromEmail } from '../../src/triage/stages/related.ts';
import { understandIssue } from '../../src/triage/stages/understand.ts';
import type { FileFinding, RelatedItem } from '../../src/triage/state.ts';

const HTML = 'https://github.com/acme/shop';
const DAY = 86_400;
/** History dates are in 2019 on purpose: a window counted from the wall clock would find nobody. */
const NEWEST = Date.parse('2019-06-30T12:00:00Z') / 1000;

let tmp: string;
let stores = 0;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scout-related-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function openStore(history: HistoryRow[] = []): Promise<RepoStore> {
  stores += 1;
  const store = await RepoStore.open(path.join(tmp, `db${stores}`), 'acme/shop');
  await store.resetIndexTables(8);
  await store.add('history', history);
  return store;
}

let shaCounter = 0;
function commit(fields: { message: string; files: string[]; author?: string; email?: string; daysAgo?: number; renames?: Array<{ from: string; to: string }> }): HistoryRow {
  shaCounter += 1;
  const prs = [...fields.message.matchAll(/\(#(\d+)\)\s*$/gm)].map((match) => Number(match[1]));
  const issues = [...fields.message.matchAll(/\bfixe?[sd]? #(\d+)/gi)].map((match) => Number(match[1]));
  return {
    sha: shaCounter.toString(16).padStart(40, 'a'),
    author: fields.author ?? 'Ada Lovelace',
    email: fields.email ?? 'ada@example.com',
    date: NEWEST - (fields.daysAgo ?? 0) * DAY,
    message: fields.message,
    files: fields.files.join('\n'),
    prs: JSON.stringify(prs),
    issues: JSON.stringify(issues),
    renames: JSON.stringify(fields.renames ?? []),
    tokens: tokenString(fields.message),
  };
}

const finding = (filePath: string, score = 1): FileFinding => ({ path: filePath, why: 'test', score });
const located = [finding('shop/pricing.py', 3), finding('shop/coupons.py', 2)];

const query = understandIssue(
  'Cart total goes negative when stacking two coupons',
  'When I apply two coupons to a small cart the total becomes negative and checkout fails with\n\n```\nValueError: Cart total cannot be negative after discounts\n```\n',
);

/** Issues with some vocabulary in common, so the IDF has something to work with. */
const background = [
  toIssueRow({ number: 3, title: 'Shipping cost is wrong for heavy parcels abroad', body: 'Parcels over 20kg are charged the home rate.', state: 'closed' }),
  toIssueRow({ number: 4, title: 'Receipt email is not sent when the order has no address', body: 'The customer gets nothing and the log says nothing.', state: 'open' }),
  toIssueRow({ number: 5, title: 'Stock is reserved twice for the same order', body: 'Reserving stock in two tabs holds double the quantity.', state: 'closed' }),
  toIssueRow({ number: 6, title: 'Prices render without a currency symbol', body: 'The checkout page shows 12.50 instead of €12.50.', state: 'open' }),
];

function byNumber(items: RelatedItem[], number: number): RelatedItem | undefined {
  return items.find((item) => item.number === number);
}

describe('findRelated from the issues table', () => {
  test('flags a duplicate above the threshold and not below it; PRs are never duplicates', async () => {
    const store = await openStore();
    await store.upsertRecords('issues', [
      ...background,
      toIssueRow({
        number: 12,
        title: 'Negative cart total when two coupons are stacked',
        body: 'Stacking two coupons on a cheap cart makes the total negative, then checkout crashes:\n\n```\nValueError: Cart total cannot be negative after discounts\n```',
        state: 'closed',
      }),
      toIssueRow({ number: 20, title: 'Coupon codes with lowercase letters are rejected', body: 'The coupon field refuses save10 but accepts SAVE10.', state: 'open' }),
      toIssueRow({ number: 21, title: 'Cart total goes negative when stacking two coupons', body: 'Stacking two coupons makes the cart total negative; this caps it at zero.', state: 'open', pull_request: {} }),
    ]);
    const related = await findRelated({ store, facts: query, files: [], issueNumber: 50, htmlBase: HTML });
    const duplicate = byNumber(related, 12)!;
    expect(duplicate).toMatchObject({ kind: 'issue', state: 'closed', duplicate: true, url: `${HTML}/issues/12` });
    expect(duplicate.similarity).toBeGreaterThanOrEqual(0.8);
    expect(duplicate.why).toContain('same error message "ValueError: Cart total cannot be negative after discounts"');
    const pull = byNumber(related, 21)!;
    expect(pull).toMatchObject({ kind: 'pull', state: 'open', duplicate: false, url: `${HTML}/pull/21` });
    expect(pull.similarity).toBeGreaterThanOrEqual(0.8);
    const lowercase = byNumber(related, 20);
    if (lowercase) expect(lowercase).toMatchObject({ duplicate: false });
    if (lowercase) expect(lowercase.similarity).toBeLessThan(0.6);
    // Unrelated issues stay out of the comment altogether.
    for (const number of [3, 4, 5, 6]) expect(byNumber(related, number)).toBeUndefined();
    for (const item of related) expect(item.similarity).toBeGreaterThanOrEqual(0.35);
    expect(related.map((item) => item.similarity)).toEqual([...related.map((item) => item.similarity)].sort((a, b) => b - a));

    const strict = await findRelated({ store, facts: query, files: [], issueNumber: 50, duplicateThreshold: 0.99 });
    expect(byNumber(strict, 12)).toMatchObject({ duplicate: false, similarity: duplicate.similarity });
    store.close();
  });

  test('a reworded issue without the error or the title is related, not a duplicate', async () => {
    const store = await openStore();
    await store.upsertRecords('issues', [
      ...background,
      toIssueRow({ number: 30, title: 'Discounts can exceed the cart value', body: 'With several coupons the discount is larger than the cart and the total turns negative.', state: 'open' }),
    ]);
    const [item] = await findRelated({ store, facts: query, files: [], issueNumber: 50 });
    expect(item).toMatchObject({ kind: 'issue', number: 30, duplicate: false, state: 'open' });
    expect(item.similarity).toBeLessThan(0.8);
    expect(item.why).toMatch(/^shares words: /);
    expect(item.why).toContain('negative');
    store.close();
  });

  test('the issue itself is never its own related item', async () => {
    const store = await openStore();
    await store.upsertRecords('issues', [
      ...background,
      toIssueRow({ number: 50, title: query.title, body: query.cleanBody, state: 'open' }),
      toIssueRow({ number: 30, title: 'Discounts can exceed the cart value', body: 'With several coupons the discount is larger than the cart and the total turns negative.', state: 'open' }),
    ]);
    const unfiltered = await findRelated({ store, facts: query, files: [] });
    expect(unfiltered[0]).toMatchObject({ number: 50, duplicate: true });
    const related = await findRelated({ store, facts: query, files: [], issueNumber: 50 });
    expect(byNumber(related, 50)).toBeUndefined();
    expect(byNumber(related, 30)).toBeDefined();
    store.close();
  });

  test('a PR that changed the located files ranks above one with the same words elsewhere; an issue inherits its fix', async () => {
    const history = [commit({ message: 'Initial import', files: ['shop/pricing.py', 'shop/coupons.py', 'web/src/banner.js'], daysAgo: 400 })];
    const store = await openStore(history);
    await store.upsertRecords('issues', [
      ...background,
      toIssueRow({ number: 41, title: 'Cap stacked coupons at the cart total', body: 'Two coupons could push the total below zero.', state: 'closed', merged_at: '2019-05-01T00:00:00Z' }, { files: ['shop/pricing.py', 'tests/test_pricing.py'] }),
      toIssueRow({ number: 42, title: 'Banner: stacking two coupons makes the cart total negative', body: 'Explain on the banner that two coupons are stacked on the cart total.', state: 'closed', merged_at: '2019-05-02T00:00:00Z' }, { files: ['web/src/banner.js'] }),
      toIssueRow({ number: 35, title: 'Coupons can be combined without limit', body: 'There is no cap when coupons are combined.', state: 'closed' }, { links: [41] }),
    ]);

    // Without located files, the banner PR's words are closer to the issue.
    const byWords = await findRelated({ store, facts: query, files: [], issueNumber: 50, limit: 10 });
    expect(byWords.findIndex((item) => item.number === 42)).toBeLessThan(byWords.findIndex((item) => item.number === 41));

    const related = await findRelated({ store, facts: query, files: located, issueNumber: 50, htmlBase: HTML, limit: 10 });
    const capped = related.findIndex((item) => item.number === 41);
    const banner = related.findIndex((item) => item.number === 42);
    expect(capped).toBeGreaterThanOrEqual(0);
    expect(capped).toBeLessThan(banner);
    expect(related[capped]).toMatchObject({ kind: 'pull', state: 'merged', duplicate: false, url: `${HTML}/pull/41` });
    expect(related[capped].why).toContain('touched shop/pricing.py');
    const fixed = byNumber(related, 35)!;
    expect(fixed.why).toContain('its fix touched shop/pricing.py');
    expect(fixed.similarity).toBeGreaterThan(byNumber(byWords, 35)?.similarity ?? 0);
    store.close();
  });
});

describe('findRelated from history', () => {
  const history = [
    commit({ message: 'Cap stacked coupons so the cart total cannot go negative (#41)\n\nTwo coupons could push totals below zero.', files: ['shop/pricing.py', 'tests/test_pricing.py'], daysAgo: 10 }),
    commit({ message: 'Round coupon discounts to whole cents', files: ['shop/coupons.py'], daysAgo: 20 }),
    commit({ message: 'Reformat module with black', files: ['shop/pricing.py', 'shop/shipping.py'], daysAgo: 30 }),
    commit({ message: 'Fix negative shipping totals for two parcels (#44)', files: ['shop/shipping.py'], daysAgo: 5 }),
    commit({ message: 'Merge pull request #41 from ada/cap-coupons', files: [], daysAgo: 10 }),
  ];

  test('without an issues table, commits that touched the located files and share words are related', async () => {
    const store = await openStore(history);
    const related = await findRelated({ store, facts: query, files: located, issueNumber: 50, htmlBase: HTML });
    expect(related.map((item) => item.kind === 'commit' ? item.sha : item.number)).toEqual([41, history[1].sha]);
    expect(related[0]).toMatchObject({
      kind: 'pull',
      number: 41,
      sha: history[0].sha,
      title: 'Cap stacked coupons so the cart total cannot go negative',
      state: 'merged',
      url: `${HTML}/pull/41`,
      duplicate: false,
    });
    expect(related[0].why).toContain('touched shop/pricing.py');
    expect(related[1]).toMatchObject({ kind: 'commit', title: 'Round coupon discounts to whole cents', url: `${HTML}/commit/${history[1].sha}`, duplicate: false });
    expect(related[1].number).toBeUndefined();
    for (const item of related) expect(item.similarity).toBeLessThanOrEqual(1);

    // Nothing located, nothing from history.
    expect(await findRelated({ store, facts: query, files: [], issueNumber: 50 })).toEqual([]);
    store.close();
  });

  test('a PR both in history and in the issues table is listed once, as its record', async () => {
    const store = await openStore(history);
    await store.upsertRecords('issues', [
      ...background,
      toIssueRow({ number: 41, title: 'Cap stacked coupons', body: 'Keeps totals at zero or above.', state: 'closed', merged_at: '2019-06-20T00:00:00Z', html_url: `${HTML}/pull/41` }),
    ]);
    const related = await findRelated({ store, facts: query, files: located, issueNumber: 50 });
    const forty = related.filter((item) => item.number === 41);
    expect(forty).toHaveLength(1);
    expect(forty[0]).toMatchObject({ kind: 'pull', title: 'Cap stacked coupons', state: 'merged', url: `${HTML}/pull/41` });
    expect(forty[0].sha).toBeUndefined();
    store.close();
  });

  test('limit keeps the best', async () => {
    const store = await openStore(history);
    const [only] = await findRelated({ store, facts: query, files: located, limit: 1 });
    expect(only.number).toBe(41);
    expect(await findRelated({ store, facts: query, files: located, limit: 1 })).toHaveLength(1);
    store.close();
  });
});

describe('findExperts', () => {
  const people = [
    // Ada under two addresses: one person.
    commit({ message: 'Cap coupons', files: ['shop/pricing.py'], author: 'Ada Lovelace', email: 'ada@example.com', daysAgo: 3 }),
    commit({ message: 'Tidy pricing', files: ['shop/pricing.py', 'shop/coupons.py'], author: 'Ada Lovelace', email: 'ada@example.com', daysAgo: 40 }),
    commit({ message: 'Coupon parsing', files: ['shop/coupons.py'], author: 'Ada Lovelace', email: 'ada@work.example', daysAgo: 100 }),
    commit({ message: 'Fix rounding', files: ['shop/pricing.py'], author: 'ada', email: 'ada@example.com', daysAgo: 200 }),
    // Grace commits through the GitHub web UI: a noreply address gives her login.
    commit({ message: 'Docs for coupons', files: ['shop/coupons.py'], author: 'Grace Hopper', email: '1234+ghopper@users.noreply.github.com', daysAgo: 10 }),
    commit({ message: 'More coupon docs', files: ['shop/coupons.py'], author: 'Grace Hopper', email: 'grace@example.com', daysAgo: 12 }),
    // Bots never count, however busy.
    ...[1, 2, 3, 4, 5].map((n) => commit({ message: `Bump dep ${n}`, files: ['shop/pricing.py'], author: 'dependabot[bot]', email: '49699333+dependabot[bot]@users.noreply.github.com', daysAgo: n })),
    commit({ message: 'Update deps', files: ['shop/pricing.py'], author: 'Renovate Bot', email: 'bot@renovateapp.com', daysAgo: 2 }),
    commit({ message: 'Sync', files: ['shop/pricing.py'], author: 'GitHub', email: 'noreply@github.com', daysAgo: 2 }),
    // Linus wrote most of it, long ago.
    ...[1, 2, 3, 4, 5, 6].map((n) => commit({ message: `Old work ${n}`, files: ['shop/pricing.py', 'shop/legacy.py'], author: 'Linus', email: 'linus@example.com', daysAgo: 700 + n })),
    // The newest commit of all, elsewhere: the window is counted from it, not from today.
    commit({ message: 'Readme', files: ['README.md'], author: 'Someone Else', email: 'else@example.com', daysAgo: 0 }),
  ];

  test('counts people per located file within the window, merging addresses and names, without bots', async () => {
    const store = await openStore(people);
    const experts = await findExperts({ store, files: located });
    expect(experts).toEqual([
      { name: 'Ada Lovelace', commits: 4, lastTouched: '2019-06-27', files: ['shop/pricing.py', 'shop/coupons.py'] },
      { name: 'Grace Hopper', login: 'ghopper', commits: 2, lastTouched: '2019-06-20', files: ['shop/coupons.py'] },
    ]);
    // A shorter window drops older commits; a longer one lets Linus in.
    const lastMonth = await findExperts({ store, files: located, windowDays: 30 });
    expect(lastMonth.map((expert) => [expert.name, expert.commits])).toEqual([['Grace Hopper', 2], ['Ada Lovelace', 1]]);
    const allTime = await findExperts({ store, files: located, windowDays: 5000, limit: 1 });
    expect(allTime.map((expert) => [expert.name, expert.commits])).toEqual([['Linus', 6]]);
    store.close();
  });

  test('falls back to all time when nobody touched the files in the window; topFiles limits the files', async () => {
    const store = await openStore(people);
    const legacy = await findExperts({ store, files: [finding('shop/legacy.py'), finding('shop/pricing.py')], topFiles: 1 });
    expect(legacy).toEqual([{ name: 'Linus', commits: 6, lastTouched: '2017-07-29', files: ['shop/legacy.py'] }]);
    expect(await findExperts({ store, files: [finding('shop/unknown.py')] })).toEqual([]);
    expect(await findExperts({ store, files: [] })).toEqual([]);
    store.close();
  });

  test('follows a file back across a rename', async () => {
    const store = await openStore([
      commit({ message: 'Rename price module', files: ['shop/pricing.py'], renames: [{ from: 'shop/price.py', to: 'shop/pricing.py' }], author: 'Ada Lovelace', daysAgo: 1 }),
      commit({ message: 'Price rules', files: ['shop/price.py'], author: 'Charles Babbage', email: 'charles@example.com', daysAgo: 50 }),
      commit({ message: 'More price rules', files: ['shop/price.py'], author: 'Charles Babbage', email: 'charles@example.com', daysAgo: 60 }),
    ]);
    const experts = await findExperts({ store, files: [finding('shop/pricing.py')] });
    expect(experts.map((expert) => [expert.name, expert.commits, expert.files])).toEqual([
      ['Charles Babbage', 2, ['shop/pricing.py']],
      ['Ada Lovelace', 1, ['shop/pricing.py']],
    ]);
    store.close();
  });

  test('logins from noreply addresses; bot addresses', () => {
    expect(loginFromEmail('12345+ada-l@users.noreply.github.com')).toBe('ada-l');
    expect(loginFromEmail('ada@users.noreply.github.com')).toBe('ada');
    expect(loginFromEmail('ada@example.com')).toBeUndefined();
    expect(isBotAuthor('dependabot[bot]', '49699333+dependabot[bot]@users.noreply.github.com')).toBe(true);
    expect(isBotAuthor('renovate[bot]', '29139614+renovate[bot]@users.noreply.github.com')).toBe(true);
    expect(isBotAuthor('github-actions', '41898282+github-actions[bot]@users.noreply.github.com')).toBe(true);
    expect(isBotAuthor('Talbot Smith', 'talbot@example.com')).toBe(false);
    expect(isBotAuthor('Ada Lovelace', '1+ada@users.noreply.github.com')).toBe(false);
  });
});
