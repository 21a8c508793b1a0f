import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, test } from 'vitest';
import {
  CommentUpserter,
  findOwnComment,
  upsertComment,
  writtenByApp,
  type CommentOctokit,
  type CommentTarget,
} from '../../src/app/comment-upsert.ts';
import { MARKER } from '../../src/triage/comment.ts';
import { FakeGitHub, type FakeRequest, type FakeResponse } from '../helpers/fake-github.ts';

const TOKEN = 'ghs_installation';
const APP_ID = 4242;
const BOT = 'repo-scout[bot]';
const logger = pino({ level: 'silent' });

interface StoredComment {
  id: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot' };
  performed_via_github_app: { id: number } | null;
}

const marker = (json = '{}') => `<!-- ${MARKER} ${json} -->`;
const scoutBody = (text: string) => `**repo-scout** · ${text}\n${marker(`{"text":"${text}"}`)}\n`;
const ours = (id: number, body: string): StoredComment => ({ id, body, user: { login: BOT, type: 'Bot' }, performed_via_github_app: { id: APP_ID } });
const person = (id: number, body: string, login = 'ada'): StoredComment => ({ id, body, user: { login, type: 'User' }, performed_via_github_app: null });

/**
 * The issue-comment routes of one issue (acme/shop#7), as GitHub behaves: lists paginate with a
 * Link header, comments the app writes carry its bot user and app id, and unknown ids are 404.
 */
class CommentThread {
  comments: StoredComment[] = [];
  nextId = 1_000;
  /** Runs before a POST stores its comment (to play a concurrent job). */
  beforePost?: () => void;

  constructor(private readonly github: FakeGitHub) {}

  install(): void {
    const base = '/repos/acme/shop/issues';
    this.github.on('GET', `${base}/7/comments`, (request) => this.list(request));
    this.github.on('POST', `${base}/7/comments`, (request) => {
      this.beforePost?.();
      const comment = ours(this.nextId++, String((request.body as { body: string }).body));
      this.comments.push(comment);
      return { status: 201, body: this.view(comment) };
    });
    this.github.on('PATCH', `${base}/comments/:id`, (request) => {
      const comment = this.comments.find((candidate) => candidate.id === Number(request.params.id));
      if (!comment) return { status: 404, body: { message: 'Not Found' } };
      comment.body = String((request.body as { body: string }).body);
      return { body: this.view(comment) };
    });
    this.github.on('DELETE', `${base}/comments/:id`, (request) => {
      const index = this.comments.findIndex((candidate) => candidate.id === Number(request.params.id));
      if (index < 0) return { status: 404, body: { message: 'Not Found' } };
      this.comments.splice(index, 1);
      return { status: 204 };
    });
  }

  view(comment: StoredComment) {
    return { ...comment, html_url: `https://github.com/acme/shop/issues/7#issuecomment-${comment.id}`, created_at: '2024-05-01T00:00:00Z' };
  }

  private list(request: FakeRequest): FakeResponse {
    const perPage = Number(request.query.get('per_page') ?? 30);
    const page = Number(request.query.get('page') ?? 1);
    const sorted = [...this.comments].sort((a, b) => a.id - b.id);
    const slice = sorted.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < sorted.length) {
      headers.link = `<${this.github.apiUrl}${request.path}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
    }
    return { body: slice.map((comment) => this.view(comment)), headers };
  }
}

const github = new FakeGitHub({ token: TOKEN });
let octokit: Octokit;
let thread: CommentThread;
const target: CommentTarget = { owner: 'acme', repo: 'shop', issue_number: 7, botLogin: BOT, appId: APP_ID };

const calls = (method: string, pattern?: RegExp) =>
  github.requests.filter((request) => request.method === method && (!pattern || pattern.test(request.url)));

beforeAll(async () => {
  await github.start();
  octokit = new Octokit({ baseUrl: github.apiUrl, auth: TOKEN, request: { retries: 0 }, log: logger });
});
beforeEach(() => {
  github.requests.length = 0;
  thread = new CommentThread(github);
  thread.install();
});
afterEach(() => github.assertNoUnexpected());
afterAll(() => github.stop());

describe('upsertComment', () => {
  test('accepts the octokits the app and the tests build (checked by the type checker)', () => {
    expectTypeOf<InstanceType<typeof ProbotOctokit>>().toExtend<CommentOctokit>();
    expectTypeOf<Octokit>().toExtend<CommentOctokit>();
  });

  test('creates the comment once, then edits that same comment in place', async () => {
    const first = await upsertComment(octokit, target, scoutBody('looking…'), { logger });
    expect(first).toMatchObject({ created: true, changed: true, url: `https://github.com/acme/shop/issues/7#issuecomment-${first.id}` });
    const second = await upsertComment(octokit, target, scoutBody('likely in shop/pricing.py'), { logger });
    const third = await upsertComment(octokit, target, scoutBody('likely in shop/pricing.py, with a plan'), { logger });
    expect([second.id, third.id]).toEqual([first.id, first.id]);
    expect([second.created, third.created]).toEqual([false, false]);

    expect(calls('POST')).toHaveLength(1);
    expect(calls('PATCH').map((request) => request.url)).toEqual([
      `/api/v3/repos/acme/shop/issues/comments/${first.id}`,
      `/api/v3/repos/acme/shop/issues/comments/${first.id}`,
    ]);
    expect(calls('DELETE')).toHaveLength(0);
    expect(thread.comments).toEqual([ours(first.id, scoutBody('likely in shop/pricing.py, with a plan'))]);
    // Comments are listed 100 at a time.
    expect(calls('GET').every((request) => request.url.includes('per_page=100'))).toBe(true);
  });

  test('an unchanged body is not written again', async () => {
    thread.comments.push(ours(5, scoutBody('same')));
    const result = await upsertComment(octokit, target, scoutBody('same'), { logger });
    expect(result).toMatchObject({ id: 5, created: false, changed: false });
    expect(calls('PATCH')).toHaveLength(0);
    expect(calls('POST')).toHaveLength(0);
  });

  test("a person's comment that carries our marker is never edited or deleted", async () => {
    const pasted = person(3, `I copied this from the bot:\n${marker('{"issue":7}')}`);
    // A comment a person made through the app with their own token, and another app's bot.
    const viaApp: StoredComment = { ...person(4, `${marker()}\n`, 'grace'), performed_via_github_app: { id: APP_ID } };
    const otherBot: StoredComment = { id: 6, body: `${marker()}\n`, user: { login: 'other-bot[bot]', type: 'Bot' }, performed_via_github_app: { id: 99 } };
    thread.comments.push(pasted, viaApp, otherBot);
    expect(await findOwnComment(octokit, target)).toBeUndefined();

    const result = await upsertComment(octokit, target, scoutBody('mine'), { logger });
    expect(result.created).toBe(true);
    expect(thread.comments.slice(0, 3)).toEqual([pasted, viaApp, otherBot]);
    expect(calls('PATCH')).toHaveLength(0);
    expect(calls('DELETE')).toHaveLength(0);
    expect(calls('POST')).toHaveLength(1);
  });

  test('authorship: app id, bot login, or any bot when neither is known — never a person', () => {
    const bot = { user: { login: BOT, type: 'Bot' }, performed_via_github_app: { id: APP_ID } };
    expect(writtenByApp(bot, { appId: APP_ID })).toBe(true);
    expect(writtenByApp(bot, { appId: 1 })).toBe(false);
    expect(writtenByApp({ user: { login: 'Repo-Scout[bot]', type: 'Bot' } }, { botLogin: BOT })).toBe(true);
    expect(writtenByApp({ user: { login: 'other[bot]', type: 'Bot' } }, { botLogin: BOT })).toBe(false);
    expect(writtenByApp({ user: { login: 'other[bot]', type: 'Bot' } }, {})).toBe(true);
    expect(writtenByApp({ user: { login: 'ada', type: 'User' } }, {})).toBe(false);
    expect(writtenByApp({ user: null }, {})).toBe(false);
  });

  test('finds our comment beyond the first page of comments', async () => {
    for (let id = 1; id <= 150; id += 1) thread.comments.push(person(id, `comment ${id}`));
    thread.comments.push(ours(151, scoutBody('old')));
    expect((await findOwnComment(octokit, target))?.id).toBe(151);
    const result = await upsertComment(octokit, target, scoutBody('new'), { logger });
    expect(result).toMatchObject({ id: 151, created: false, changed: true });
    expect(calls('POST')).toHaveLength(0);
    expect(calls('GET', /page=2/).length).toBeGreaterThan(0);
  });

  test('duplicate own comments collapse to the oldest, which gets the new body', async () => {
    thread.comments.push(person(1, `quoting ${marker()}`), ours(10, scoutBody('first')), ours(11, scoutBody('second')), ours(12, scoutBody('third')));
    const result = await upsertComment(octokit, target, scoutBody('now'), { logger });
    expect(result).toMatchObject({ id: 10, created: false, changed: true });
    expect(thread.comments.map((comment) => comment.id)).toEqual([1, 10]);
    expect(thread.comments[1].body).toBe(scoutBody('now'));
    expect(calls('DELETE').map((request) => request.url)).toEqual([
      '/api/v3/repos/acme/shop/issues/comments/11',
      '/api/v3/repos/acme/shop/issues/comments/12',
    ]);
  });

  test('a job that raced another keeps the older comment and deletes the one it just posted', async () => {
    // The other job posts between our listing and our POST.
    thread.beforePost = () => {
      thread.comments.push(ours(thread.nextId++, scoutBody('from the other job')));
      thread.beforePost = undefined;
    };
    const result = await upsertComment(octokit, target, scoutBody('from this job'), { logger });
    expect(result).toMatchObject({ id: 1_000, created: false });
    expect(thread.comments).toEqual([ours(1_000, scoutBody('from this job'))]);
    expect(calls('POST')).toHaveLength(1);
    expect(calls('DELETE').map((request) => request.url)).toEqual(['/api/v3/repos/acme/shop/issues/comments/1001']);
  });

  test('a remembered id is edited directly; when it is gone (404) the comment is found or created', async () => {
    thread.comments.push(ours(20, scoutBody('old')));
    const direct = await upsertComment(octokit, { ...target, commentId: 20 }, scoutBody('by id'), { logger });
    expect(direct).toMatchObject({ id: 20, created: false });
    expect(calls('GET')).toHaveLength(0); // no listing needed

    github.requests.length = 0;
    const found = await upsertComment(octokit, { ...target, commentId: 999 }, scoutBody('after 404'), { logger });
    expect(found).toMatchObject({ id: 20, created: false });
    expect(calls('PATCH').map((request) => request.url)).toEqual([
      '/api/v3/repos/acme/shop/issues/comments/999',
      '/api/v3/repos/acme/shop/issues/comments/20',
    ]);

    thread.comments.length = 0; // someone deleted it
    github.requests.length = 0;
    const recreated = await upsertComment(octokit, { ...target, commentId: 20 }, scoutBody('recreated'), { logger });
    expect(recreated.created).toBe(true);
    expect(thread.comments).toEqual([ours(recreated.id, scoutBody('recreated'))]);
    expect(calls('POST')).toHaveLength(1);
  });

  test('other failures are not mistaken for a missing comment', async () => {
    github.json('PATCH', '/repos/acme/shop/issues/comments/:id', { message: 'Server Error' }, 500);
    await expect(upsertComment(octokit, { ...target, commentId: 20 }, scoutBody('x'), { logger })).rejects.toMatchObject({ status: 500 });
    expect(calls('POST')).toHaveLength(0);
  });
});

describe('CommentUpserter', () => {
  test('with a Probot octokit: remembers the comment, edits it by id, and skips unchanged bodies without a request', async () => {
    const ProbotClient = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
    const probot = new ProbotClient({ auth: { token: TOKEN }, baseUrl: github.apiUrl, log: logger });
    const upserter = new CommentUpserter(probot, { botLogin: BOT, appId: APP_ID, logger });
    const issue = { owner: 'acme', repo: 'shop', issue_number: 7 };

    const created = await upserter.upsert(issue, scoutBody('locate'));
    expect(created.created).toBe(true);
    const requestsAfterCreate = github.requests.length; // list, post, list again

    const edited = await upserter.upsert(issue, scoutBody('related'));
    expect(edited).toMatchObject({ id: created.id, created: false, changed: true });
    expect(github.requests.slice(requestsAfterCreate).map((request) => request.method)).toEqual(['PATCH']);

    const unchanged = await upserter.upsert(issue, scoutBody('related'));
    expect(unchanged).toMatchObject({ id: created.id, changed: false, url: created.url });
    expect(github.requests).toHaveLength(requestsAfterCreate + 1);
    expect(thread.comments).toEqual([ours(created.id, scoutBody('related'))]);
  });
});
