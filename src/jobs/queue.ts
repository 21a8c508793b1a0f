import { ConfigError, ScoutError } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * The background job queue: webhook handlers `add` jobs, workers `process` them.
 * Two implementations sit beside this file: `embedded-queue.ts` (durable files in the data dir,
 * one process) and `bullmq-queue.ts` (Redis, any number of `scout worker` processes).
 */

/** Job kinds the app enqueues today. Any other name is accepted, so a new kind needs no change here. */
export type KnownJobName = 'index' | 'triage' | 'sync';
// `string & {}` keeps editor completion for the known names while allowing any string.
export type JobName = KnownJobName | (string & {});

export interface JobSpec<TData = unknown> {
  /**
   * Deterministic dedup key, e.g. `index:acme/shop:3f2c1e0` or `triage:acme/shop:7:9f8e`.
   * A job whose id is waiting, delayed, active or completed recently is not added again.
   */
  id: string;
  name: JobName;
  /** Must survive `JSON.stringify`; handlers receive the JSON round-tripped copy. */
  data: TData;
  /** What the job belongs to; the repository (`owner/name`) for every job the app enqueues. */
  group?: string;
  /**
   * When true, this job never runs at the same time as another serialized job of the same group
   * (index jobs of one repository must not overlap). Jobs that are not serialized run freely.
   */
  serialize?: boolean;
  /** Overrides the queue's default number of attempts for this job. */
  attempts?: number;
}

export type AddResult = { added: true } | { added: false; reason: 'duplicate' };

/** What a handler receives. */
export interface QueuedJob<TData = unknown> {
  id: string;
  name: JobName;
  data: TData;
  group?: string;
  serialize: boolean;
}

export interface JobContext {
  /** Child logger carrying the job id, name and group. */
  log: Logger;
  /** Aborted when the queue closes before the job finished (the job will run again later). */
  signal: AbortSignal;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  maxAttempts: number;
}

/** Handlers get `data` as `unknown`: it crossed a process or a disk, so parse it before use. */
export type JobHandler = (job: QueuedJob, ctx: JobContext) => Promise<unknown>;
export type JobHandlers = Partial<Record<JobName, JobHandler>>;

export interface ProcessOptions {
  /** How many jobs this process runs at once. Default 1. */
  concurrency?: number;
}

export interface CloseOptions {
  /** How long to wait for active jobs before abandoning them to be resumed elsewhere or later. */
  timeoutMs?: number;
}

export interface JobCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
}

export interface JobError {
  name: string;
  message: string;
  stack?: string;
}

export interface FailedJob {
  id: string;
  name: JobName;
  group?: string;
  data: unknown;
  error: JobError;
  /** Attempts that ran and failed. */
  attempts: number;
  failedAt: Date;
}

export type JobEventType = 'active' | 'completed' | 'retrying' | 'failed';

/** Emitted by the process that ran the job, after the new state is stored. */
export interface JobEvent {
  type: JobEventType;
  job: { id: string; name: JobName; group?: string };
  attempt: number;
  error?: JobError;
}

export type JobEventListener = (event: JobEvent) => void;

export interface JobQueue {
  /** Enqueues a job unless one with the same id is pending, running, or completed recently. */
  add(job: JobSpec): Promise<AddResult>;
  /** Starts consuming jobs with these handlers. Call once per queue instance. */
  process(handlers: JobHandlers, options?: ProcessOptions): Promise<void>;
  /** Stops taking jobs, waits for active ones up to a timeout, and releases every resource. */
  close(options?: CloseOptions): Promise<void>;
  counts(): Promise<JobCounts>;
  /** Jobs that used up their attempts or failed permanently, newest first, kept for inspection. */
  failed(): Promise<FailedJob[]>;
  /** Listens to this process's job events; returns the function that stops listening. */
  subscribe(listener: JobEventListener): () => void;
}

/** Options both implementations share. */
export interface QueueOptions {
  /** Runs per job, the first included. Default 3. */
  attempts?: number;
  /** First retry delay; each further retry doubles it. Default 1000 ms. */
  backoffMs?: number;
  /** How long a completed job's id keeps blocking a re-add. Default 24 h. */
  completedRetentionMs?: number;
  /** How often a job may be interrupted (its worker died mid-run) before it fails. Default 2. */
  maxStalledCount?: number;
  /** Default for `close()`. Default 30 s. */
  closeTimeoutMs?: number;
  /** Which handler errors are not worth retrying. Default: `isPermanentError`. */
  isPermanent?: (error: unknown) => boolean;
  log?: Logger;
}

export const QUEUE_DEFAULTS = {
  attempts: 3,
  backoffMs: 1_000,
  completedRetentionMs: 24 * 60 * 60 * 1_000,
  maxStalledCount: 2,
  closeTimeoutMs: 30_000,
  concurrency: 1,
} as const;

/**
 * Thrown by a handler that knows retrying cannot help (bad input, a repository that is gone).
 * The job fails at once, with this message kept for inspection.
 */
export class PermanentJobError extends ScoutError {}

/** A bad config or an explicit `PermanentJobError` will fail the same way on every attempt. */
export function isPermanentError(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof PermanentJobError;
}

/** Delay before retry number `failedAttempts` (1 = after the first failure): base, 2×base, 4×base… */
export function backoffDelay(baseMs: number, failedAttempts: number): number {
  return Math.round(baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

export function toJobError(error: unknown): JobError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}

export interface NormalizedJob {
  id: string;
  name: JobName;
  data: unknown;
  group?: string;
  serialize: boolean;
  attempts: number;
}

/** Checks a job before it is stored; the data is JSON round-tripped so every handler sees the same shape. */
export function normalizeJob(job: JobSpec, defaultAttempts: number): NormalizedJob {
  if (typeof job.id !== 'string' || job.id.trim() === '') throw new TypeError('A job needs a non-empty id.');
  if (typeof job.name !== 'string' || job.name.trim() === '') throw new TypeError(`Job ${job.id} needs a name.`);
  if (job.group !== undefined && (typeof job.group !== 'string' || job.group === '')) {
    throw new TypeError(`Job ${job.id}: group must be a non-empty string when given.`);
  }
  if (job.serialize && job.group === undefined) {
    throw new TypeError(`Job ${job.id} asks to be serialized but has no group to serialize on.`);
  }
  const attempts = job.attempts ?? defaultAttempts;
  if (!Number.isInteger(attempts) || attempts < 1) throw new TypeError(`Job ${job.id}: attempts must be a whole number ≥ 1.`);
  const json = JSON.stringify(job.data ?? null);
  if (json === undefined) throw new TypeError(`Job ${job.id}: data must be JSON-serializable.`);
  return {
    id: job.id,
    name: job.name,
    data: JSON.parse(json) as unknown,
    group: job.group,
    serialize: job.serialize === true,
    attempts,
  };
}

/** Fans job events out to listeners; a listener that throws never disturbs the queue. */
export class JobEvents {
  private readonly listeners = new Set<JobEventListener>();

  constructor(private readonly log: Logger) {}

  subscribe(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.warn({ err: error, event: event.type, job: event.job.id }, 'job event listener threw');
      }
    }
  }
}
