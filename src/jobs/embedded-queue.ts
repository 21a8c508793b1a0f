import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { log as rootLog, type Logger } from '../log.ts';
import {
  JobEvents,
  QUEUE_DEFAULTS,
  backoffDelay,
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
  type JobName,
  type JobQueue,
  type JobSpec,
  type ProcessOptions,
  type QueueOptions,
} from './queue.ts';
import { isAlive } from '../store/lock.ts';

export interface EmbeddedQueueOptions extends QueueOptions {
  /** Where job files live, usually `$SCOUT_DATA_DIR/jobs`. One process owns a directory at a time. */
  dir: string;
}

type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';
const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

/** One job, as stored in `<dir>/<hash of id>.json`. */
interface JobRecord {
  version: 1;
  id: string;
  name: JobName;
  data: unknown;
  group?: string;
  serialize: boolean;
  state: JobState;
  /** Order of arrival; survives restarts so jobs keep their FIFO order. */
  seq: number;
  maxAttempts: number;
  /** Attempts that ran to an error. */
  attemptsMade: number;
  /** Runs cut short by the process exiting. */
  stalls: number;
  addedAt: number;
  /** When a delayed (backing-off) job may run again. */
  runAt?: number;
  startedAt?: number;
  finishedAt?: number;
  error?: JobError;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The default queue: in-process, no services, and durable. Every state change is written to one
 * JSON file per job (temp file + fsync + rename, so a crash leaves the old or the new record,
 * never half of one). A new instance on the same directory resumes waiting and delayed jobs and
 * re-runs jobs that were active when the previous process died.
 */
export class EmbeddedQueue implements JobQueue {
  private readonly dir: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly completedRetentionMs: number;
  private readonly maxStalledCount: number;
  private readonly closeTimeoutMs: number;
  private readonly isPermanent: (error: unknown) => boolean;
  private readonly log: Logger;
  private readonly events: JobEvents;

  private readonly records = new Map<string, JobRecord>();
  /** Added but not yet on disk: not runnable, so a job never starts before its record exists. */
  private readonly unpersisted = new Set<string>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly busyGroups = new Set<string>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly ready: Promise<void>;
  private nextSeq = 1;
  private handlers: JobHandlers | undefined;
  private processCalled = false;
  private concurrency: number = QUEUE_DEFAULTS.concurrency;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** Set when close gave up on active jobs: their late results must not touch the directory. */
  private abandoned = false;
  private ownerToken: string | undefined;
  /** Found on load; only the owner of the directory cleans them up (another process may be mid-write). */
  private readonly leftovers = { torn: [] as string[], corrupt: [] as string[] };

  constructor(options: EmbeddedQueueOptions) {
    this.dir = path.resolve(options.dir);
    this.attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
    this.backoffMs = options.backoffMs ?? QUEUE_DEFAULTS.backoffMs;
    this.completedRetentionMs = options.completedRetentionMs ?? QUEUE_DEFAULTS.completedRetentionMs;
    this.maxStalledCount = options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount;
    this.closeTimeoutMs = options.closeTimeoutMs ?? QUEUE_DEFAULTS.closeTimeoutMs;
    this.isPermanent = options.isPermanent ?? isPermanentError;
    this.log = (options.log ?? rootLog).child({ queue: 'embedded', dir: this.dir });
    this.events = new JobEvents(this.log);
    this.ready = this.load();
    // Methods await `ready` and see its error; this only keeps Node from calling it unhandled.
    this.ready.catch(() => undefined);
  }

  async add(spec: JobSpec): Promise<AddResult> {
    await this.ready;
    if (this.closing) throw new Error('The job queue is closed.');
    const job = normalizeJob(spec, this.attempts);
    const now = Date.now();
    const existing = this.records.get(job.id);
    if (existing && !this.isReplaceable(existing, now)) {
      this.log.debug({ job: job.id, state: existing.state }, 'duplicate job not added');
      return { added: false, reason: 'duplicate' };
    }
    const record: JobRecord = {
      version: 1,
      id: job.id,
      name: job.name,
      data: job.data,
      group: job.group,
      serialize: job.serialize,
      state: 'waiting',
      seq: this.nextSeq++,
      maxAttempts: job.attempts,
      attemptsMade: 0,
      stalls: 0,
      addedAt: now,
    };
    // Claim the id before the first await so a concurrent add of the same id sees it.
    this.records.delete(job.id); // re-insert so Map order follows arrival order
    this.records.set(job.id, record);
    this.unpersisted.add(job.id);
    try {
      await this.persist(record);
    } catch (error) {
      this.records.delete(job.id);
      if (existing) this.records.set(job.id, existing);
      throw error;
    } finally {
      this.unpersisted.delete(job.id);
    }
    this.log.info({ job: job.id, jobName: job.name, group: job.group, replaced: existing?.state }, 'job added');
    this.pump();
    return { added: true };
  }

  async process(handlers: JobHandlers, options: ProcessOptions = {}): Promise<void> {
    await this.ready;
    if (this.closing) throw new Error('The job queue is closed.');
    if (this.processCalled) throw new Error('process() was already called on this queue.');
    const concurrency = options.concurrency ?? QUEUE_DEFAULTS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('concurrency must be a whole number ≥ 1.');
    this.processCalled = true;
    try {
      await this.takeOwnership();
    } catch (error) {
      this.processCalled = false;
      throw error;
    }
    if (this.closing) {
      // close() ran while we took the directory: give it back.
      await this.releaseOwnership();
      throw new Error('The job queue is closed.');
    }
    await this.recoverInterrupted();
    this.handlers = handlers;
    this.concurrency = concurrency;
    this.log.info({ concurrency, names: Object.keys(handlers) }, 'processing jobs');
    this.pump();
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs ?? this.closeTimeoutMs);
    return this.closing;
  }

  async counts(): Promise<JobCounts> {
    await this.ready;
    this.prune();
    const now = Date.now();
    const counts: JobCounts = { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 };
    for (const record of this.records.values()) {
      if (record.state === 'completed' && this.isReplaceable(record, now)) continue; // past retention
      counts[record.state] += 1;
    }
    return counts;
  }

  async failed(): Promise<FailedJob[]> {
    await this.ready;
    return [...this.records.values()]
      .filter((record) => record.state === 'failed')
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))
      .map((record) => ({
        id: record.id,
        name: record.name,
        group: record.group,
        data: record.data,
        error: record.error ?? { name: 'Error', message: 'unknown error' },
        attempts: record.attemptsMade,
        failedAt: new Date(record.finishedAt ?? record.addedAt),
      }));
  }

  subscribe(listener: JobEventListener): () => void {
    return this.events.subscribe(listener);
  }

  /** A failed job, or one completed longer ago than the retention, may be enqueued again. */
  private isReplaceable(record: JobRecord, now: number): boolean {
    if (record.state === 'failed') return true;
    if (record.state === 'completed') return now - (record.finishedAt ?? 0) >= this.completedRetentionMs;
    return false;
  }

  /** Starts as many runnable jobs as the concurrency allows, then sleeps until the next delayed one is due. */
  private pump(): void {
    if (!this.handlers || this.closing) return;
    const now = Date.now();
    while (this.active.size < this.concurrency) {
      const next = this.nextRunnable(now);
      if (!next) break;
      this.start(next);
    }
    this.scheduleWake(now);
  }

  private nextRunnable(now: number): JobRecord | undefined {
    let best: JobRecord | undefined;
    for (const record of this.records.values()) {
      const due = record.state === 'waiting' || (record.state === 'delayed' && (record.runAt ?? 0) <= now);
      if (!due || this.unpersisted.has(record.id)) continue;
      if (record.serialize && record.group !== undefined && this.busyGroups.has(record.group)) continue;
      if (!best || record.seq < best.seq) best = record;
    }
    return best;
  }

  private scheduleWake(now: number): void {
    let earliest = Infinity;
    for (const record of this.records.values()) {
      if (record.state === 'delayed' && record.runAt !== undefined && record.runAt > now) earliest = Math.min(earliest, record.runAt);
    }
    if (earliest === this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = earliest;
    if (earliest === Infinity) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, earliest - now);
  }

  private start(record: JobRecord): void {
    record.state = 'active';
    record.startedAt = Date.now();
    record.runAt = undefined;
    if (record.serialize && record.group !== undefined) this.busyGroups.add(record.group);
    const controller = new AbortController();
    const run: ActiveRun = { controller, done: Promise.resolve() };
    this.active.set(record.id, run);
    run.done = this.run(record, controller.signal)
      .catch((error: unknown) => {
        // The job file could not be written (disk full, permissions). Keep the job in memory and
        // try again later rather than leaving it marked active forever.
        this.log.error({ err: error, job: record.id }, 'could not store the job state; will try again');
        if (record.state === 'active' && !this.abandoned) {
          record.state = 'delayed';
          record.runAt = Date.now() + this.backoffMs;
        }
      })
      .finally(() => {
        this.active.delete(record.id);
        if (record.serialize && record.group !== undefined) this.busyGroups.delete(record.group);
        this.pump();
      });
  }

  private async run(record: JobRecord, signal: AbortSignal): Promise<void> {
    const attempt = record.attemptsMade + 1;
    const jobLog = this.log.child({ job: record.id, jobName: record.name, group: record.group, attempt });
    const summary = { id: record.id, name: record.name, group: record.group };
    // The active state must be on disk before any side effect, so a crash re-runs the job.
    await this.persist(record);
    this.events.emit({ type: 'active', job: summary, attempt });
    jobLog.info('job started');
    const started = Date.now();
    try {
      const handler = this.handlers?.[record.name];
      if (!handler) throw new Error(`No handler for job "${record.name}" in this process.`);
      await handler(
        { id: record.id, name: record.name, data: record.data, group: record.group, serialize: record.serialize },
        { log: jobLog, signal, attempt, maxAttempts: record.maxAttempts },
      );
    } catch (error) {
      if (this.abandoned) return;
      record.attemptsMade = attempt;
      record.error = toJobError(error);
      const permanent = this.isPermanent(error);
      if (permanent || attempt >= record.maxAttempts) {
        record.state = 'failed';
        record.finishedAt = Date.now();
        await this.persist(record);
        jobLog.error({ err: error, permanent, ms: Date.now() - started }, 'job failed');
        this.events.emit({ type: 'failed', job: summary, attempt, error: record.error });
      } else {
        const delayMs = backoffDelay(this.backoffMs, attempt);
        record.state = 'delayed';
        record.runAt = Date.now() + delayMs;
        await this.persist(record);
        jobLog.warn({ err: error, retryInMs: delayMs }, 'job failed; will retry');
        this.events.emit({ type: 'retrying', job: summary, attempt, error: record.error });
      }
      return;
    }
    if (this.abandoned) return;
    record.state = 'completed';
    record.finishedAt = Date.now();
    record.error = undefined;
    await this.persist(record);
    jobLog.info({ ms: record.finishedAt - started }, 'job completed');
    this.events.emit({ type: 'completed', job: summary, attempt });
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    await this.ready.catch(() => undefined);
    clearTimeout(this.wakeTimer);
    clearInterval(this.pruneTimer);
    const runs = [...this.active.values()];
    if (runs.length > 0) {
      this.log.info({ active: [...this.active.keys()], timeoutMs }, 'closing: waiting for active jobs');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const finished = await Promise.race([Promise.all(runs.map((run) => run.done)).then(() => false as const), timedOut]);
      clearTimeout(timer);
      if (finished === true) {
        // Left "active" on disk: the next instance on this directory runs them again.
        this.abandoned = true;
        this.log.warn({ active: [...this.active.keys()] }, 'closing: active jobs did not finish in time; they will run again on restart');
        for (const run of this.active.values()) run.controller.abort(new Error('job queue closed'));
      }
    }
    await Promise.allSettled([...this.writes.values()]);
    if (this.ownerToken) await this.releaseOwnership();
  }

  /**
   * Jobs stored as active belonged to the previous owner of the directory, which exited mid-job:
   * they run again, unless they keep taking their process down. Only the owner does this, so an
   * instance that merely enqueues never touches jobs another process is running.
   */
  private async recoverInterrupted(): Promise<void> {
    // A temp file is a write cut short by a crash; the record it was replacing is still in place.
    await Promise.all(this.leftovers.torn.map((file) => rm(file, { force: true })));
    for (const file of this.leftovers.corrupt) {
      this.log.warn({ file }, 'unreadable job file set aside as .corrupt');
      await rename(file, `${file}.corrupt`).catch(() => undefined);
    }
    const resumed: string[] = [];
    for (const record of this.records.values()) {
      if (record.state !== 'active' || this.active.has(record.id)) continue;
      record.stalls += 1;
      if (record.stalls > this.maxStalledCount) {
        record.state = 'failed';
        record.finishedAt = Date.now();
        record.error = {
          name: 'StalledJobError',
          message: `The job was interrupted ${record.stalls} times (its process exited mid-run); giving up.`,
        };
        this.log.error({ job: record.id, stalls: record.stalls }, 'interrupted job failed: stalled too often');
      } else {
        record.state = 'waiting';
        resumed.push(record.id);
      }
      await this.persist(record);
    }
    if (resumed.length > 0) this.log.warn({ jobs: resumed }, 'resuming jobs interrupted by the previous process');
    this.prune();
  }

  /**
   * Only one process may run the jobs of a directory, or both would run every job. The owner file
   * names the process; one left by a process of this host that no longer runs is taken over.
   */
  private async takeOwnership(): Promise<void> {
    const file = path.join(this.dir, OWNER_FILE);
    const owner: Owner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(file, 'wx');
        try {
          await handle.writeFile(JSON.stringify(owner));
          await handle.sync();
        } finally {
          await handle.close();
        }
        this.ownerToken = owner.token;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let holder: Owner | undefined;
      try {
        holder = JSON.parse(await readFile(file, 'utf8')) as Owner;
      } catch {
        holder = undefined; // half-written by a process that died
      }
      // An earlier instance in this same process (closed or abandoned) does not block a new one.
      const stale = !holder || (holder.host === owner.host && (holder.pid === process.pid || !isAlive(holder.pid)));
      if (!stale) {
        throw new ConfigError(
          `Another process (pid ${holder?.pid} on ${holder?.host}, since ${holder?.since}) is running the jobs in ${this.dir}. ` +
            'The embedded queue runs in one process; set REDIS_URL to run several workers.',
        );
      }
      this.log.warn({ holder }, 'taking over the job directory from a process that is gone');
      await rm(file, { force: true });
    }
    throw new ConfigError(`Could not take ownership of ${this.dir}; delete ${path.join(this.dir, OWNER_FILE)} if no scout process runs.`);
  }

  private async releaseOwnership(): Promise<void> {
    const file = path.join(this.dir, OWNER_FILE);
    try {
      const holder = JSON.parse(await readFile(file, 'utf8')) as Owner;
      if (holder.token === this.ownerToken) await rm(file, { force: true });
    } catch {
      // Already gone or replaced: nothing of ours to release.
    }
  }

  /** Writes one record atomically. Writes of one job are chained so an older state never lands last. */
  private persist(record: JobRecord): Promise<void> {
    const file = this.fileFor(record.id);
    const body = `${JSON.stringify(record)}\n`;
    return this.chain(file, async () => {
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    });
  }

  private remove(id: string): Promise<void> {
    const file = this.fileFor(id);
    return this.chain(file, () => rm(file, { force: true }));
  }

  private chain(file: string, write: () => Promise<void>): Promise<void> {
    const previous = this.writes.get(file) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(write);
    this.writes.set(file, next);
    const forget = () => {
      if (this.writes.get(file) === next) this.writes.delete(file);
    };
    next.then(forget, forget);
    return next;
  }

  private fileFor(id: string): string {
    // Ids hold slashes and colons; a hash makes a safe, fixed-length file name.
    return path.join(this.dir, `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.json`);
  }

  /** Forgets completed jobs past the retention: their ids may be enqueued again. */
  private prune(): void {
    // Files belong to the owner; an instance that only enqueues leaves them (and its memory) alone.
    if (!this.ownerToken) return;
    const now = Date.now();
    for (const record of [...this.records.values()]) {
      if (record.state === 'completed' && this.isReplaceable(record, now)) {
        this.records.delete(record.id);
        this.remove(record.id).catch((error: unknown) => this.log.warn({ err: error, job: record.id }, 'could not prune a completed job'));
      }
    }
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const loaded: JobRecord[] = [];
    for (const entry of await readdir(this.dir)) {
      const file = path.join(this.dir, entry);
      if (entry.endsWith('.tmp')) {
        this.leftovers.torn.push(file);
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      try {
        loaded.push(parseRecord(await readFile(file, 'utf8')));
      } catch (error) {
        this.log.warn({ err: error, file }, 'unreadable job file skipped');
        this.leftovers.corrupt.push(file);
      }
    }
    loaded.sort((a, b) => a.seq - b.seq);
    for (const record of loaded) {
      this.records.set(record.id, record);
      this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
    }
    // Completed records only matter for dedup; sweep them now and then even when the queue is idle.
    const every = Math.min(this.completedRetentionMs, 10 * 60 * 1_000);
    this.pruneTimer = setInterval(() => this.prune(), every);
    this.pruneTimer.unref();
    const pending = loaded.filter((record) => record.state !== 'completed' && record.state !== 'failed').length;
    this.log.debug({ jobs: loaded.length, pending }, 'job queue loaded');
  }
}

const OWNER_FILE = 'owner.lock';

interface Owner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

function parseRecord(text: string): JobRecord {
  const value = JSON.parse(text) as Partial<JobRecord>;
  if (
    value.version !== 1 ||
    typeof value.id !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.seq !== 'number' ||
    !STATES.includes(value.state as JobState)
  ) {
    throw new Error('not a job record');
  }
  return {
    ...value,
    serialize: value.serialize === true,
    maxAttempts: value.maxAttempts ?? QUEUE_DEFAULTS.attempts,
    attemptsMade: value.attemptsMade ?? 0,
    stalls: value.stalls ?? 0,
    addedAt: value.addedAt ?? 0,
  } as JobRecord;
}
