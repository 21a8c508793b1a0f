import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { BullmqQueue } from '../../src/jobs/bullmq-queue.ts';
import { createQueue } from '../../src/jobs/create-queue.ts';
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';
import { REDIS_URL, countKeys, deleteKeys, redisReachable, silentLog } from './fixtures/harness.ts';

const redisUp = await redisReachable(REDIS_URL);
if (!redisUp) console.warn(`Skipping the createQueue Redis test: no Redis answers at ${REDIS_URL}.`);

const dirs: string[] = [];
const queues: JobQueue[] = [];

afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close({ timeoutMs: 50 })));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

test('without REDIS_URL jobs go to the embedded queue under $SCOUT_DATA_DIR/jobs', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-data-'));
  dirs.push(dataDir);
  const queue = createQueue(parseEnv({ SCOUT_DATA_DIR: dataDir }), { log: silentLog });
  queues.push(queue);
  expect(queue).toBeInstanceOf(EmbeddedQueue);
  await queue.add({ id: 'index:acme/shop:abc123', name: 'index', group: 'acme/shop', serialize: true, data: {} });
  expect(await readdir(path.join(dataDir, 'jobs'))).toHaveLength(1);
});

test.skipIf(!redisUp)('with REDIS_URL jobs go to BullMQ under the given key prefix', async () => {
  const prefix = `scout-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const queue = createQueue(parseEnv({ REDIS_URL, SCOUT_DATA_DIR: os.tmpdir() }), { log: silentLog, prefix });
    queues.push(queue);
    expect(queue).toBeInstanceOf(BullmqQueue);
    expect(await queue.add({ id: 'index:acme/shop:abc123', name: 'index', group: 'acme/shop', data: {} })).toEqual({ added: true });
    expect(await queue.counts()).toMatchObject({ waiting: 1 });
    expect(await countKeys(REDIS_URL, prefix)).toBeGreaterThan(0);
  } finally {
    await Promise.all(queues.splice(0).map((queue) => queue.close({ timeoutMs: 50 })));
    await deleteKeys(REDIS_URL, prefix);
  }
});
