import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { registerHandlers } from '../../src/app/handlers.ts';
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts';
import type { JobSpec } from '../../src/jobs/queue.ts';
import { log } from '../../src/log.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { examplePayload, GitHubWorld, INSTALLATION_ID } from '../helpers/github-world.ts';

/**
 * Handlers with real payloads from @octokit/webhooks-examples through `probot.receive`: they only
 * enqueue. The octokit points at a fail-closed stand-in, so any API call a handler made would show.
 */

let dir: string;
let queue: EmbeddedQueue;
let github: FakeGitHub;
let probot: Probot;
let added: JobSpec[];
const world = new GitHubWorld();

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scout-handlers-'));
  queue = new EmbeddedQueue({ dir });
  added = [];
  const add = queue.add.bind(queue);
  queue.add = async (job) => {
    const result = await add(job);
    if (result.added) added.push(job);
    return result;
  };
  github = new FakeGitHub();
  await github.start();
  probot = new Probot({
    appId: 4242,
    privateKey: world.privateKey,
    secret: 'test',
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false }, baseUrl: github.apiUrl }),
    log: log.child({ name: 'probot' }),
  });
  await probot.load((app) => registerHandlers(app, { queue, logger: log }));
});

afterEach(async () => {
  expect(github.requests).toEqual([]);
  await queue.close();
  await github.stop();
  await rm(dir, { recursive: true, force: true });
});

function withInstallation(payload: Record<string, unknown>): Record<string, unknown> {
  payload.installation = { id: INSTALLATION_ID, node_id: 'x' };
  return payload;
}

async function receive(name: string, payload: Record<string, unknown>, id = `d-${Math.random()}`): Promise<void> {
  await probot.receive({ id, name, payload } as never);
}

describe('webhook handlers', () => {
  test('installation.created enqueues an index job per repository, serialised per repository', async () => {
    const payload = examplePayload('installation', 'created');
    await receive('installation', payload);
    const repos = (payload.repositories as Array<{ full_name: string }>).map((repo) => repo.full_name);
    expect(added.map((job) => job.name)).toEqual(repos.map(() => 'index'));
    expect(added.map((job) => job.group)).toEqual(repos);
    expect(added.every((job) => job.serialize)).toBe(true);
  });

  test('installation_repositories.added indexes the added repositories', async () => {
    const payload = examplePayload('installation_repositories', 'added');
    await receive('installation_repositories', payload);
    expect(added.map((job) => job.group)).toEqual((payload.repositories_added as Array<{ full_name: string }>).map((repo) => repo.full_name));
  });

  test('a push to the default branch indexes the new head; other branches and deletions are ignored', async () => {
    const payload = withInstallation(examplePayload('push'));
    const repository = payload.repository as { default_branch?: string; master_branch?: string };
    repository.default_branch ??= repository.master_branch ?? 'main';
    payload.ref = `refs/heads/${repository.default_branch}`;
    payload.deleted = false;
    payload.after = 'a'.repeat(40);
    await receive('push', payload);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'index', data: { sha: 'a'.repeat(40), reason: 'push' } });
    await receive('push', { ...payload, ref: 'refs/heads/feature', after: 'b'.repeat(40) });
    await receive('push', { ...payload, deleted: true, after: '0'.repeat(40) });
    expect(added).toHaveLength(1);
  });

  test('issues.opened enqueues one triage job; a redelivery (same or new delivery id) adds nothing', async () => {
    const payload = withInstallation(examplePayload('issues', 'opened'));
    delete (payload.issue as Record<string, unknown>).pull_request;
    await receive('issues', payload, 'delivery-1');
    await receive('issues', payload, 'delivery-1');
    await receive('issues', payload, 'delivery-2');
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'triage', data: { trigger: 'opened', installationId: INSTALLATION_ID } });
  });

  test('issues from bots are skipped', async () => {
    const payload = withInstallation(examplePayload('issues', 'opened'));
    (payload.issue as { user: { type: string; login: string } }).user = { type: 'Bot', login: 'dependabot[bot]' } as never;
    await receive('issues', payload);
    expect(added).toEqual([]);
  });

  test('issues.edited re-triages only when the title or body changed', async () => {
    const payload = withInstallation(examplePayload('issues', 'edited'));
    delete (payload.issue as Record<string, unknown>).pull_request;
    payload.changes = { labels: { from: [] } };
    await receive('issues', payload);
    expect(added).toEqual([]);
    payload.changes = { body: { from: 'the old body' } };
    await receive('issues', payload);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ data: { trigger: 'edited', previous: { body: 'the old body' } } });
  });

  test('/scout comments enqueue a command job with its guidance; other comments and bots do not', async () => {
    const payload = withInstallation(examplePayload('issue_comment', 'created'));
    (payload.comment as { body: string }).body = 'Thanks!';
    await receive('issue_comment', payload);
    (payload.comment as { body: string }).body = '/scout look at the parser';
    await receive('issue_comment', payload);
    const bot = structuredClone(payload);
    (bot.comment as { user: { type: string } }).user.type = 'Bot';
    await receive('issue_comment', bot);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'triage', data: { trigger: 'command', command: { kind: 'run', guidance: 'look at the parser' } } });
  });

  test('closed issues and merged pull requests are recorded', async () => {
    await receive('issues', withInstallation(examplePayload('issues', 'opened')));
    added.length = 0;
    const closed = withInstallation(examplePayload('pull_request', 'closed'));
    await receive('pull_request', closed);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'record', data: { kind: 'pull' } });
  });
});
