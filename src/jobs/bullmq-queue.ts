import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { log as rootLog, type Logger } from '../log.ts';
import {
  JobEvents,
  QUEUE_DEFAULTS,
  isPermanentError,
  normalizeJob,
  toJobError,
  type AddResult,
  type CloseOptions,
  type FailedJob,
  type JobCounts,
  type JobError,
  type JobEventListener,
  type JobHandlers,
  type JobQueue,
  type JobSpec,
  type ProcessOptions,
  type QueueOptions,
} from './queue.ts';
import { errorMessage } from '../errors.ts';

export interface BullmqQueueOptions extends QueueOptions {
  /** `redis://…`; the connection uses `maxRetriesPerRequest: null` as BullMQ workers require. */
  url: string;
  /** Prefix of every Redis key this queue (and its group locks) uses. Default `scout`. */
  prefix?: string;
  /** BullMQ queue name under the prefix. Default `jobs`. */
  queueName?: string;
  /**
   * How long a worker's claim on a job (and on its group) lasts without renewal. A worker that dies
   * mid-job loses both after this long; another worker then picks the job up. Default 30 s.
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died. Default 30 s. */
  stalledIntervalMs?: number;
  /** How long a serialized job whose group is busy waits before it is tried again. Default 2 s. */
  groupRetryMs?: number;
}

/** What we store as the BullMQ job's data. */
interface Envelope {
  /** Our id; the BullMQ job id is its encoded form. */
  id: string;
  group?: string;
  serialize: boolean;
  data: unknown;
  /** Unique per `add` call: tells whether the stored job is ours or an earlier one with this id. */
  addToken: string;
}

/**
 * BullMQ rejects custom ids that contain ':' (its key separator; only a legacy three-part form
 * passes), that look like integers, or that are '0'. Ours have colons (`index:acme/shop:3f2c`), so
 * '%' and ':' are percent-escaped, and an id that would still read as an integer gets a '#'.
 */
export function toBullJobId(id: string): string {
  const escaped = id.replace(/%/g, '%25').replace(/:/g, '%3A');
  return `${Number.parseInt(escaped, 10)}` === escaped ? `#${escaped}` : escaped;
}

const RENEW_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The queue on Redis, for more than one machine: the app enqueues, `scout worker` processes anywhere
 * call `process`. BullMQ dedups by job id and retries with exponential backoff; failed jobs are
 * kept; completed ones are kept for the retention so their ids keep blocking re-adds.
 *
 * Serialized jobs take a Redis lock on their group before the handler runs; a job whose group is
 * busy goes back to the delayed set and is tried again after `groupRetryMs`. The group lock expires
 * with the same duration as BullMQ's job lock, so a dead worker blocks its group only until its
 * job is detected as stalled and handed to another worker.
 */
export class BullmqQueue implements JobQueue {
  readonly prefix: string;
  readonly queueName: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly completedRetentionMs: number;
  private readonly maxStalledCount: number;
  private readonly closeTimeoutMs: number;
  private readonly lockDurationMs: number;
  private readonly stalledIntervalMs: number;
  private readonly groupRetryMs: number;
  private readonly isPermanent: (error: unknown) => boolean;
  private readonly log: Logger;
  private readonly events: JobEvents;
  private readonly redis: Redis;
  private readonly queue: Queue<Envelope>;
  private readonly workerId = randomUUID();
  private readonly running = new Map<string, Running>();
  /** The attempt number each job instance is running, for the events emitted after it settles. */
  private readonly attemptOf = new WeakMap<Job, number>();
  private worker: Worker<Envelope> | undefined;
  private stopping = false;
  private closing: Promise<void> | undefined;

  constructor(options: BullmqQueueOptions) {
    this.prefix = options.prefix ?? 'scout';
    this.queueName = options.queueName ?? 'jobs';
    this.attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
    this.backoffMs = options.backoffMs ?? QUEUE_DEFAULTS.backoffMs;
    this.completedRetentionMs = options.completedRetentionMs ?? QUEUE_DEFAULTS.completedRetentionMs;
    this.maxStalledCount = options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount;
    this.closeTimeoutMs = options.closeTimeoutMs ?? QUEUE_DEFAULTS.closeTimeoutMs;
    this.lockDurationMs = options.lockDurationMs ?? 30_000;
    this.stalledIntervalMs = options.stalledIntervalMs ?? 30_000;
    this.groupRetryMs = options.groupRetryMs ?? 2_000;
    this.isPermanent = options.isPermanent ?? isPermanentError;
    this.log = (options.log ?? rootLog).child({ queue: 'bullmq', prefix: this.prefix, queueName: this.queueName });
    this.events = new JobEvents(this.log);
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null });
    // Without a listener ioredis prints every reconnect error as unhandled; it reconnects by itself.
    this.redis.on('error', (error: unknown) => this.log.warn({ err: error }, 'redis connection error'));
    this.queue = new Queue<Envelope>(this.queueName, { connection: this.redis, prefix: this.prefix });
    this.queue.on('error', (error: unknown) => this.log.error({ err: error }, 'queue error'));
  }

  async add(spec: JobSpec): Promise<AddResult> {
    if (this.closing) throw new Error('The job queue is closed.');
    const job = normalizeJob(spec, this.attempts);
    const jobId = toBullJobId(job.id);
    // Second round only after removing a failed or expired job that held the id.
    for (let round = 0; round < 2; round += 1) {
      const envelope: Envelope = { id: job.id, group: job.group, serialize: job.serialize, data: job.data, addToken: randomUUID() };
      await this.queue.add(job.name, envelope, {
        jobId,
        attempts: job.attempts,
        backoff: { type: 'exponential', delay: this.backoffMs },
        // Kept so the id keeps deduplicating; evicted lazily, `isReplaceable` enforces the age exactly.
        removeOnComplete: { age: Math.ceil(this.completedRetentionMs / 1_000) },
        removeOnFail: false,
      });
      // BullMQ silently keeps the existing job when the id is taken; reading it back tells which one won.
      const stored = await this.queue.getJob(jobId);
      if (stored?.data.addToken === envelope.addToken) {
        this.log.info({ job: job.id, jobName: job.name, group: job.group, replaced: round > 0 }, 'job added');
        return { added: true };
      }
      if (!stored || round > 0 || !(await this.isReplaceable(stored))) break;
      try {
        await stored.remove();
      } catch (error) {
        // Someone else re-added or retried it meanwhile: theirs stands.
        this.log.debug({ err: error, job: job.id }, 'could not replace the previous job with this id');
        break;
      }
    }
    this.log.debug({ job: job.id }, 'duplicate job not added');
    return { added: false, reason: 'duplicate' };
  }

  async process(handlers: JobHandlers, options: ProcessOptions = {}): Promise<void> {
    if (this.closing) throw new Error('The job queue is closed.');
    if (this.worker) throw new Error('process() was already called on this queue.');
    const concurrency = options.concurrency ?? QUEUE_DEFAULTS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('concurrency must be a whole number ≥ 1.');
    const worker = new Worker<Envelope>(
      this.queueName,
      (job: Job<Envelope>, token?: string, signal?: AbortSignal) => this.runJob(handlers, job, token, signal),
      {
        connection: this.redis,
        prefix: this.prefix,
        concurrency,
        lockDuration: this.lockDurationMs,
        stalledInterval: this.stalledIntervalMs,
        maxStalledCount: this.maxStalledCount,
      },
    );
    this.worker = worker;
    worker.on('error', (error) => this.log.error({ err: error }, 'worker error'));
    worker.on('stalled', (jobId) => this.log.warn({ bullJobId: jobId }, 'job stalled (its worker stopped renewing the lock); it will run again'));
    worker.on('completed', (job) => {
      this.events.emit({ type: 'completed', job: summaryOf(job), attempt: this.attemptOf.get(job) ?? job.attemptsMade });
    });
    worker.on('failed', (job, error) => {
      if (!job) return;
      // BullMQ emits `failed` for every failed attempt; `finishedOn` is set only when it gives up.
      const type = job.finishedOn ? 'failed' : 'retrying';
      this.events.emit({ type, job: summaryOf(job), attempt: this.attemptOf.get(job) ?? job.attemptsMade, error: errorOf(error) });
    });
    await worker.waitUntilReady();
    this.log.info({ concurrency, names: Object.keys(handlers) }, 'processing jobs');
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs ?? this.closeTimeoutMs);
    return this.closing;
  }

  async counts(): Promise<JobCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
    };
  }

  async failed(): Promise<FailedJob[]> {
    const jobs = await this.queue.getFailed(0, -1);
    return jobs
      .map((job) => ({
        id: job.data.id,
        name: job.name,
        group: job.data.group,
        data: job.data.data,
        error: storedError(job),
        attempts: job.attemptsMade,
        failedAt: new Date(job.finishedOn ?? job.timestamp),
      }))
      .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime());
  }

  subscribe(listener: JobEventListener): () => void {
    return this.events.subscribe(listener);
  }

  /** A failed job, or one completed longer ago than the retention, gives up its id to a new add. */
  private async isReplaceable(job: Job<Envelope>): Promise<boolean> {
    const state = await job.getState();
    if (state === 'failed') return true;
    if (state === 'completed') return Date.now() - (job.finishedOn ?? 0) >= this.completedRetentionMs;
    return false;
  }

  private async runJob(handlers: JobHandlers, job: Job<Envelope>, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<unknown> {
    const envelope = job.data;
    const attempt = job.attemptsMade + 1;
    const jobLog = this.log.child({ job: envelope.id, jobName: job.name, group: envelope.group, attempt });
    if (this.stopping) {
      // Fetched while closing: hand it straight back for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    let releaseGroup: (() => Promise<void>) | undefined;
    if (envelope.serialize && envelope.group !== undefined) {
      releaseGroup = await this.lockGroup(envelope.group, `${this.workerId}:${job.id}:${token ?? ''}`, jobLog);
      if (!releaseGroup) {
        jobLog.debug({ retryInMs: this.groupRetryMs }, 'group busy; job delayed');
        // moveToDelayed from inside a processor needs the lock token and DelayedError; it does not use an attempt.
        await job.moveToDelayed(Date.now() + this.groupRetryMs, token);
        throw new DelayedError();
      }
    }
    const controller = new AbortController();
    let finish = () => {};
    const running: Running = { controller, done: new Promise<void>((resolve) => (finish = resolve)) };
    const key = job.id ?? envelope.id;
    this.running.set(key, running);
    this.attemptOf.set(job, attempt);
    const started = Date.now();
    try {
      const handler = handlers[job.name];
      if (!handler) throw new Error(`No handler for job "${job.name}" in this process.`);
      this.events.emit({ type: 'active', job: summaryOf(job), attempt });
      jobLog.info('job started');
      const signal = bullSignal ? AbortSignal.any([controller.signal, bullSignal]) : controller.signal;
      const result = await handler(
        { id: envelope.id, name: job.name, data: envelope.data, group: envelope.group, serialize: envelope.serialize },
        { log: jobLog, signal, attempt, maxAttempts: job.opts.attempts ?? 1 },
      );
      jobLog.info({ ms: Date.now() - started }, 'job completed');
      return result;
    } catch (error) {
      const permanent = this.isPermanent(error);
      const last = permanent || attempt >= (job.opts.attempts ?? 1);
      jobLog[last ? 'error' : 'warn']({ err: error, permanent, ms: Date.now() - started }, last ? 'job failed' : 'job failed; will retry');
      if (!permanent) throw error;
      // BullMQ skips the remaining attempts only for an UnrecoverableError; keep the original
      // name and stack in the stored stack trace.
      const unrecoverable = new UnrecoverableError(errorMessage(error));
      if (error instanceof Error && error.stack) unrecoverable.stack = error.stack;
      throw unrecoverable;
    } finally {
      await releaseGroup?.();
      this.running.delete(key);
      finish();
    }
  }

  /** Takes the group's lock and keeps it alive while the job runs; undefined when another job holds it. */
  private async lockGroup(group: string, owner: string, jobLog: Logger): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.prefix}:${this.queueName}:group-lock:${group}`;
    const taken = await this.redis.set(key, owner, 'PX', this.lockDurationMs, 'NX');
    if (taken !== 'OK') return undefined;
    const renew = setInterval(() => {
      this.redis
        .eval(RENEW_IF_OWNER, 1, key, owner, this.lockDurationMs)
        .then((renewed) => {
          if (renewed !== 1) jobLog.warn({ group }, 'lost the group lock (the event loop stalled?); another job of this group may start');
        })
        .catch((error: unknown) => jobLog.warn({ err: error, group }, 'could not renew the group lock'));
    }, Math.max(10, Math.floor(this.lockDurationMs / 2)));
    return async () => {
      clearInterval(renew);
      try {
        await this.redis.eval(RELEASE_IF_OWNER, 1, key, owner);
      } catch (error) {
        // It expires on its own after lockDurationMs.
        jobLog.warn({ err: error, group }, 'could not release the group lock');
      }
    };
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (worker) {
      // Stop fetching but let active jobs run; then wait for them, up to the timeout.
      await worker.pause(true);
      const runs = [...this.running.values()];
      let finished = true;
      if (runs.length > 0) {
        this.log.info({ active: [...this.running.keys()], timeoutMs }, 'closing: waiting for active jobs');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        finished = await Promise.race([Promise.all(runs.map((run) => run.done)).then(() => true), timedOut]);
        clearTimeout(timer);
        if (!finished) {
          // Their locks lapse and another worker's stalled check runs them again.
          this.log.warn({ active: [...this.running.keys()] }, 'closing: active jobs did not finish in time; another worker will retry them');
          for (const run of this.running.values()) run.controller.abort(new Error('job queue closed'));
        }
      }
      await worker.close(!finished);
    }
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function summaryOf(job: Job<Envelope>): { id: string; name: string; group?: string } {
  return { id: job.data.id, name: job.name, group: job.data.group };
}

/** A permanent error travels as BullMQ's UnrecoverableError carrying the original stack: report the original. */
function errorOf(error: Error): JobError {
  const reported = toJobError(error);
  return { ...reported, name: nameFromStack(reported.stack) ?? reported.name };
}

function nameFromStack(stack: string | undefined): string | undefined {
  return stack?.match(/^([A-Za-z_$][\w$]*)(?::|\n|$)/)?.[1];
}

/** BullMQ keeps the message and stack traces; the error's name is the first word of the last trace. */
function storedError(job: Job<Envelope>): JobError {
  const stack = job.stacktrace?.at(-1) ?? undefined;
  return { name: nameFromStack(stack) ?? 'Error', message: job.failedReason ?? '', stack };
}
