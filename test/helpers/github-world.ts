import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { FakeGitHub, type FakeRequest } from './fake-github.ts';
import { GitHttpServer } from './git-http-server.ts';

/**
 * A small stateful GitHub for app tests: one installation, repositories served over git's HTTP
 * protocol, issues, comments (created, edited, deleted — recorded), collaborator roles. Built on
 * the fail-closed FakeGitHub, so any call the app makes that the world does not model fails the test.
 */

export const APP_ID = 4242;
export const APP_SLUG = 'repo-scout-test';
export const INSTALLATION_ID = 77;
export const TOKEN = 'ghs_e2etokenvalue000000000000000000000';

export interface WorldIssue {
  number: number;
  title: string;
  body: string;
  user: { login: string; type: string };
  labels: Array<{ name: string }>;
  state: string;
  pull_request?: unknown;
}

export interface WorldComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
  performed_via_github_app: { id: number } | null;
  created_at: string;
  updated_at: string;
  html_url: string;
}

export class GitHubWorld {
  readonly github = new FakeGitHub();
  readonly git = new GitHttpServer({ token: TOKEN });
  readonly issues = new Map<number, WorldIssue>();
  readonly comments: WorldComment[] = [];
  readonly roles = new Map<string, string>();
  /** Files changed by each pull request (`GET /repos/…/pulls/:n/files`). */
  readonly pullFiles = new Map<number, string[]>();
  /** The repository's `.github/scout.yml`, or undefined for none (404). */
  configYaml?: string;
  /** Comment writes in order: `POST <issue>`, `PATCH <id>`, `DELETE <id>`. */
  readonly writes: string[] = [];
  readonly privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  private nextCommentId = 1000;
  private hold?: { reached: () => void; released: Promise<void> };

  /**
   * Holds the next comment edit unanswered until `release()` (then answers 502 without applying
   * it): a way to catch a worker in the middle of a job.
   */
  holdNextPatch(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { reached, released };
    return { reached: reachedPromise, release };
  }

  constructor(readonly owner = 'acme', readonly repo = 'shop') {
    const g = this.github;
    g.json('GET', '/app', { id: APP_ID, slug: APP_SLUG, name: 'repo-scout (test)' });
    g.json('POST', '/app/installations/:id/access_tokens', { token: TOKEN, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} }, 201);
    g.on('GET', '/repos/:owner/:repo', () => ({ body: this.repository() }));
    g.on('GET', '/repos/:owner/:repo/contents/:path', (request) => {
      if (request.params.path !== '.github/scout.yml' || this.configYaml === undefined) return { status: 404, body: { message: 'Not Found' } };
      const content = Buffer.from(this.configYaml).toString('base64');
      return { body: { type: 'file', encoding: 'base64', path: '.github/scout.yml', name: 'scout.yml', content, sha: 'c0ffee' } };
    });
    g.on('GET', '/repos/:owner/:repo/issues', () => ({ body: [...this.issues.values()].map((issue) => this.issueJson(issue)) }));
    g.on('GET', '/repos/:owner/:repo/issues/:number', (request) => {
      const issue = this.issues.get(Number(request.params.number));
      return issue ? { body: this.issueJson(issue) } : { status: 404, body: { message: 'Not Found' } };
    });
    g.on('GET', '/repos/:owner/:repo/issues/:number/comments', (request) => ({
      body: this.comments.filter((comment) => comment.issue === Number(request.params.number)),
    }));
    g.on('POST', '/repos/:owner/:repo/issues/:number/comments', (request) => this.createComment(request));
    g.on('GET', '/repos/:owner/:repo/issues/comments/:id', (request) => {
      const comment = this.comments.find((c) => c.id === Number(request.params.id));
      return comment ? { body: comment } : { status: 404, body: { message: 'Not Found' } };
    });
    g.on('PATCH', '/repos/:owner/:repo/issues/comments/:id', async (request) => {
      const hold = this.hold;
      if (hold) {
        this.hold = undefined;
        hold.reached();
        await hold.released;
        return { status: 502, body: { message: 'held by the test' } };
      }
      const comment = this.comments.find((c) => c.id === Number(request.params.id));
      if (!comment) return { status: 404, body: { message: 'Not Found' } };
      comment.body = (request.body as { body: string }).body;
      comment.updated_at = new Date().toISOString();
      this.writes.push(`PATCH ${comment.id}`);
      return { body: comment };
    });
    g.on('DELETE', '/repos/:owner/:repo/issues/comments/:id', (request) => {
      const index = this.comments.findIndex((c) => c.id === Number(request.params.id));
      if (index < 0) return { status: 404, body: { message: 'Not Found' } };
      this.comments.splice(index, 1);
      this.writes.push(`DELETE ${request.params.id}`);
      return { status: 204 };
    });
    g.on('GET', '/repos/:owner/:repo/collaborators/:username/permission', (request) => {
      const role = this.roles.get(request.params.username);
      if (!role) return { status: 404, body: { message: 'Not a collaborator' } };
      const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return { body: { permission, role_name: role, user: { login: request.params.username } } };
    });
    g.on('GET', '/repos/:owner/:repo/issues/comments/:id/reactions', () => ({ body: [] }));
    g.on('GET', '/repos/:owner/:repo/pulls/:number/files', (request) => {
      const files = this.pullFiles.get(Number(request.params.number));
      return files ? { body: files.map((filename) => ({ filename, status: 'modified' })) } : { status: 404, body: { message: 'Not Found' } };
    });
    g.mountGit(this.git);
  }

  async start(sourceRepoDir: string): Promise<void> {
    await this.git.addRepo(this.owner, this.repo, sourceRepoDir);
    await this.github.start();
  }

  async stop(): Promise<void> {
    await this.github.stop();
    await this.git.stop().catch(() => {});
  }

  /** `host:port`, for GHE_HOST. */
  get host(): string {
    return this.github.host;
  }

  addIssue(issue: Partial<WorldIssue> & Pick<WorldIssue, 'number' | 'title' | 'body'>): WorldIssue {
    const full: WorldIssue = { user: { login: 'reporter', type: 'User' }, labels: [], state: 'open', ...issue };
    this.issues.set(full.number, full);
    return full;
  }

  commentsOn(issue: number): WorldComment[] {
    return this.comments.filter((comment) => comment.issue === issue);
  }

  repository(): Record<string, unknown> {
    return {
      id: 1296269,
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      private: false,
      owner: { login: this.owner, id: 1, type: 'Organization' },
      html_url: `http://${this.host}/${this.owner}/${this.repo}`,
      default_branch: 'main',
    };
  }

  private issueJson(issue: WorldIssue): Record<string, unknown> {
    return {
      ...issue,
      id: 5000 + issue.number,
      html_url: `http://${this.host}/${this.owner}/${this.repo}/issues/${issue.number}`,
      created_at: '2024-05-01T00:00:00Z',
      updated_at: '2024-05-01T00:00:00Z',
      closed_at: null,
      comments: this.commentsOn(issue.number).length,
    };
  }

  private createComment(request: FakeRequest) {
    const issue = Number(request.params.number);
    const auth = String(request.headers.authorization ?? '');
    // Comments made with the installation token are the app's; the bot user is what GitHub shows.
    const byApp = auth.includes(TOKEN);
    const now = new Date().toISOString();
    const comment: WorldComment = {
      id: this.nextCommentId++,
      issue,
      body: (request.body as { body: string }).body,
      user: byApp ? { login: `${APP_SLUG}[bot]`, type: 'Bot' } : { login: 'someone', type: 'User' },
      performed_via_github_app: byApp ? { id: APP_ID } : null,
      created_at: now,
      updated_at: now,
      html_url: `http://${this.host}/${this.owner}/${this.repo}/issues/${issue}#issuecomment-${this.nextCommentId}`,
    };
    this.comments.push(comment);
    this.writes.push(`POST ${issue}`);
    return { status: 201, body: comment };
  }
}

const require = createRequire(import.meta.url);

/** A real payload from @octokit/webhooks-examples, deep-copied, for `event` (and `action`). */
export function examplePayload(event: string, action?: string): Record<string, unknown> {
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
  const spec = index.find((entry) => entry.name === event);
  const example = spec?.examples.find((candidate) => action === undefined || candidate.action === action);
  if (!example) throw new Error(`No example payload for ${event}.${action ?? ''}`);
  return structuredClone(example);
}
