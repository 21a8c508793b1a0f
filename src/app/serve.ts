import { createProbot, run, type Probot } from 'probot';
import { modelsFromEnv } from '../ai/models.ts';
import { env as readEnv, type Env } from '../config/env.ts';
import { ConfigError } from '../errors.ts';
import { createQueue } from '../jobs/create-queue.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { log } from '../log.ts';
import { startHelper } from '../scm/launcher.ts';
import { registerHandlers } from './handlers.ts';
import { createWorkers, type InstallationOctokit } from './workers.ts';

/**
 * `npm start` (= `scout serve`): Probot's server receives webhooks at /api/github/webhooks and an
 * in-process worker runs the jobs. `scout worker`: a worker alone, for BullMQ on Redis.
 */

/** The app's bot login (`<slug>[bot]`), so only our own comments are ever edited. */
async function botLogin(probot: Probot): Promise<string | undefined> {
  try {
    const octokit = await probot.auth();
    const { data } = await octokit.request('GET /app');
    return data?.slug ? `${data.slug}[bot]` : undefined;
  } catch (error) {
    log.warn({ err: error }, 'could not read the app slug; own comments are recognised by app id only');
    return undefined;
  }
}

async function startWorker(probot: Probot, config: Env, queue: JobQueue, concurrency: number): Promise<void> {
  // Before the first index grows this process: git is then started without forking it (see launcher.ts).
  startHelper();
  const appId = Number(config.appId);
  const handlers = createWorkers({
    env: config,
    auth: async (installationId) => (await probot.auth(installationId)) as unknown as InstallationOctokit,
    queue,
    models: modelsFromEnv(config.model),
    appId: Number.isFinite(appId) ? appId : undefined,
    botLogin: await botLogin(probot),
    logger: log,
  });
  await queue.process(handlers, { concurrency });
}

/**
 * Probot's view of the environment, minus REDIS_URL: given one, Probot would coordinate its
 * rate-limit throttling through Redis under keys of its own; our queue keeps to its prefix.
 */
function probotEnv(): NodeJS.ProcessEnv {
  const { REDIS_URL: _redis, ...rest } = process.env;
  return rest;
}

/** The queue the environment asks for, with its Redis prefix and job lock. */
function queueFor(config: Env): JobQueue {
  return createQueue(config, { prefix: config.queuePrefix, lockDurationMs: config.jobLockMs, stalledIntervalMs: Math.max(500, Math.round(config.jobLockMs / 2)) });
}

function closeOnSignals(queue: JobQueue): void {
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping: finishing active jobs');
    void queue.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export async function serve(): Promise<void> {
  const config = readEnv();
  if (!config.appId || !(config.privateKey ?? config.privateKeyPath)) {
    // Probot's setup flow: registers the app from app.yml (the manifest) and writes .env.
    log.warn('APP_ID or the private key is not set: starting the setup page to register the app (see README).');
    await run(() => {});
    return;
  }
  if (!config.webhookSecret) throw new ConfigError('WEBHOOK_SECRET is not set: copy it from the app settings into .env.');
  const queue = queueFor(config);
  let probot: Probot | undefined;
  await run(
    (app) => {
      probot = app;
      registerHandlers(app, { queue, logger: log });
    },
    { env: probotEnv() },
  );
  if (config.workers > 0) await startWorker(probot!, config, queue, config.workers);
  else if (!config.redisUrl) log.warn('SCOUT_WORKERS=0 without REDIS_URL: jobs are queued on disk but nothing runs them until a restart with workers.');
  closeOnSignals(queue);
  log.info({ queue: config.redisUrl ? 'bullmq' : 'embedded', port: config.port }, 'repo-scout is listening');
}

export async function worker(): Promise<void> {
  const config = readEnv();
  if (!config.redisUrl) throw new ConfigError('scout worker needs REDIS_URL (a shared queue). Without Redis, `npm start` runs the worker in-process.');
  if (!config.appId || !(config.privateKey ?? config.privateKeyPath)) throw new ConfigError('scout worker needs APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH), like the server.');
  const queue = queueFor(config);
  await startWorker(createProbot({ env: probotEnv() }), config, queue, Math.max(1, config.workers));
  process.once('SIGINT', () => void queue.close().finally(() => process.exit(0)));
  closeOnSignals(queue);
  log.info('repo-scout worker is running');
}
