import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * The environment, parsed once. Nothing else in `src/` reads `process.env`.
 * Every variable here is documented in `.env.example`.
 */
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const wholeNumber = (fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min) {
        ctx.addIssue({ code: 'custom', message: `must be a ${min > 0 ? 'positive' : 'non-negative'} whole number, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });
const positiveInt = (fallback: number) => wholeNumber(fallback, 1);

const flag = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return false;
    const normalised = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
    if (['0', 'false', 'no', 'off'].includes(normalised)) return false;
    ctx.addIssue({ code: 'custom', message: `must be 1/0, true/false, yes/no or on/off, got "${value}"` });
    return z.NEVER;
  });

const url = (what: string) =>
  optionalString.refine((value) => value === undefined || URL.canParse(value), {
    message: `must be a URL (${what})`,
  });

const envSchema = z.object({
  // Probot's own settings.
  APP_ID: optionalString,
  PRIVATE_KEY: optionalString,
  PRIVATE_KEY_PATH: optionalString,
  WEBHOOK_SECRET: optionalString,
  PORT: positiveInt(3000),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .optional()
    .default('info'),
  GHE_HOST: optionalString,
  GHE_PROTOCOL: z.enum(['http', 'https']).optional().default('https'),
  // repo-scout.
  SCOUT_DATA_DIR: optionalString,
  LANCEDB_URI: optionalString,
  REDIS_URL: url('e.g. redis://127.0.0.1:6379'),
  SCOUT_DRY_RUN: flag,
  SCOUT_QUEUE_PREFIX: optionalString,
  SCOUT_WORKERS: wholeNumber(2, 0),
  SCOUT_JOB_LOCK_MS: positiveInt(30_000),
  SCOUT_RUN_TOKEN_BUDGET: positiveInt(60_000),
  SCOUT_MAX_FILES: positiveInt(50_000),
  SCOUT_MAX_FILE_BYTES: positiveInt(1_000_000),
  SCOUT_MAX_TOTAL_BYTES: positiveInt(500_000_000),
  SCOUT_HISTORY_COMMITS: positiveInt(5_000),
  SCOUT_QUESTION_TOKEN_BUDGET: positiveInt(200_000),
  SCOUT_MODEL_TIMEOUT_MS: positiveInt(60_000),
  // Any OpenAI-compatible endpoint; no key and no base URL means offline.
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url('e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1'),
  SCOUT_FAST_MODEL: optionalString,
  SCOUT_STRONG_MODEL: optionalString,
  SCOUT_EMBEDDING_MODEL: optionalString,
});

export interface Env {
  appId?: string;
  privateKey?: string;
  privateKeyPath?: string;
  webhookSecret?: string;
  port: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  gheHost?: string;
  gheProtocol: 'http' | 'https';
  dataDir: string;
  lancedbUri: string;
  redisUrl?: string;
  /** Key prefix of the BullMQ queue in Redis (default `scout`): separates deployments sharing one Redis. */
  queuePrefix: string;
  /** Jobs `npm start` runs at once in-process (0: receive webhooks only; workers run elsewhere). */
  workers: number;
  /** How long a running job's lock lasts: a job whose worker died is taken over after this. */
  jobLockMs: number;
  /** Model tokens one triage run may spend across its stages. */
  runTokenBudget: number;
  dryRun: boolean;
  limits: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number };
  historyCommits: number;
  questionTokenBudget: number;
  /** Set when a chat model is usable: an endpoint or key, and at least one model name. */
  model?: {
    apiKey: string;
    baseUrl?: string;
    fastModel?: string;
    strongModel?: string;
    embeddingModel?: string;
    timeoutMs: number;
  };
}

/** Parses an environment; throws a `ConfigError` naming every bad variable and what it should hold. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${problems.join('\n')}\nFix these variables (see .env.example).`);
  }
  const e = result.data;
  const dataDir = path.resolve(e.SCOUT_DATA_DIR ?? '.scout');
  const anyModel = e.SCOUT_FAST_MODEL ?? e.SCOUT_STRONG_MODEL ?? e.SCOUT_EMBEDDING_MODEL;
  const endpoint = e.OPENAI_API_KEY ?? e.OPENAI_BASE_URL;
  if (endpoint && !anyModel) {
    throw new ConfigError(
      'OPENAI_API_KEY or OPENAI_BASE_URL is set but no model is: set SCOUT_FAST_MODEL, SCOUT_STRONG_MODEL and/or SCOUT_EMBEDDING_MODEL, or unset them to run offline.',
    );
  }
  if (anyModel && !endpoint) {
    throw new ConfigError(
      'A SCOUT_*_MODEL is set but neither OPENAI_API_KEY nor OPENAI_BASE_URL is: set the endpoint, or unset the model names to run offline.',
    );
  }
  return {
    appId: e.APP_ID,
    privateKey: e.PRIVATE_KEY,
    privateKeyPath: e.PRIVATE_KEY_PATH,
    webhookSecret: e.WEBHOOK_SECRET,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    gheHost: e.GHE_HOST,
    gheProtocol: e.GHE_PROTOCOL,
    dataDir,
    lancedbUri: e.LANCEDB_URI ?? path.join(dataDir, 'lancedb'),
    redisUrl: e.REDIS_URL,
    queuePrefix: e.SCOUT_QUEUE_PREFIX ?? 'scout',
    workers: e.SCOUT_WORKERS,
    jobLockMs: e.SCOUT_JOB_LOCK_MS,
    runTokenBudget: e.SCOUT_RUN_TOKEN_BUDGET,
    dryRun: e.SCOUT_DRY_RUN,
    limits: { maxFiles: e.SCOUT_MAX_FILES, maxFileBytes: e.SCOUT_MAX_FILE_BYTES, maxTotalBytes: e.SCOUT_MAX_TOTAL_BYTES },
    historyCommits: e.SCOUT_HISTORY_COMMITS,
    questionTokenBudget: e.SCOUT_QUESTION_TOKEN_BUDGET,
    model: endpoint
      ? {
          // Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
          apiKey: e.OPENAI_API_KEY ?? 'not-needed',
          baseUrl: e.OPENAI_BASE_URL,
          fastModel: e.SCOUT_FAST_MODEL,
          strongModel: e.SCOUT_STRONG_MODEL,
          embeddingModel: e.SCOUT_EMBEDDING_MODEL,
          timeoutMs: e.SCOUT_MODEL_TIMEOUT_MS,
        }
      : undefined,
  };
}

let cached: Env | undefined;

/** The process environment, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
