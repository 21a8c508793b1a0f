import { sign } from '@octokit/webhooks-methods';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { IssueRow, RunRow } from '../../src/store/schema.ts';
import { parseComment } from '../../src/triage/comment.ts';
import type { TriageState } from '../../src/triage/state.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { examplePayload, GitHubWorld, INSTALLATION_ID, TOKEN } from '../helpers/github-world.ts';
import { countKeys, deleteKeys, redisReachable, REDIS_URL } from '../jobs/fixtures/harness.ts';
import { SHOP_FILES } from '../fixtures/shop.ts';

/**
 * The app as users meet it: `npm start` in its own process, a stand-in GitHub on 127.0.0.1 (REST +
 * git over HTTP), signed webhook deliveries over real HTTP.
 */

const SECRET = 'e2e-webhook-secret';
const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

const E2E_FILES: Record<string, string> = {
  ...SHOP_FILES,
  'README.md': '# Shop\n\nA tiny shop.\n',
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export interface AppProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `npm start`'s command with a clean environment pointed at the world. */
export async function startApp(world: GitHubWorld, dataDir: string, extraEnv: Record<string, string> = {}, command: 'serve' | 'worker' = 'serve'): Promise<AppProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dataDir,
    APP_ID: '4242',
    PRIVATE_KEY: world.privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    GHE_HOST: world.host,
    GHE_PROTOCOL: 'http',
    SCOUT_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    NODE_ENV: 'test',
    ...extraEnv,
  };
  let output = '';
  const child = spawn(process.execPath, ['bin/scout.js', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('the app to listen', async () => {
    if (child.exitCode !== null) throw new Error(`The app exited (${child.exitCode}):\n${output}`);
    return output.includes(command === 'serve' ? 'repo-scout is listening' : 'repo-scout worker is running');
  }, 30_000);
  return {
    child,
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export async function deliver(port: number, event: string, payload: unknown, delivery: string = randomUUID()): Promise<{ status: number; delivery: string }> {
  const body = JSON.stringify(payload);
  const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': await sign(SECRET, body) },
    body,
  });
  await response.text();
  return { status: response.status, delivery };
}

export function issuePayload(world: GitHubWorld, action: 'opened' | 'edited', number: number): Record<string, unknown> {
  const payload = examplePayload('issues', action === 'opened' ? 'opened' : 'edited');
  const issue = world.issues.get(number)!;
  payload.repository = { ...(payload.repository as object), ...world.repository() };
  payload.installation = { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' };
  payload.issue = { ...(payload.issue as object), number, title: issue.title, body: issue.body, user: { ...((payload.issue as { user: object }).user), login: issue.user.login, type: 'User' }, labels: [] };
  delete (payload.issue as Record<string, unknown>).pull_request;
  return payload;
}

export function commentPayload(world: GitHubWorld, issueNumber: number, login: string, body: string, commentId: number): Record<string, unknown> {
  const payload = examplePayload('issue_comment', 'created');
  const issue = world.issues.get(issueNumber)!;
  payload.repository = { ...(payload.repository as object), ...world.repository() };
  payload.installation = { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' };
  payload.issue = { ...(payload.issue as object), number: issueNumber, title: issue.title, body: issue.body, user: { ...((payload.issue as { user: object }).user), login: issue.user.login } };
  delete (payload.issue as Record<string, unknown>).pull_request;
  payload.comment = { ...(payload.comment as object), id: commentId, body, user: { ...((payload.comment as { user: object }).user), login, type: 'User' } };
  return payload;
}

export function installationPayload(world: GitHubWorld): Record<string, unknown> {
  const payload = examplePayload('installation', 'created');
  payload.installation = { ...(payload.installation as object), id: INSTALLATION_ID };
  payload.repositories = [{ id: 1296269, node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5', name: world.repo, full_name: `${world.owner}/${world.repo}`, private: false }];
  return payload;
}

function scoutComments(world: GitHubWorld, issue: number) {
  return world.commentsOn(issue).filter((comment) => comment.body.includes('repo-scout:v1'));
}

function complete(world: GitHubWorld, issue: number): boolean {
  const [comment] = scoutComments(world, issue);
  const state = comment && parseComment(comment.body);
  return Boolean(state && Object.values(state.stages).every((stage) => stage.status === 'done' || stage.status === 'skipped' || stage.status === 'failed'));
}

describe('the GitHub App end to end (embedded queue)', () => {
  let repo: FixtureRepo;
  let world: GitHubWorld;
  let dataDir: string;
  let app: AppProcess;

  beforeAll(async () => {
    repo = await makeRepo([
      { files: E2E_FILES, message: 'Add the shop', author: { name: 'Ada Lovelace', email: 'ada@example.com' } },
      { files: { 'shop/pricing.py': `${E2E_FILES['shop/pricing.py']}\n# totals are in dollars\n` }, message: 'Document totals (#3)', author: { name: 'Ada Lovelace', email: 'ada@example.com' } },
    ]);
    world = new GitHubWorld();
    world.roles.set('maintainer', 'write');
    world.roles.set('visitor', 'read');
    await world.start(repo.dir);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-e2e-'));
    app = await startApp(world, dataDir);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await world?.stop();
    await repo?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('installation → the repository is cloned and indexed', async () => {
    const { status } = await deliver(app.port, 'installation', installationPayload(world));
    expect(status).toBe(200);
    await waitFor('the index', () => existsSync(path.join(dataDir, 'lancedb', 'acme_shop', 'meta.lance'))).catch((error: Error) => {
      throw new Error(`${error.message}\n${app.output().slice(-6000)}`);
    });
    expect(world.git.requests.some((request) => request.path.includes('git-upload-pack'))).toBe(true);
  }, 90_000);

  test('issues.opened → one comment, created then edited to complete, naming the right file', async () => {
    world.addIssue({ number: 7, title: 'cart_total goes negative with a big coupon', body: 'With SAVE500 on a 20 dollar cart, `cart_total` returns -480. The total should never be below zero.' });
    const { status } = await deliver(app.port, 'issues', issuePayload(world, 'opened', 7));
    expect(status).toBe(200);
    await waitFor('the complete comment', () => complete(world, 7), 60_000);
    const comments = scoutComments(world, 7);
    expect(comments).toHaveLength(1);
    const writes = world.writes.filter((write) => write === 'POST 7' || write === `PATCH ${comments[0].id}`);
    expect(writes[0]).toBe('POST 7');
    expect(writes.filter((write) => write === 'POST 7')).toHaveLength(1);
    expect(writes.length).toBeGreaterThan(1);
    const state = parseComment(comments[0].body)!;
    expect(state.files?.[0]?.path).toBe('shop/pricing.py');
    expect(comments[0].body).toContain(`http://${world.host}/acme/shop/blob/${repo.shas[1]}/shop/pricing.py#L`);
    expect(comments[0].user.login).toBe('repo-scout-test[bot]');
  }, 90_000);

  test('a duplicate delivery does no extra work', async () => {
    const before = world.github.requests.length;
    const writes = world.writes.length;
    const { delivery } = await deliver(app.port, 'issues', issuePayload(world, 'opened', 7));
    await deliver(app.port, 'issues', issuePayload(world, 'opened', 7), delivery);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(world.writes.length).toBe(writes);
    expect(world.github.requests.length).toBe(before);
  }, 30_000);

  test('/scout from a writer re-runs with guidance and edits the same comment', async () => {
    const [comment] = scoutComments(world, 7);
    const before = comment.body;
    await deliver(app.port, 'issue_comment', commentPayload(world, 7, 'maintainer', '/scout look at shipping_cost', 9001));
    await waitFor('the edited comment', () => {
      const [now] = scoutComments(world, 7);
      return now && now.body !== before && complete(world, 7);
    });
    const comments = scoutComments(world, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0].id).toBe(comment.id);
    const state = parseComment(comments[0].body)!;
    expect(state.textHash).not.toBe(parseComment(before)!.textHash);
    expect(state.files?.map((file) => file.path)).toContain('shop/shipping.py');
  }, 60_000);

  test('/scout from a reader is refused politely, once per issue', async () => {
    const before = world.commentsOn(7).length;
    await deliver(app.port, 'issue_comment', commentPayload(world, 7, 'visitor', '/scout please', 9002));
    await waitFor('the refusal', () => world.commentsOn(7).length === before + 1);
    const refusal = world.commentsOn(7).at(-1)!;
    expect(refusal.body).not.toContain('repo-scout:v1');
    expect(refusal.body).not.toMatch(/(^|[^`])@visitor/);
    await deliver(app.port, 'issue_comment', commentPayload(world, 7, 'visitor', '/scout again', 9003));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(world.commentsOn(7).length).toBe(before + 1);
    expect(scoutComments(world, 7)).toHaveLength(1);
  }, 60_000);

  test('a material edit re-triages into the same comment; a typo fix does not', async () => {
    const issue = world.issues.get(7)!;
    const [comment] = scoutComments(world, 7);
    const writes = world.writes.length;
    const typo = issuePayload(world, 'edited', 7);
    issue.body = `${issue.body} `;
    (typo.issue as { body: string }).body = issue.body;
    typo.changes = { body: { from: issue.body.trimEnd() } };
    await deliver(app.port, 'issues', typo);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(world.writes.length).toBe(writes);

    const before = comment.body;
    const previous = { title: issue.title, body: issue.body };
    issue.title = 'Postage is too high for heavy parcels';
    issue.body = 'shipping_cost charges 25 for a 10 kg parcel abroad, it should be 15.';
    const material = issuePayload(world, 'edited', 7);
    material.changes = { title: { from: previous.title }, body: { from: previous.body } };
    await deliver(app.port, 'issues', material);
    await waitFor('the re-triaged comment', () => {
      const [now] = scoutComments(world, 7);
      return now && now.body !== before && complete(world, 7);
    });
    expect(scoutComments(world, 7)).toHaveLength(1);
    expect(parseComment(scoutComments(world, 7)[0].body)?.files?.[0]?.path).toBe('shop/shipping.py');
  }, 60_000);

  test('a low-confidence guess stays quiet; /scout answers anyway', async () => {
    world.addIssue({ number: 8, title: 'It does not work', body: 'Sometimes it is wrong. Please fix.' });
    await deliver(app.port, 'issues', issuePayload(world, 'opened', 8));
    // The run finished (its checkpoint says so) and decided to stay quiet.
    const run = await waitFor('the quiet run', async () => {
      const store = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
      try {
        const rows = await store.readRecords<RunRow>('runs', { where: 'issue = 8' });
        const state = rows.map((row) => (JSON.parse(row.state) as { state: TriageState }).state).find((s) => s.stages.propose.status !== 'pending');
        return state;
      } finally {
        store.close();
      }
    });
    expect(run.confidence!.score).toBeLessThan(0.35);
    expect(world.commentsOn(8)).toEqual([]);
    await deliver(app.port, 'issue_comment', commentPayload(world, 8, 'maintainer', '/scout', 9010));
    await waitFor('the answer to /scout', () => complete(world, 8));
    expect(scoutComments(world, 8)).toHaveLength(1);
  }, 60_000);

  test('a broken .github/scout.yml is reported in the comment; defaults apply', async () => {
    world.configYaml = 'max_files: [oops\ncomment: always\n';
    try {
      world.addIssue({ number: 9, title: 'parse_coupon rejects codes with a dash', body: 'SAVE-10 raises "Coupon codes may only contain letters and digits".' });
      await deliver(app.port, 'issues', issuePayload(world, 'opened', 9));
      await waitFor('the comment', () => complete(world, 9));
      const [comment] = scoutComments(world, 9);
      expect(comment.body).toMatch(/scout\.yml/);
      expect(comment.body).toMatch(/line \d+/);
      expect(parseComment(comment.body)?.files?.[0]?.path).toBe('shop/coupons.py');
    } finally {
      world.configYaml = undefined;
    }
  }, 60_000);

  test('a merged pull request is recorded with its files and the issue it fixes', async () => {
    world.addIssue({ number: 12, title: 'Clamp cart totals at zero', body: 'Fixes #7', pull_request: { merged_at: '2024-05-02T00:00:00Z', url: '' } });
    world.pullFiles.set(12, ['shop/pricing.py']);
    const payload = examplePayload('pull_request', 'closed');
    payload.repository = { ...(payload.repository as object), ...world.repository() };
    payload.installation = { id: INSTALLATION_ID, node_id: 'x' };
    payload.pull_request = { ...(payload.pull_request as object), number: 12, merged: true, merged_at: '2024-05-02T00:00:00Z', body: 'Fixes #7' };
    await deliver(app.port, 'pull_request', payload);
    const row = await waitFor('the recorded pull request', async () => {
      const store = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
      try {
        return (await store.recordsWithKeys<IssueRow>('issues', ['pull:12']))[0];
      } finally {
        store.close();
      }
    });
    expect(row).toMatchObject({ kind: 'pull', state: 'merged', files: 'shop/pricing.py' });
    expect(JSON.parse(row.links)).toEqual([7]);
  }, 60_000);

  test('when the repository cannot be fetched, triage answers from the last complete index', async () => {
    world.git.token = 'revoked-token';
    try {
      world.addIssue({ number: 10, title: 'shipping_cost is wrong abroad', body: 'shipping_cost(10, "fr") returns 25; the rate abroad should be 1 per kg.' });
      await deliver(app.port, 'issues', issuePayload(world, 'opened', 10));
      await waitFor('the comment', () => complete(world, 10));
      expect(parseComment(scoutComments(world, 10)[0].body)?.files?.[0]?.path).toBe('shop/shipping.py');
      expect(app.output()).toContain('triaging with the last complete index');
    } finally {
      world.git.token = TOKEN;
    }
  }, 60_000);

  test('an issue deleted before its job runs is skipped, not retried', async () => {
    world.addIssue({ number: 99, title: 'Soon gone', body: 'cart_total is wrong' });
    const payload = issuePayload(world, 'opened', 99);
    world.issues.delete(99);
    await deliver(app.port, 'issues', payload);
    await waitFor('the skip', () => app.output().includes('the issue is gone'));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(world.github.requests.filter((request) => request.url.endsWith('/repos/acme/shop/issues/99'))).toHaveLength(1);
    expect(world.commentsOn(99)).toEqual([]);
  }, 60_000);

  test('scout stats reports what the app did', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['bin/scout.js', 'stats', '--json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dataDir, SCOUT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' } });
    const [row] = JSON.parse(stdout) as Array<{ repo: string; issuesTriaged: number; comments: number; medianFirstCommentMs: number }>;
    expect(row.repo).toBe('acme/shop');
    expect(row.issuesTriaged).toBeGreaterThanOrEqual(3);
    expect(row.comments).toBe(4);
    expect(row.medianFirstCommentMs).toBeGreaterThan(0);
  }, 30_000);

  test('the stand-in saw no request it does not model', () => {
    expect(world.github.unexpected).toEqual([]);
  });
});

describe.skipIf(!(await redisReachable(REDIS_URL)))('the GitHub App end to end on BullMQ (REDIS_URL)', () => {
  const prefix = `scout-e2e-${process.pid}-${randomUUID().slice(0, 8)}`;
  let repo: FixtureRepo;
  let world: GitHubWorld;
  let dataDir: string;
  let server: AppProcess;
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    repo = await makeRepo([{ files: E2E_FILES, message: 'Add the shop', author: { name: 'Ada Lovelace', email: 'ada@example.com' } }]);
    world = new GitHubWorld();
    await world.start(repo.dir);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-e2e-redis-'));
    const env = { REDIS_URL, SCOUT_QUEUE_PREFIX: prefix, SCOUT_JOB_LOCK_MS: '1500' };
    // The webhook server only receives; separate worker processes do the work.
    server = await startApp(world, dataDir, { ...env, SCOUT_WORKERS: '0' });
    workers.push(await startApp(world, dataDir, env, 'worker'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await server?.stop();
    await world?.stop();
    await repo?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await deleteKeys(REDIS_URL, prefix);
    expect(await countKeys(REDIS_URL, prefix)).toBe(0);
  });

  test('installation → indexed by a worker; issues.opened → one complete comment', async () => {
    await deliver(server.port, 'installation', installationPayload(world));
    await waitFor('the index', () => existsSync(path.join(dataDir, 'lancedb', 'acme_shop', 'meta.lance')));
    world.addIssue({ number: 3, title: 'cart_total goes negative with a big coupon', body: 'With SAVE500 on a 20 dollar cart, `cart_total` returns -480.' });
    await deliver(server.port, 'issues', issuePayload(world, 'opened', 3));
    await waitFor('the complete comment', () => complete(world, 3));
    expect(scoutComments(world, 3)).toHaveLength(1);
    expect(parseComment(scoutComments(world, 3)[0].body)?.files?.[0]?.path).toBe('shop/pricing.py');
  }, 90_000);

  test('a worker killed mid-job: another worker takes the job over and finishes it; still one comment', async () => {
    world.addIssue({ number: 4, title: 'Postage is wrong for heavy parcels', body: 'shipping_cost charges too much abroad for a 10 kg parcel.' });
    const held = world.holdNextPatch();
    await deliver(server.port, 'issues', issuePayload(world, 'opened', 4));
    await held.reached; // The worker posted the comment and is now editing it: kill it here.
    const [doomed] = workers.splice(0, 1);
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));
    held.release();
    expect(scoutComments(world, 4)).toHaveLength(1);
    workers.push(await startApp(world, dataDir, { REDIS_URL, SCOUT_QUEUE_PREFIX: prefix, SCOUT_JOB_LOCK_MS: '1500' }, 'worker'));
    await waitFor('the job taken over and finished', () => complete(world, 4), 60_000);
    const comments = scoutComments(world, 4);
    expect(comments).toHaveLength(1);
    expect(parseComment(comments[0].body)?.files?.[0]?.path).toBe('shop/shipping.py');
    expect(world.github.unexpected).toEqual([]);
  }, 120_000);
});
