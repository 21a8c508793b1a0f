import { Octokit } from '@octokit/rest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatStats, localRepoNamespaces, refreshReactions, repoStats } from '../../src/app/stats.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { CommentRow, RunRow } from '../../src/store/schema.ts';
import { emptyStages, type TriageState } from '../../src/triage/state.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';

let dir: string;
const github = new FakeGitHub();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scout-stats-'));
  await github.start();
});
afterAll(async () => {
  await github.stop();
  await rm(dir, { recursive: true, force: true });
});

function run(issue: number, ms: number[], failed = false): RunRow {
  const stages = emptyStages();
  (['understand', 'locate', 'related', 'propose'] as const).forEach((name, i) => (stages[name] = { status: failed && name === 'propose' ? 'failed' : 'done', ms: ms[i] }));
  const state: TriageState = { version: 1, repo: 'acme/shop', issue, commit: 'c', textHash: `h${issue}-${ms[1]}`, stages, tokens: 0 };
  return { key: `issue:${issue}:${state.textHash}:c`, issue, text_hash: state.textHash, commit: 'c', state: JSON.stringify({ state }), updated: Date.now() };
}

const comment = (issue: number, id: number, latency: number): CommentRow => ({ key: `issue:${issue}`, issue, comment_id: id, url: '', posted_at: Date.now(), latency_ms: latency, up: 0, down: 0 });

describe('scout stats', () => {
  test('counts issues, runs, comments and reactions read back from GitHub; medians of latency', async () => {
    const store = await RepoStore.open(path.join(dir, 'lancedb'), 'acme/shop');
    await store.upsertRecords('runs', [run(1, [1, 100, 20, 10]), run(1, [1, 200, 20, 10]), run(2, [1, 50, 10, 10], true)]);
    await store.upsertRecords('comments', [comment(1, 501, 3_000), comment(2, 502, 5_000)]);
    github.on('GET', '/repos/acme/shop/issues/comments/501/reactions', { body: [{ id: 1, content: '+1' }, { id: 2, content: '+1' }] });
    github.on('GET', '/repos/acme/shop/issues/comments/502/reactions', { body: [{ id: 3, content: '-1' }, { id: 4, content: 'heart' }] });
    const octokit = new Octokit({ baseUrl: github.apiUrl, request: { retries: 0 } });
    expect(await refreshReactions(store, octokit, { owner: 'acme', repo: 'shop' })).toBe(2);
    const stats = await repoStats(store);
    store.close();
    expect(stats).toEqual({ repo: 'acme/shop', issuesTriaged: 2, runs: 3, comments: 2, up: 2, down: 1, medianFirstCommentMs: 4_000, medianTriageMs: 131, failedRuns: 1 });
    expect(await localRepoNamespaces(path.join(dir, 'lancedb'))).toEqual(['acme_shop']);
    const table = formatStats([stats]);
    expect(table.split('\n')[1]).toMatch(/^acme\/shop\s+2\s+3\s+2\s+2\s+1\s+4\.0 s\s+0\.1 s\s+1$/);
    github.assertNoUnexpected();
  });

  test('nothing recorded yet says so', () => {
    expect(formatStats([])).toBe('No triage runs recorded yet.');
  });
});
