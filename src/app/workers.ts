import type { Models } from '../ai/models.ts';
import type { Env } from '../config/env.ts';
import { pathExcluded, type RepoConfig } from '../config/repo-config.ts';
import { indexRepository, type IndexSummary } from '../index/indexer.ts';
import type { JobContext, JobHandlers, JobQueue, QueuedJob } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import { existsSync } from 'node:fs';
import { htmlUrl, mirrorDir, syncRepository } from '../scm/github-clone.ts';
import { RepoStore } from '../store/repo-store.ts';
import type { CommentRow } from '../store/schema.ts';
import { renderComment } from '../triage/comment.ts';
import { runPipeline } from '../triage/pipeline.ts';
import { understandIssue } from '../triage/stages/understand.ts';
import type { TriageState } from '../triage/state.ts';
import { canUseCommand, helpText, refusalText } from './commands.ts';
import { listIssueComments, upsertComment, type CommentOctokit } from './comment-upsert.ts';
import { recordClosed, syncIssues } from './issue-sync.ts';
import { indexJobSchema, parseJob, recordJobSchema, syncJobSchema, triageJobSchema, type TriageJob } from './job-data.ts';
import { loadRepoConfig } from './repo-config-loader.ts';
import { materialChange } from './text-change.ts';
import { httpStatus } from '../errors.ts';
import { isBotUser } from './github-users.ts';

/**
 * The work behind the webhooks: clone or fetch, index, sync issues, triage and comment. Runs in
 * the embedded worker of `npm start` or in `scout worker` processes (BullMQ).
 */

/** An installation's octokit (Probot's, with retries and rate-limit throttling) plus what the jobs read from it. */
export type InstallationOctokit = CommentOctokit & {
  auth(options: { type: 'installation' }): Promise<unknown>;
};

export interface WorkerDeps {
  env: Env;
  /** An octokit authenticated as the app's installation. */
  auth(installationId: number): Promise<InstallationOctokit>;
  queue: JobQueue;
  models: Models;
  /** Our own comments are recognised by this app id / bot login as well as the marker. */
  appId?: number;
  botLogin?: string;
  logger: Logger;
}

/** The fields of a REST issue the triage job reads. */
type IssueData = { title: string; body?: string | null; user?: { login?: string; type?: string } | null; labels?: Array<string | { name?: string }>; pull_request?: unknown; state?: string };

const REFUSAL_MARKER = '<!-- repo-scout:refusal -->';
const HELP_MARKER = '<!-- repo-scout:help -->';

/**
 * The installation token for git. It is read after an API call on purpose: octokit's app auth
 * mints tokens for API requests against the configured host (GitHub Enterprise included) and
 * caches them, while a bare `auth()` call would mint against api.github.com.
 */
async function installationToken(octokit: InstallationOctokit): Promise<string> {
  const auth = (await octokit.auth({ type: 'installation' })) as { token?: string };
  if (!auth.token) throw new Error('GitHub gave no installation token: check the app is still installed.');
  return auth.token;
}

async function defaultBranch(octokit: InstallationOctokit, target: { owner: string; repo: string }): Promise<string | undefined> {
  const { data } = (await octokit.request('GET /repos/{owner}/{repo}', target)) as { data: { default_branch?: string } };
  return data.default_branch;
}

export function createWorkers(deps: WorkerDeps): JobHandlers {
  const { env } = deps;

  /** Fetches the repository and brings its index to `sha` (default: the default branch's head). */
  async function ensureIndexed(octokit: InstallationOctokit, target: { owner: string; repo: string; sha?: string }, logger: Logger): Promise<{ summary: IndexSummary; gitDir: string }> {
    const branch = await defaultBranch(octokit, target);
    const token = await installationToken(octokit);
    const synced = await syncRepository({ owner: target.owner, repo: target.repo, token, branch, dataDir: env.dataDir, gheHost: env.gheHost, gheProtocol: env.gheProtocol, commit: target.sha, logger });
    const summary = await indexRepository({
      repoPath: synced.gitDir,
      commit: target.sha ?? synced.head,
      repoId: `${target.owner}/${target.repo}`,
      dataDir: env.dataDir,
      lancedbUri: env.lancedbUri,
      limits: env.limits,
      historyCommits: env.historyCommits,
      embedder: deps.models.embedder,
      chat: deps.models.chat,
      chatModelId: deps.models.chatModelId,
      questionTokenBudget: env.questionTokenBudget,
      logger,
    });
    return { summary, gitDir: synced.gitDir };
  }

  /** After a first index, the repository's past issues and pull requests are synced (a job of its own). */
  async function syncIfNeverSynced(store: RepoStore, data: { installationId: number; owner: string; repo: string }, commit: string): Promise<void> {
    const fullName = `${data.owner}/${data.repo}`;
    if ((await store.countRecords('issues')) > 0) return;
    await deps.queue.add({ id: `sync:${fullName}:${commit}`, name: 'sync', data: { installationId: data.installationId, owner: data.owner, repo: data.repo }, group: fullName });
  }

  async function index(job: QueuedJob, ctx: JobContext): Promise<unknown> {
    const data = parseJob(indexJobSchema, job.data, 'index');
    const octokit = await deps.auth(data.installationId);
    const { summary } = await ensureIndexed(octokit, data, ctx.log);
    await RepoStore.using(env.lancedbUri, summary.repo, (store) => syncIfNeverSynced(store, data, summary.commit));
    return { commit: summary.commit, files: summary.files, incremental: summary.incremental, ms: summary.ms };
  }

  async function sync(job: QueuedJob, ctx: JobContext): Promise<unknown> {
    const data = parseJob(syncJobSchema, job.data, 'sync');
    const octokit = await deps.auth(data.installationId);
    return RepoStore.using(env.lancedbUri, `${data.owner}/${data.repo}`, (store) => syncIssues(octokit, { owner: data.owner, repo: data.repo, store, logger: ctx.log }));
  }

  async function record(job: QueuedJob, ctx: JobContext): Promise<unknown> {
    const data = parseJob(recordJobSchema, job.data, 'record');
    const octokit = await deps.auth(data.installationId);
    const { data: item } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner: data.owner, repo: data.repo, issue_number: data.number });
    await RepoStore.using(env.lancedbUri, `${data.owner}/${data.repo}`, (store) => recordClosed(octokit, { owner: data.owner, repo: data.repo, store, item: item as never, logger: ctx.log }));
    return { recorded: data.number };
  }

  async function triage(job: QueuedJob, ctx: JobContext): Promise<unknown> {
    const started = Date.now();
    const data = parseJob(triageJobSchema, job.data, 'triage');
    const { owner, repo } = data;
    const fullName = `${owner}/${repo}`;
    const logger = ctx.log.child({ repo: fullName, issue: data.issue });
    const octokit = await deps.auth(data.installationId);
    const target = { owner, repo, issue_number: data.issue };
    let issue: IssueData;
    try {
      ({ data: issue } = (await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', target)) as { data: IssueData });
    } catch (error) {
      const status = httpStatus(error);
      // Deleted, transferred or no longer visible to the app: nothing to triage, and retrying cannot help.
      if (status === 404 || status === 410) {
        logger.info({ status }, 'triage skipped: the issue is gone');
        return { skipped: 'issue gone' };
      }
      throw error;
    }
    const { config, warning } = await loadRepoConfig(octokit, { owner, repo });
    const author = issue.user?.login ?? '';

    if (data.trigger === 'command') {
      const command = data.command!;
      const permission = await canUseCommand(octokit, { owner, repo, username: command.by, issueAuthor: author, config, logger });
      if (!permission.allowed) return refuseOnce(octokit, target, command.by, config, logger);
      if (command.kind === 'help') return postReply(octokit, target, `${helpText(config)}\n${HELP_MARKER}`, logger);
      if (issue.pull_request) return postReply(octokit, target, `repo-scout triages issues, not pull requests.\n${HELP_MARKER}`, logger);
    } else {
      const skip = skipReason(data, issue, config);
      if (skip) {
        logger.info({ reason: skip }, 'triage skipped');
        return { skipped: skip };
      }
      if (data.trigger === 'edited' && config.retriage_only_before_replies && (await othersReplied(octokit, target, author, deps.botLogin))) {
        logger.info('triage skipped: the discussion has started');
        return { skipped: 'others replied' };
      }
    }

    let indexed: { summary?: IndexSummary; gitDir: string };
    let indexError: unknown;
    try {
      indexed = await ensureIndexed(octokit, { owner, repo }, logger);
    } catch (error) {
      indexError = error;
      indexed = { gitDir: mirrorDir(env.dataDir, { owner, repo }) };
    }
    return RepoStore.using(env.lancedbUri, fullName, async (store) => {
      const meta = await store.readMeta();
      if (indexError !== undefined) {
        // Fetching or indexing failed (GitHub down, a push mid-flight): an existing index still answers.
        if (!meta || !existsSync(indexed.gitDir)) throw indexError;
        logger.warn({ err: indexError }, 'could not bring the index up to date; triaging with the last complete index');
      }
      if (!meta) throw new Error(`${fullName} has no index yet.`);
      if (indexed.summary) await syncIfNeverSynced(store, data, indexed.summary.commit);
      await store.pinTo(meta);
      const [existing] = await store.recordsWithKeys<CommentRow>('comments', [`issue:${data.issue}`]);
      let commentId = existing?.comment_id;
      const commentAnyway = data.trigger === 'command' || config.comment === 'always' || commentId !== undefined;
      const onProgress = async (state: TriageState): Promise<void> => {
        const locate = state.stages.locate.status;
        if (locate !== 'done' && locate !== 'failed') return; // Nothing worth a comment before the files are located.
        if (!commentAnyway && commentId === undefined) {
          if (config.comment === 'command-only') return;
          if ((state.confidence?.score ?? 0) < config.confidence_threshold) return;
        }
        const body = renderComment(state, { maxFiles: config.max_files, sections: config.sections, configWarning: warning });
        if (env.dryRun) {
          logger.info({ body }, 'dry run: the comment repo-scout would post');
          return;
        }
        const posted = await upsertComment(octokit, { owner, repo, issue_number: data.issue, botLogin: deps.botLogin, appId: deps.appId, commentId }, body);
        if (commentId === undefined || posted.id !== commentId) {
          commentId = posted.id;
          const row: CommentRow = { key: `issue:${data.issue}`, issue: data.issue, comment_id: posted.id, url: posted.url ?? '', posted_at: Date.now(), latency_ms: Date.now() - started, up: 0, down: 0 };
          await store.upsertRecords('comments', [row]);
        }
      };
      const { state } = await runPipeline({
        store,
        repoPath: indexed.gitDir,
        commit: meta.indexedCommit,
        issue: { repo: fullName, number: data.issue, title: issue.title, body: issue.body ?? '', guidance: data.command?.guidance },
        embedder: deps.models.embedder,
        chat: config.model ? deps.models.chat : undefined,
        htmlBase: htmlUrl({ owner, repo, gheHost: env.gheHost, gheProtocol: env.gheProtocol }),
        tokenBudget: env.runTokenBudget,
        settings: { duplicateThreshold: config.duplicate_threshold, excludePath: (path) => pathExcluded(config, path) },
        onProgress,
        logger,
      });
      return { confidence: state.confidence, commented: commentId !== undefined, stages: Object.fromEntries(Object.entries(state.stages).map(([name, s]) => [name, s.status])) };
    });
  }

  return { index, sync, record, triage };
}

function skipReason(
  data: TriageJob,
  issue: IssueData,
  config: RepoConfig,
): string | undefined {
  if (issue.pull_request) return 'pull request';
  if (isBotUser(issue.user)) return 'bot author';
  if (issue.state === 'closed') return 'closed';
  const labels = (issue.labels ?? []).map((label) => (typeof label === 'string' ? label : (label.name ?? '')).toLowerCase());
  const skipLabels = new Set(config.skip_labels.map((label) => label.toLowerCase()));
  const skipLabel = labels.find((label) => skipLabels.has(label));
  if (skipLabel) return `label ${skipLabel}`;
  if (config.comment === 'command-only') return 'comment: command-only';
  const named = understandIssue(issue.title, issue.body ?? '').paths;
  if (named.length > 0 && named.every((path) => pathExcluded(config, path))) return 'only excluded paths';
  if (data.trigger === 'edited') {
    if (!config.retriage_on_edit) return 'retriage_on_edit is off';
    if (data.previous && !materialChange(data.previous, { title: issue.title, body: issue.body ?? '' })) return 'edit not material';
  }
  return undefined;
}

type IssueTarget = { owner: string; repo: string; issue_number: number };

async function othersReplied(octokit: InstallationOctokit, target: IssueTarget, author: string, botLogin?: string): Promise<boolean> {
  const comments = await listIssueComments(octokit, target);
  return comments.some((comment) => {
    const login = comment.user?.login ?? '';
    return login !== author && login !== botLogin && comment.user?.type !== 'Bot';
  });
}

/** A stranger's `/scout` gets one short, polite answer per issue, never more. */
async function refuseOnce(octokit: InstallationOctokit, target: IssueTarget, username: string, config: RepoConfig, logger: Logger): Promise<unknown> {
  const comments = await listIssueComments(octokit, target);
  if (comments.some((comment) => comment.body?.includes(REFUSAL_MARKER) && comment.user?.type === 'Bot')) {
    logger.info({ user: username }, 'command refused again; already answered on this issue');
    return { refused: username, answered: false };
  }
  await postReply(octokit, target, `${refusalText(username, config)}\n${REFUSAL_MARKER}`, logger);
  return { refused: username, answered: true };
}

async function postReply(octokit: InstallationOctokit, target: IssueTarget, body: string, logger: Logger): Promise<unknown> {
  await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...target, body });
  logger.info('replied to a command');
  return { replied: true };
}
