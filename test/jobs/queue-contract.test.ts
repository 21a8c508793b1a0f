import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { BullmqQueue } from '../../src/jobs/bullmq-queue.ts';
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts';
import { PermanentJobError, type JobEvent, type JobQueue, type JobSpec, type QueueOptions, type QueuedJob } from '../../src/jobs/queue.ts';
import { REDIS_URL, deferred, deleteKeys, nextEvent, redisReachable, silentLog, untilAborted, within } from './fixtures/harness.ts';

const redisUp = await redisReachable(REDIS_URL);
if (!redisUp) console.warn(`Skipping the BullMQ queue contract tests: no Redis answers at ${REDIS_URL}.`);
const prefix = `scout-test-${process.pid}-${randomBytes(4).toString('hex')}`;

interface Storage {
  /** Opens a queue on this test's storage; every queue opened here sees the same jobs. */
  open(options?: Partial<QueueOptions> & { lockDurationMs?: number; stalledIntervalMs?: number }): JobQueue;
}

interface Implementation {
  name: string;
  skip: boolean;
  storage(): Promise<Storage>;
}

const openQueues: JobQueue[] = [];
const dirs: string[] = [];
let queueCounter = 0;

function track<Q extends JobQueue>(queue: Q): Q {
  openQueues.push(queue);
  return queue;
}

const implementations: Implementation[] = [
  {
    name: 'embedded',
    skip: false,
    async storage() {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-jobs-'));
      dirs.push(dir);
      return { open: (options = {}) => track(new EmbeddedQueue({ dir, log: silentLog, backoffMs: 10, ...options })) };
    },
  },
  {
    name: 'bullmq',
    skip: !redisUp,
    async storage() {
      queueCounter += 1;
      const queueName = `contract-${queueCounter}`;
      return {
        open: (options = {}) =>
          track(
            new BullmqQueue({
              url: REDIS_URL,
              prefix,
              queueName,
              log: silentLog,
              backoffMs: 10,
              lockDurationMs: 2_000,
              stalledIntervalMs: 1_000,
              groupRetryMs: 20,
              ...options,
            }),
          ),
      };
    },
  },
];

afterEach(async () => {
  await Promise.all(openQueues.splice(0).map((queue) => queue.close({ timeoutMs: 50 })));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

afterAll(async () => {
  if (redisUp) await deleteKeys(REDIS_URL, prefix);
});

const DUPLICATE = { added: false, reason: 'duplicate' };

/** Collects every event of a queue, and resolves `settled` once `count` jobs completed or failed. */
function recorder(queue: JobQueue, count: number) {
  const events: JobEvent[] = [];
  const done = deferred<void>();
  let settled = 0;
  queue.subscribe((event) => {
    events.push(event);
    if (event.type === 'completed' || event.type === 'failed') {
      settled += 1;
      if (settled === count) done.resolve();
    }
  });
  return { events, settled: within(done.promise, 20_000, `${count} job(s) to settle`) };
}

describe.each(implementations)('$name queue', ({ skip, storage }) => {
  describe.skipIf(skip)('contract', () => {
    test('a job id is added once while it is waiting, running, or completed recently', async () => {
      const queue = (await storage()).open();
      const spec: JobSpec = { id: 'index:acme/shop:abc123', name: 'index', group: 'acme/shop', serialize: true, data: { commit: 'abc123' } };
      expect(await queue.add(spec)).toEqual({ added: true });
      expect(await queue.add(spec)).toEqual(DUPLICATE);

      const started = deferred<QueuedJob>();
      const release = deferred<void>();
      const runs: string[] = [];
      const { settled } = recorder(queue, 2);
      await queue.process({
        index: async (job) => {
          runs.push(job.id);
          started.resolve(job);
          if (job.id === spec.id) await release.promise;
          return 'indexed';
        },
      });
      const job = await within(started.promise, 10_000, 'the job to start');
      expect(job).toEqual({ id: spec.id, name: 'index', data: { commit: 'abc123' }, group: 'acme/shop', serialize: true });
      expect(await queue.add(spec)).toEqual(DUPLICATE); // active
      const completed = nextEvent(queue, (event) => event.type === 'completed' && event.job.id === spec.id);
      release.resolve();
      await completed;
      expect(await queue.add(spec)).toEqual(DUPLICATE); // completed a moment ago
      expect(await queue.add({ ...spec, id: 'index:acme/shop:def456' })).toEqual({ added: true });
      await settled;
      expect(runs).toEqual([spec.id, 'index:acme/shop:def456']);
    });

    test('a completed id is accepted again once the retention has passed', async () => {
      const queue = (await storage()).open({ completedRetentionMs: 0 });
      let runs = 0;
      await queue.process({ sync: async () => (runs += 1) });
      const spec: JobSpec = { id: 'sync:acme/shop', name: 'sync', group: 'acme/shop', data: {} };
      const first = nextEvent(queue, (event) => event.type === 'completed');
      expect(await queue.add(spec)).toEqual({ added: true });
      await first;
      const second = nextEvent(queue, (event) => event.type === 'completed');
      expect(await queue.add(spec)).toEqual({ added: true });
      await second;
      expect(runs).toBe(2);
    });

    test('a failing job is retried with exponential backoff and then succeeds', async () => {
      const queue = (await storage()).open({ backoffMs: 40 });
      const attempts: { attempt: number; maxAttempts: number; at: number }[] = [];
      const { events, settled } = recorder(queue, 1);
      await queue.process({
        sync: async (_job, ctx) => {
          attempts.push({ attempt: ctx.attempt, maxAttempts: ctx.maxAttempts, at: Date.now() });
          if (ctx.attempt < 3) throw new Error(`GitHub answered 502 (attempt ${ctx.attempt})`);
          return 'synced';
        },
      });
      await queue.add({ id: 'sync:acme/shop', name: 'sync', group: 'acme/shop', data: {} });
      await settled;
      expect(attempts.map((a) => [a.attempt, a.maxAttempts])).toEqual([[1, 3], [2, 3], [3, 3]]);
      // 40 ms then 80 ms (a little slack for timer granularity).
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(35);
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(75);
      expect(events.map((event) => event.type)).toEqual(['active', 'retrying', 'active', 'retrying', 'active', 'completed']);
      expect(events[1]!.error?.message).toBe('GitHub answered 502 (attempt 1)');
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0, delayed: 0 });
      expect(await queue.failed()).toEqual([]);
    });

    test('a job that fails every attempt is kept as failed, with its error and data', async () => {
      const queue = (await storage()).open();
      let calls = 0;
      const { settled } = recorder(queue, 1);
      await queue.process({
        sync: async () => {
          calls += 1;
          throw new Error('GitHub answered 502');
        },
      });
      const before = Date.now();
      await queue.add({ id: 'sync:acme/shop', name: 'sync', group: 'acme/shop', data: { full: true } });
      await settled;
      expect(calls).toBe(3);
      const failed = await queue.failed();
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        id: 'sync:acme/shop',
        name: 'sync',
        group: 'acme/shop',
        data: { full: true },
        error: { name: 'Error', message: 'GitHub answered 502' },
        attempts: 3,
      });
      expect(failed[0]!.error.stack).toContain('GitHub answered 502');
      expect(failed[0]!.failedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(await queue.counts()).toMatchObject({ failed: 1, completed: 0, waiting: 0, active: 0, delayed: 0 });
    });

    test('a permanent error fails the job at once, without retries', async () => {
      const queue = (await storage()).open();
      const calls = new Map<string, number>();
      const { settled } = recorder(queue, 2);
      await queue.process({
        triage: async (job) => {
          calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
          if (job.id.endsWith(':config')) throw new ConfigError('.github/scout.yml: threshold must be a number');
          throw new PermanentJobError('Issue #7 was deleted');
        },
      });
      await queue.add({ id: 'triage:acme/shop:7:config', name: 'triage', group: 'acme/shop', data: { issue: 7 } });
      await queue.add({ id: 'triage:acme/shop:7:gone', name: 'triage', group: 'acme/shop', data: { issue: 7 } });
      await settled;
      expect(Object.fromEntries(calls)).toEqual({ 'triage:acme/shop:7:config': 1, 'triage:acme/shop:7:gone': 1 });
      const failed = Object.fromEntries((await queue.failed()).map((job) => [job.id, job]));
      expect(failed['triage:acme/shop:7:config']).toMatchObject({
        attempts: 1,
        error: { name: 'ConfigError', message: '.github/scout.yml: threshold must be a number' },
      });
      expect(failed['triage:acme/shop:7:gone']).toMatchObject({ attempts: 1, error: { name: 'PermanentJobError', message: 'Issue #7 was deleted' } });
    });

    test('a failed job id can be enqueued again and then runs', async () => {
      const queue = (await storage()).open();
      let calls = 0;
      await queue.process({
        triage: async () => {
          calls += 1;
          if (calls === 1) throw new PermanentJobError('model endpoint misconfigured');
          return 'commented';
        },
      });
      const spec: JobSpec = { id: 'triage:acme/shop:7:9f8e', name: 'triage', group: 'acme/shop', data: { issue: 7 } };
      const failed = nextEvent(queue, (event) => event.type === 'failed');
      await queue.add(spec);
      await failed;
      expect(await queue.failed()).toHaveLength(1);
      const completed = nextEvent(queue, (event) => event.type === 'completed');
      expect(await queue.add(spec)).toEqual({ added: true });
      await completed;
      expect(calls).toBe(2);
      expect(await queue.failed()).toEqual([]);
    });

    test('serialized jobs of one group never overlap, while two groups run in parallel', async () => {
      const queue = (await storage()).open();
      const running = new Map<string, string>();
      const order: string[] = [];
      let sameGroupOverlap = false;
      let maxParallel = 0;
      const groupStarted = { 'acme/a': deferred<void>(), 'acme/b': deferred<void>() };
      const { settled } = recorder(queue, 3);
      await queue.process(
        {
          index: async (job) => {
            const group = job.group as 'acme/a' | 'acme/b';
            if ([...running.values()].includes(group)) sameGroupOverlap = true;
            running.set(job.id, group);
            maxParallel = Math.max(maxParallel, running.size);
            order.push(`start ${job.id}`);
            groupStarted[group].resolve();
            // Each job waits until the other repository has a job running: only parallel groups get past.
            const other = group === 'acme/a' ? 'acme/b' : 'acme/a';
            await within(groupStarted[other].promise, 10_000, `a job of ${other} to run beside ${job.id}`);
            await new Promise((resolve) => setTimeout(resolve, 20));
            running.delete(job.id);
            order.push(`end ${job.id}`);
          },
        },
        { concurrency: 2 },
      );
      await queue.add({ id: 'index:acme/a:1', name: 'index', group: 'acme/a', serialize: true, data: {} });
      await queue.add({ id: 'index:acme/a:2', name: 'index', group: 'acme/a', serialize: true, data: {} });
      await queue.add({ id: 'index:acme/b:1', name: 'index', group: 'acme/b', serialize: true, data: {} });
      await settled;
      expect(sameGroupOverlap).toBe(false);
      expect(maxParallel).toBe(2);
      const startOf = (id: string) => order.indexOf(`start ${id}`);
      const endOf = (id: string) => order.indexOf(`end ${id}`);
      const [first, second] = startOf('index:acme/a:1') < startOf('index:acme/a:2') ? ['index:acme/a:1', 'index:acme/a:2'] : ['index:acme/a:2', 'index:acme/a:1'];
      expect(startOf(second)).toBeGreaterThan(endOf(first));
      expect(await queue.counts()).toMatchObject({ completed: 3, failed: 0 });
    });

    test('jobs that are not serialized may run together within one group', async () => {
      const queue = (await storage()).open();
      let running = 0;
      const bothRunning = deferred<void>();
      const { settled } = recorder(queue, 2);
      await queue.process(
        {
          triage: async () => {
            running += 1;
            if (running === 2) bothRunning.resolve();
            await within(bothRunning.promise, 10_000, 'two triage jobs of one repository to run together');
          },
        },
        { concurrency: 2 },
      );
      await queue.add({ id: 'triage:acme/shop:1:a', name: 'triage', group: 'acme/shop', data: {} });
      await queue.add({ id: 'triage:acme/shop:2:b', name: 'triage', group: 'acme/shop', data: {} });
      await settled;
      expect(await queue.counts()).toMatchObject({ completed: 2, failed: 0 });
    });

    test('close waits for the active job to finish and its result is kept', async () => {
      const store = await storage();
      const queue = store.open();
      const started = deferred<void>();
      const release = deferred<void>();
      let closed = false;
      let closedBeforeJobFinished: boolean | undefined;
      await queue.process({
        triage: async () => {
          started.resolve();
          await release.promise;
          closedBeforeJobFinished = closed;
          return 'commented';
        },
      });
      await queue.add({ id: 'triage:acme/shop:7:9f8e', name: 'triage', group: 'acme/shop', data: { issue: 7 } });
      await within(started.promise, 10_000, 'the job to start');
      const closing = queue.close({ timeoutMs: 10_000 }).then(() => {
        closed = true;
      });
      // Give a close that does not wait the chance to resolve before the job ends.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBe(false);
      release.resolve();
      await closing;
      expect(closedBeforeJobFinished).toBe(false);
      await expect(queue.add({ id: 'triage:acme/shop:8:1', name: 'triage', data: {} })).rejects.toThrow(/closed/);
      const reopened = store.open();
      expect(await reopened.counts()).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0, delayed: 0 });
    });

    test('close gives up on a job that outlasts its timeout, aborts it, and the job runs again later', async () => {
      const store = await storage();
      const fastRecovery = { lockDurationMs: 500, stalledIntervalMs: 250 };
      const queue = store.open(fastRecovery);
      const started = deferred<AbortSignal>();
      await queue.process({
        index: async (_job, ctx) => {
          started.resolve(ctx.signal);
          await untilAborted(ctx.signal);
        },
      });
      await queue.add({ id: 'index:acme/shop:abc123', name: 'index', group: 'acme/shop', serialize: true, data: {} });
      const signal = await within(started.promise, 10_000, 'the job to start');
      const closeStarted = Date.now();
      await queue.close({ timeoutMs: 150 });
      expect(Date.now() - closeStarted).toBeGreaterThanOrEqual(140);
      expect(signal.aborted).toBe(true);

      const next = store.open(fastRecovery);
      const attempts: number[] = [];
      const completed = nextEvent(next, (event) => event.type === 'completed' && event.job.id === 'index:acme/shop:abc123');
      await next.process({
        index: async (_job, ctx) => {
          attempts.push(ctx.attempt);
        },
      });
      await completed;
      // An interrupted run is not a failed attempt.
      expect(attempts).toEqual([1]);
    });

    test('a job whose name has no handler fails with a message naming it', async () => {
      const queue = (await storage()).open();
      await queue.process({ index: async () => 'indexed' });
      const failed = nextEvent(queue, (event) => event.type === 'failed');
      await queue.add({ id: 'comment:acme/shop:7', name: 'comment', group: 'acme/shop', attempts: 1, data: {} });
      const event = await failed;
      expect(event.error?.message).toMatch(/No handler for job "comment"/);
    });

    test('jobs are checked before they are stored', async () => {
      const queue = (await storage()).open();
      await expect(queue.add({ id: '', name: 'index', data: {} })).rejects.toThrow(/non-empty id/);
      await expect(queue.add({ id: 'index:x', name: 'index', data: () => 1 })).rejects.toThrow(/JSON/);
      await expect(queue.add({ id: 'index:x', name: 'index', serialize: true, data: {} })).rejects.toThrow(/no group/);
      await expect(queue.add({ id: 'index:x', name: 'index', attempts: 0, data: {} })).rejects.toThrow(/attempts/);
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
    });
  });
});
