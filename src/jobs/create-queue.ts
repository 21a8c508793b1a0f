import path from 'node:path';
import type { Env } from '../config/env.ts';
import { BullmqQueue, type BullmqQueueOptions } from './bullmq-queue.ts';
import { EmbeddedQueue } from './embedded-queue.ts';
import type { JobQueue, QueueOptions } from './queue.ts';

export type CreateQueueOptions = QueueOptions &
  Pick<BullmqQueueOptions, 'prefix' | 'queueName' | 'lockDurationMs' | 'stalledIntervalMs' | 'groupRetryMs'>;

/**
 * The queue the environment asks for: BullMQ on Redis when `REDIS_URL` is set (workers on other
 * machines can share it), otherwise the embedded queue under `$SCOUT_DATA_DIR/jobs`.
 */
export function createQueue(env: Pick<Env, 'redisUrl' | 'dataDir'>, options: CreateQueueOptions = {}): JobQueue {
  if (env.redisUrl) return new BullmqQueue({ ...options, url: env.redisUrl });
  return new EmbeddedQueue({ ...options, dir: path.join(env.dataDir, 'jobs') });
}
