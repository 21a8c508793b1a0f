import type { Probot } from 'probot';
import type { Logger } from '../log.ts';
import type { JobQueue, JobSpec } from '../jobs/queue.ts';
import { parseCommand } from './commands.ts';
import type { IndexJob, RecordJob, TriageJob } from './job-data.ts';
import { triageJobId } from './job-data.ts';
import { isBotUser } from './github-users.ts';

/**
 * Webhook handlers: thin by design. They check the delivery is worth work, enqueue a job and
 * return; they never clone, index, call a model or wait on GitHub. Duplicate deliveries are
 * dropped twice over: by delivery id here, and by the deterministic job ids in the queue.
 */

export interface HandlerDeps {
  queue: JobQueue;
  logger: Logger;
}

/** Remembers recent delivery ids (GitHub redelivers on timeouts and on request). */
export class DeliveryLog {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is seen. */
  firstTime(id: string | undefined): boolean {
    if (!id) return true;
    if (this.seen.has(id)) return false;
    this.seen.set(id, Date.now());
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}

interface RepositoryLike {
  name: string;
  full_name: string;
  owner: { login: string };
  default_branch?: string;
}

export function registerHandlers(app: Probot, deps: HandlerDeps): void {
  const deliveries = new DeliveryLog();
  const enqueue = async (delivery: string, job: JobSpec): Promise<void> => {
    const result = await deps.queue.add(job);
    deps.logger.info({ delivery, job: job.id, added: result.added }, result.added ? 'job enqueued' : 'job already queued');
  };
  const fresh = (delivery: string, event: string): boolean => {
    if (deliveries.firstTime(delivery)) return true;
    deps.logger.info({ delivery, event }, 'duplicate delivery dropped');
    return false;
  };

  const indexRepos = async (delivery: string, installationId: number, repos: Array<{ full_name: string }>, reason: IndexJob['reason']) => {
    for (const repo of repos) {
      const [owner, name] = repo.full_name.split('/');
      const data: IndexJob = { installationId, owner, repo: name, reason };
      await enqueue(delivery, { id: `index:${repo.full_name}:install:${delivery}`, name: 'index', data, group: repo.full_name, serialize: true });
    }
  };

  app.on('installation.created', async (context) => {
    if (!fresh(context.id, context.name)) return;
    await indexRepos(context.id, context.payload.installation.id, context.payload.repositories ?? [], 'install');
  });

  app.on('installation_repositories.added', async (context) => {
    if (!fresh(context.id, context.name)) return;
    await indexRepos(context.id, context.payload.installation.id, context.payload.repositories_added, 'install');
  });

  app.on('push', async (context) => {
    if (!fresh(context.id, context.name)) return;
    const { payload } = context;
    const repository = payload.repository as RepositoryLike;
    if (payload.deleted || /^0+$/.test(payload.after)) return;
    if (payload.ref !== `refs/heads/${repository.default_branch}`) return;
    const installationId = payload.installation?.id;
    if (!installationId) return;
    const data: IndexJob = { installationId, owner: repository.owner.login, repo: repository.name, sha: payload.after, reason: 'push' };
    await enqueue(context.id, { id: `index:${repository.full_name}:${payload.after}`, name: 'index', data, group: repository.full_name, serialize: true });
  });

  app.on(['issues.opened', 'issues.edited'], async (context) => {
    if (!fresh(context.id, context.name)) return;
    const { payload } = context;
    const issue = payload.issue;
    const installationId = payload.installation?.id;
    if (!installationId || 'pull_request' in issue && issue.pull_request) return;
    if (isBotUser(issue.user)) return;
    const repository = payload.repository as RepositoryLike;
    if (payload.action === 'edited') {
      const changes = (payload as { changes?: { title?: unknown; body?: unknown } }).changes ?? {};
      if (!changes.title && !changes.body) return; // A label or milestone edit: nothing to re-read.
    }
    const data: TriageJob = {
      installationId,
      owner: repository.owner.login,
      repo: repository.name,
      issue: issue.number,
      trigger: payload.action === 'opened' ? 'opened' : 'edited',
      ...(payload.action === 'edited' ? { previous: previousText(payload as { changes?: Record<string, { from?: string }> }, issue) } : {}),
    };
    await enqueue(context.id, {
      id: triageJobId(repository.full_name, issue.number, { title: issue.title, body: issue.body ?? '' }),
      name: 'triage',
      data,
      group: repository.full_name,
      serialize: true,
    });
  });

  app.on('issue_comment.created', async (context) => {
    if (!fresh(context.id, context.name)) return;
    const { payload } = context;
    if (isBotUser(payload.comment.user)) return;
    const command = parseCommand(payload.comment.body ?? '');
    const installationId = payload.installation?.id;
    if (!command || !installationId) return;
    const repository = payload.repository as RepositoryLike;
    const data: TriageJob = {
      installationId,
      owner: repository.owner.login,
      repo: repository.name,
      issue: payload.issue.number,
      trigger: 'command',
      command: {
        kind: command.kind,
        guidance: command.kind === 'run' ? command.guidance : undefined,
        by: payload.comment.user?.login ?? '',
        commentId: payload.comment.id,
      },
      isPullRequest: Boolean(payload.issue.pull_request),
    };
    await enqueue(context.id, { id: `command:${repository.full_name}:${payload.comment.id}`, name: 'triage', data, group: repository.full_name, serialize: true });
  });

  app.on(['issues.closed', 'pull_request.closed'], async (context) => {
    if (!fresh(context.id, context.name)) return;
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (!installationId) return;
    const repository = payload.repository as RepositoryLike;
    const isPull = 'pull_request' in payload;
    const item = isPull ? (payload as { pull_request: { number: number } }).pull_request : (payload as { issue: { number: number } }).issue;
    const data: RecordJob = { installationId, owner: repository.owner.login, repo: repository.name, kind: isPull ? 'pull' : 'issue', number: item.number };
    await enqueue(context.id, { id: `record:${repository.full_name}:${data.kind}:${item.number}:${context.id}`, name: 'record', data, group: repository.full_name });
  });
}

function previousText(payload: { changes?: Record<string, { from?: string }> }, issue: { title: string; body?: string | null }): { title: string; body: string } {
  return {
    title: payload.changes?.title?.from ?? issue.title,
    body: payload.changes?.body?.from ?? issue.body ?? '',
  };
}
