import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { BullmqQueue, toBullJobId, type BullmqQueueOptions } from '../../src/jobs/bullmq-queue.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';
import {
  REDIS_URL,
  countKeys,
  deferred,
  deleteKeys,
  redisReachable,
  silentLog,
  spawnFixture,
  within,
  type FixtureProcess,
} from './fixtures/harness.ts';

const redisUp = await redisReachable(REDIS_URL);
if (!redisUp) console.warn(`Skipping the BullMQ queue tests: no Redis answers at ${REDIS_URL}.`);
const prefix = `scout-test-${process.pid}-${randomBytes(4).toString('hex')}`;
let queueCounter = 0;

const queues: JobQueue[] = [];
const children: FixtureProcess[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(queues.splice(0).map((queue) => queue.close({ timeoutMs: 50 })));
});

afterAll(async () => {
  if (!redisUp) return;
  await deleteKeys(REDIS_URL, prefix);
  expect(await countKeys(REDIS_URL, prefix)).toBe(0);
});

function open(queueName: string, options: Partial<BullmqQueueOptions> = {}): BullmqQueue {
  const queue = new BullmqQueue({ url: REDIS_URL, prefix, queueName, log: silentLog, backoffMs: 10, groupRetryMs: 20, ...options });
  queues.push(queue);
  return queue;
}

function nextQueueName(): string {
  queueCounter += 1;
  return `bullmq-${queueCounter}`;
}

/** Polls a condition that has no event (another process's state in Redis). */
async function until(condition: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('toBullJobId', () => {
  test('escapes what BullMQ refuses in custom ids, and keeps different ids different', () => {
    expect(toBullJobId('index:acme/shop:3f2c1e0')).toBe('index%3Aacme/shop%3A3f2c1e0');
    expect(toBullJobId('index%3Aacme/shop%3A3f2c1e0')).toBe('index%253Aacme/shop%253A3f2c1e0');
    expect(toBullJobId('42')).toBe('#42');
    expect(toBullJobId('0')).toBe('#0');
    expect(toBullJobId('sync-acme')).toBe('sync-acme');
  });
});

describe.skipIf(!redisUp)('bullmq queue on Redis', () => {
  test('raw BullMQ refuses our colon ids, so they are encoded; look-alike ids stay distinct jobs', async () => {
    const queueName = nextQueueName();
    const raw = new Queue(queueName, { connection: { url: REDIS_URL }, prefix });
    try {
      await expect(raw.add('triage', {}, { jobId: 'triage:acme/shop:7:9f8e' })).rejects.toThrow(/cannot contain :/);
      await expect(raw.add('index', {}, { jobId: '42' })).rejects.toThrow(/cannot be integers/);
    } finally {
      await raw.close();
    }

    const queue = open(queueName);
    const ids = ['triage:acme/shop:7:9f8e', 'triage%3Aacme/shop%3A7%3A9f8e', '42', 'index:acme/shop:abc'];
    for (const id of ids) expect(await queue.add({ id, name: 'triage', group: 'acme/shop', data: { id } })).toEqual({ added: true });
    for (const id of ids) expect(await queue.add({ id, name: 'triage', group: 'acme/shop', data: { id } })).toEqual({ added: false, reason: 'duplicate' });
    const seen = new Map<string, unknown>();
    const settled = deferred<void>();
    queue.subscribe((event) => {
      if (event.type === 'completed' && seen.size === ids.length) settled.resolve();
    });
    await queue.process({
      triage: async (job) => {
        seen.set(job.id, job.data);
      },
    });
    await within(settled.promise, 10_000, 'the four jobs to complete');
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(ids.map((id) => [id, { id }])));
    // Every key, group locks included, lives under the prefix.
    expect(await countKeys(REDIS_URL, `${prefix}:${queueName}`)).toBeGreaterThan(0);
  });

  test('a worker killed mid-job: another worker picks the job up and it completes exactly once', async () => {
    const queueName = nextQueueName();
    const lockDurationMs = 1_000;
    const queue = open(queueName, { lockDurationMs, stalledIntervalMs: lockDurationMs / 2 });
    const id = 'index:acme/shop:abc123';
    await queue.add({ id, name: 'index', group: 'acme/shop', serialize: true, data: { commit: 'abc123' } });

    const doomed = spawnFixture('bullmq-worker.ts', [REDIS_URL, prefix, queueName, String(lockDurationMs)]);
    children.push(doomed);
    expect(await doomed.line(/^started /)).toBe(`started ${id} attempt 1`);
    expect(await queue.counts()).toMatchObject({ active: 1, waiting: 0, completed: 0 });
    await doomed.kill();

    // The dead worker still holds the job lock and the group lock; both lapse after lockDurationMs.
    const effects: { id: string; attempt: number; data: unknown }[] = [];
    const completed = deferred<void>();
    queue.subscribe((event) => {
      if (event.type === 'completed' && event.job.id === id) completed.resolve();
    });
    const recoveredAfter = Date.now();
    await queue.process({
      index: async (job, ctx) => {
        effects.push({ id: job.id, attempt: ctx.attempt, data: job.data });
        return 'indexed';
      },
    });
    await within(completed.promise, 15_000, 'the stalled job to be recovered and completed');
    expect(Date.now() - recoveredAfter).toBeLessThan(10_000);
    // A stall is not a failed attempt; the side effect happened once, by the surviving worker.
    expect(effects).toEqual([{ id, attempt: 1, data: { commit: 'abc123' } }]);
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0, delayed: 0 });
    expect(await doomed.line(/^started /)).toBe(`started ${id} attempt 1`);
  });

  test('two workers: a serialized job whose group is busy waits in delayed until the group is free', async () => {
    const queueName = nextQueueName();
    const first = open(queueName);
    const second = open(queueName);
    const order: string[] = [];
    const release = deferred<void>();
    const firstStarted = deferred<void>();
    const allDone = deferred<void>();
    let done = 0;
    const handlers = {
      index: async (job: { id: string }) => {
        order.push(`start ${job.id}`);
        if (job.id === 'index:acme/shop:1') {
          firstStarted.resolve();
          await release.promise;
        }
        order.push(`end ${job.id}`);
      },
    };
    for (const queue of [first, second]) {
      queue.subscribe((event) => {
        if (event.type === 'completed' && ++done === 2) allDone.resolve();
      });
      await queue.process(handlers, { concurrency: 1 });
    }
    await first.add({ id: 'index:acme/shop:1', name: 'index', group: 'acme/shop', serialize: true, data: {} });
    await within(firstStarted.promise, 10_000, 'the first index job to start');
    await first.add({ id: 'index:acme/shop:2', name: 'index', group: 'acme/shop', serialize: true, data: {} });
    // The idle worker takes job 2, finds the repository busy and puts the job back as delayed.
    await until(async () => (await first.counts()).delayed === 1, 'job 2 to be delayed by the group lock');
    expect(order).toEqual(['start index:acme/shop:1']);
    release.resolve();
    await within(allDone.promise, 10_000, 'both jobs to complete');
    expect(order).toEqual(['start index:acme/shop:1', 'end index:acme/shop:1', 'start index:acme/shop:2', 'end index:acme/shop:2']);
    expect(await first.counts()).toEqual({ waiting: 0, active: 0, completed: 2, failed: 0, delayed: 0 });
  });
});
