import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { EmbeddedQueue, type EmbeddedQueueOptions } from '../../src/jobs/embedded-queue.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';
import { deferred, nextEvent, silentLog, spawnFixture, within, type FixtureProcess } from './fixtures/harness.ts';

const dirs: string[] = [];
const queues: JobQueue[] = [];
const children: FixtureProcess[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(queues.splice(0).map((queue) => queue.close({ timeoutMs: 50 })));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-jobs-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, options: Partial<EmbeddedQueueOptions> = {}): EmbeddedQueue {
  const queue = new EmbeddedQueue({ dir, log: silentLog, backoffMs: 10, ...options });
  queues.push(queue);
  return queue;
}

async function records(dir: string): Promise<{ id: string; state: string; stalls: number }[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json'));
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { id: string; state: string; stalls: number }));
}

describe('embedded queue durability', () => {
  test('waiting and backing-off jobs survive a restart, keep their order, attempt count and backoff', async () => {
    const dir = await tempDir();
    const first = open(dir, { backoffMs: 300 });
    const retrying = nextEvent(first, (event) => event.type === 'retrying');
    let failedAt = 0;
    await first.process({
      sync: async () => {
        failedAt = Date.now();
        throw new Error('GitHub answered 502');
      },
    });
    await first.add({ id: 'sync:acme/shop', name: 'sync', group: 'acme/shop', data: {} });
    await retrying;
    await first.close();
    // Enqueued by a process that never runs jobs (e.g. the webhook server while the worker is down).
    const producer = open(dir);
    await producer.add({ id: 'index:acme/shop:abc123', name: 'index', group: 'acme/shop', serialize: true, data: { commit: 'abc123' } });
    await producer.add({ id: 'index:acme/shop:def456', name: 'index', group: 'acme/shop', serialize: true, data: { commit: 'def456' } });
    expect(await producer.counts()).toEqual({ waiting: 2, active: 0, completed: 0, failed: 0, delayed: 1 });
    await producer.close();

    const second = open(dir);
    const ran: string[] = [];
    let syncRun: { attempt: number; at: number } | undefined;
    const settled = deferred<void>();
    second.subscribe((event) => {
      if (event.type === 'completed' && ran.length === 3) settled.resolve();
    });
    await second.process({
      index: async (job) => {
        ran.push(`${job.id} ${JSON.stringify(job.data)}`);
      },
      sync: async (job, ctx) => {
        ran.push(job.id);
        syncRun = { attempt: ctx.attempt, at: Date.now() };
      },
    });
    await within(settled.promise, 10_000, 'the resumed jobs to complete');
    expect(ran.filter((entry) => entry.startsWith('index:'))).toEqual([
      'index:acme/shop:abc123 {"commit":"abc123"}',
      'index:acme/shop:def456 {"commit":"def456"}',
    ]);
    expect(syncRun?.attempt).toBe(2);
    // The retry kept the backoff it was given before the restart.
    expect(syncRun!.at - failedAt).toBeGreaterThanOrEqual(290);
    expect(await second.counts()).toEqual({ waiting: 0, active: 0, completed: 3, failed: 0, delayed: 0 });
  });

  test('a job active in a process that was killed runs again in the next one, and the waiting job runs too', async () => {
    const dir = await tempDir();
    const worker = spawnFixture('embedded-worker.ts', [dir]);
    children.push(worker);
    await worker.line(/^started index:acme\/shop:abc123$/);
    // While the owner runs, another instance may look and enqueue but neither run nor "recover" its jobs.
    const bystander = open(dir);
    await expect(bystander.process({ index: async () => undefined })).rejects.toThrow(/Another process \(pid \d+/);
    expect(await bystander.counts()).toEqual({ waiting: 1, active: 1, completed: 0, failed: 0, delayed: 0 });
    await bystander.close();
    await worker.kill();
    expect((await records(dir)).map((record) => [record.id, record.state]).sort()).toEqual([
      ['index:acme/shop:abc123', 'active'],
      ['triage:acme/shop:7:f00d', 'waiting'],
    ]);

    const next = open(dir);
    const ran: { id: string; attempt: number }[] = [];
    const settled = deferred<void>();
    next.subscribe((event) => {
      if (event.type === 'completed' && ran.length === 2) settled.resolve();
    });
    await next.process({
      index: async (job, ctx) => {
        ran.push({ id: job.id, attempt: ctx.attempt });
      },
      triage: async (job, ctx) => {
        ran.push({ id: job.id, attempt: ctx.attempt });
      },
    });
    await within(settled.promise, 10_000, 'the interrupted and the waiting job to complete');
    expect(ran).toEqual([
      { id: 'index:acme/shop:abc123', attempt: 1 },
      { id: 'triage:acme/shop:7:f00d', attempt: 1 },
    ]);
    expect(await next.counts()).toEqual({ waiting: 0, active: 0, completed: 2, failed: 0, delayed: 0 });
    const stored = await records(dir);
    expect(stored.find((record) => record.id === 'index:acme/shop:abc123')?.stalls).toBe(1);
  });

  test('a job interrupted more often than maxStalledCount fails instead of running again', async () => {
    const dir = await tempDir();
    const crashing = new EmbeddedQueue({ dir, log: silentLog });
    const started = deferred<void>();
    await crashing.process({
      index: async () => {
        started.resolve();
        await new Promise(() => undefined); // the process "dies" here: the instance is abandoned
      },
    });
    await crashing.add({ id: 'index:acme/huge:abc123', name: 'index', group: 'acme/huge', serialize: true, data: {} });
    await within(started.promise, 10_000, 'the job to start');

    const next = open(dir, { maxStalledCount: 0 });
    let ran = false;
    await next.process({ index: async () => (ran = true) });
    const failed = await next.failed();
    expect(failed).toMatchObject([{ id: 'index:acme/huge:abc123', error: { name: 'StalledJobError' } }]);
    expect(failed[0]!.error.message).toMatch(/interrupted 1 times/);
    expect(ran).toBe(false);
  });

  test('completed records are pruned after the retention; torn writes and corrupt files are set aside', async () => {
    const dir = await tempDir();
    const first = open(dir);
    const completed = nextEvent(first, (event) => event.type === 'completed');
    await first.process({ triage: async () => 'commented' });
    await first.add({ id: 'triage:acme/shop:7:9f8e', name: 'triage', group: 'acme/shop', data: {} });
    await completed;
    await first.close();
    expect(await readdir(dir)).toHaveLength(1);
    await writeFile(path.join(dir, 'deadbeef.json.123.abcd.tmp'), '{"version":1,"id":"half');
    await writeFile(path.join(dir, 'cafe.json'), 'not json');

    const later = open(dir, { completedRetentionMs: 0 });
    expect(await later.counts()).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
    // Only the process that runs the jobs cleans the directory.
    expect(await readdir(dir)).toHaveLength(3);
    await later.process({ triage: async () => 'commented' });
    await later.close();
    expect((await readdir(dir)).sort()).toEqual(['cafe.json.corrupt']);
  });

  test('a record on disk is always a whole JSON job, written without leftovers', async () => {
    const dir = await tempDir();
    const queue = open(dir);
    const settled = deferred<void>();
    let done = 0;
    queue.subscribe((event) => {
      if (event.type === 'completed' && ++done === 20) settled.resolve();
    });
    await queue.process({ triage: async () => 'commented' }, { concurrency: 4 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => queue.add({ id: `triage:acme/shop:${i}:x`, name: 'triage', group: 'acme/shop', data: { issue: i } })),
    );
    await within(settled.promise, 10_000, '20 jobs to complete');
    await queue.close();
    const files = await readdir(dir);
    expect(files.every((file) => file.endsWith('.json'))).toBe(true);
    const stored = await records(dir);
    expect(stored).toHaveLength(20);
    expect(new Set(stored.map((record) => record.state))).toEqual(new Set(['completed']));
  });
});
