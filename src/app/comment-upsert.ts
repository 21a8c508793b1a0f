import type { Octokit } from '@octokit/rest';
import { log as rootLog, type Logger } from '../log.ts';
import { isScoutComment } from '../triage/comment.ts';
import { errorMessage, httpStatus } from '../errors.ts';

/**
 * The one comment repo-scout keeps on an issue: found, created once, then edited in place.
 *
 * A comment is ours only when it carries the marker AND the app wrote it. Anyone can paste the
 * marker into a comment of their own, and an installation with `issues: write` may edit any
 * comment in the repository, so trusting the marker alone would let the bot overwrite a person's
 * words. Duplicates (two jobs racing, a crash between create and checkpoint) collapse to the
 * oldest, which keeps its place in the thread.
 */

/** The part of an octokit these functions use: `@octokit/rest`'s `Octokit` and Probot's `context.octokit` both fit. */
export type CommentOctokit = Pick<Octokit, 'request' | 'paginate'>;

export interface CommentTarget {
  owner: string;
  repo: string;
  issue_number: number;
  /** The app's bot user, e.g. `repo-scout[bot]`. */
  botLogin?: string;
  /** The GitHub App's id: comments carry it in `performed_via_github_app`. */
  appId?: number;
  /**
   * The id an earlier upsert returned for this issue. It is edited first, without listing the
   * issue's comments; if it is gone (404) the comment is looked up or created again. Pass only an
   * id repo-scout got back from this module: it is not checked for authorship.
   */
  commentId?: number;
}

/** An issue comment as the REST API returns it; only the fields read here are named. */
export interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
  user?: { login: string; type?: string } | null;
  performed_via_github_app?: { id: number } | null;
}

export interface UpsertResult {
  id: number;
  url: string;
  /** Whether this call posted the comment (false: an existing one was edited or left as it was). */
  created: boolean;
  /** Whether this call wrote anything (false: the comment already had this body). */
  changed: boolean;
}

export interface UpsertOptions {
  logger?: Logger;
}

type Identity = Pick<CommentTarget, 'botLogin' | 'appId'>;

/**
 * Whether the app wrote this comment. With an app id: the comment was made through the app
 * (`performed_via_github_app`) by a bot account — a person's comment made with a user token
 * through the app does not count. With a bot login: that account wrote it. When neither is known
 * (the CLI, tests) any bot account counts; a person never does.
 */
export function writtenByApp(comment: Pick<IssueComment, 'user' | 'performed_via_github_app'>, identity: Identity): boolean {
  const user = comment.user;
  if (!user) return false;
  const { appId, botLogin } = identity;
  if (appId === undefined && botLogin === undefined) return user.type === 'Bot';
  if (appId !== undefined && comment.performed_via_github_app?.id === appId && user.type === 'Bot') return true;
  return botLogin !== undefined && user.login.toLowerCase() === botLogin.toLowerCase();
}

/** Whether a comment is repo-scout's own: our marker, written by the app. */
export function isOwnComment(comment: IssueComment, identity: Identity): boolean {
  return isScoutComment(comment.body ?? '') && writtenByApp(comment, identity);
}

/** Every comment on the issue, all pages. */
export async function listIssueComments(octokit: CommentOctokit, target: Pick<CommentTarget, 'owner' | 'repo' | 'issue_number'>): Promise<IssueComment[]> {
  const { owner, repo, issue_number } = target;
  return (await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner,
    repo,
    issue_number,
    per_page: 100,
  })) as IssueComment[];
}

/** Every own comment on the issue, oldest first (comment ids only grow). */
export async function listOwnComments(octokit: CommentOctokit, target: CommentTarget): Promise<IssueComment[]> {
  const comments = await listIssueComments(octokit, target);
  return comments.filter((comment) => isOwnComment(comment, target)).sort((a, b) => a.id - b.id);
}

/** repo-scout's comment on the issue (the oldest, if there are several), or undefined. */
export async function findOwnComment(octokit: CommentOctokit, target: CommentTarget): Promise<IssueComment | undefined> {
  return (await listOwnComments(octokit, target))[0];
}

async function editComment(octokit: CommentOctokit, target: CommentTarget, commentId: number, body: string): Promise<IssueComment> {
  const { data } = await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
    owner: target.owner,
    repo: target.repo,
    comment_id: commentId,
    body,
  });
  return data as IssueComment;
}

/**
 * Keeps `own[0]` (the oldest) with `body` and deletes the rest. Deleting only ever touches
 * comments `listOwnComments` vouched for. A duplicate already gone (another job deleted it) is fine.
 */
async function collapse(
  octokit: CommentOctokit,
  target: CommentTarget,
  own: IssueComment[],
  body: string,
  logger: Logger,
): Promise<{ kept: IssueComment; changed: boolean }> {
  const [oldest, ...newer] = own;
  let kept = oldest;
  let changed = false;
  if (oldest.body !== body) {
    kept = await editComment(octokit, target, oldest.id, body);
    changed = true;
  }
  for (const duplicate of newer) {
    try {
      await octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner: target.owner,
        repo: target.repo,
        comment_id: duplicate.id,
      });
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }
  if (newer.length > 0) logger.warn({ kept: oldest.id, deleted: newer.map((comment) => comment.id) }, 'deleted duplicate repo-scout comments');
  return { kept, changed };
}

/**
 * Makes repo-scout's comment on the issue say `body`: edits it if it exists (not at all if it
 * already says that), creates it otherwise. After creating, it lists again and, if another job
 * created one too, keeps the oldest and deletes the others, so the issue ends with one comment.
 */
export async function upsertComment(
  octokit: CommentOctokit,
  target: CommentTarget,
  body: string,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const { owner, repo, issue_number } = target;
  const logger = (options.logger ?? rootLog).child({ repo: `${owner}/${repo}`, issue: issue_number });

  if (target.commentId !== undefined) {
    try {
      const edited = await editComment(octokit, target, target.commentId, body);
      return { id: edited.id, url: edited.html_url, created: false, changed: true };
    } catch (error) {
      const status = httpStatus(error);
      if (status !== 404 && status !== 410) throw error;
      logger.info({ comment: target.commentId }, 'the remembered comment is gone; looking for it again');
    }
  }

  const existing = await listOwnComments(octokit, target);
  if (existing.length > 0) {
    const { kept, changed } = await collapse(octokit, target, existing, body, logger);
    return { id: kept.id, url: kept.html_url, created: false, changed };
  }

  const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number, body });
  const posted = data as IssueComment;
  logger.info({ comment: posted.id }, 'posted the repo-scout comment');

  // Another job may have posted at the same moment: both see two comments and keep the same (oldest) one.
  let own: IssueComment[];
  try {
    own = await listOwnComments(octokit, target);
  } catch (error) {
    // The comment is posted; a failed check must not make the job retry and post another.
    logger.warn({ err: errorMessage(error), status: httpStatus(error) }, 'could not check for duplicate comments');
    return { id: posted.id, url: posted.html_url, created: true, changed: true };
  }
  if (!own.some((comment) => comment.id === posted.id)) own = [...own, { ...posted, body }].sort((a, b) => a.id - b.id);
  if (own.length === 1) return { id: posted.id, url: posted.html_url, created: true, changed: true };
  const { kept } = await collapse(octokit, target, own, body, logger);
  return { id: kept.id, url: kept.html_url, created: kept.id === posted.id, changed: true };
}

/**
 * `upsertComment` that remembers, per issue, the comment it wrote and what it said: a pipeline
 * that updates the comment after each stage then edits by id (one request) and skips unchanged
 * bodies without asking GitHub.
 */
export class CommentUpserter {
  private readonly known = new Map<string, { id: number; url: string; body: string }>();

  constructor(
    private readonly octokit: CommentOctokit,
    private readonly identity: Identity & { logger?: Logger } = {},
  ) {}

  async upsert(target: Omit<CommentTarget, 'botLogin' | 'appId' | 'commentId'>, body: string): Promise<UpsertResult> {
    const key = `${target.owner}/${target.repo}#${target.issue_number}`.toLowerCase();
    const cached = this.known.get(key);
    if (cached?.body === body) return { id: cached.id, url: cached.url, created: false, changed: false };
    const result = await upsertComment(
      this.octokit,
      { ...target, botLogin: this.identity.botLogin, appId: this.identity.appId, commentId: cached?.id },
      body,
      { logger: this.identity.logger },
    );
    this.known.set(key, { id: result.id, url: result.url || cached?.url || '', body });
    return result;
  }

  /** Forgets what was written on an issue (e.g. after someone else deleted or edited the comment). */
  forget(target: Pick<CommentTarget, 'owner' | 'repo' | 'issue_number'>): void {
    this.known.delete(`${target.owner}/${target.repo}#${target.issue_number}`.toLowerCase());
  }
}
