import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, test } from 'vitest';
import { readReactions, type ReactionsOctokit } from '../../src/app/reactions.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';

const TOKEN = 'ghs_installation';
const logger = pino({ level: 'silent' });
const ROUTE = '/repos/:owner/:repo/issues/comments/:comment_id/reactions';

const github = new FakeGitHub({ token: TOKEN });
let octokit: Octokit;

beforeAll(async () => {
  await github.start();
  octokit = new Octokit({ baseUrl: github.apiUrl, auth: TOKEN, request: { retries: 0 }, log: logger });
});
afterEach(() => github.assertNoUnexpected());
afterAll(() => github.stop());

const reaction = (id: number, content: string) => ({ id, content, user: { login: `user${id}` } });

describe('readReactions', () => {
  test('accepts the octokits the app and the tests build (checked by the type checker)', () => {
    expectTypeOf<InstanceType<typeof ProbotOctokit>>().toExtend<ReactionsOctokit>();
    expectTypeOf<Octokit>().toExtend<ReactionsOctokit>();
  });

  test('counts thumbs up and down over every page, ignoring other reactions', async () => {
    const pages = [
      [reaction(1, '+1'), reaction(2, 'heart'), reaction(3, '-1')],
      [reaction(4, '+1'), reaction(5, '+1'), reaction(6, 'rocket')],
    ];
    const route = github.on('GET', ROUTE, (request) => {
      const page = Number(request.query.get('page') ?? 1);
      const headers: Record<string, string> = page < pages.length ? { link: `<${github.apiUrl}${request.path}?per_page=100&page=${page + 1}>; rel="next"` } : {};
      return { body: pages[page - 1], headers };
    });
    expect(await readReactions(octokit, { owner: 'acme', repo: 'shop', comment_id: 77 })).toEqual({ up: 3, down: 1 });
    expect(route.calls.map((call) => [call.params.comment_id, call.query.get('per_page'), call.query.get('page')])).toEqual([
      ['77', '100', null],
      ['77', '100', '2'],
    ]);
  });

  test('no reactions is zero of each', async () => {
    github.json('GET', ROUTE, []);
    expect(await readReactions(octokit, { owner: 'acme', repo: 'shop', comment_id: 78 })).toEqual({ up: 0, down: 0 });
  });

  test('a deleted comment (404) is undefined, not zero; other failures are thrown', async () => {
    github.json('GET', ROUTE, { message: 'Not Found' }, 404);
    expect(await readReactions(octokit, { owner: 'acme', repo: 'shop', comment_id: 79 })).toBeUndefined();
    github.json('GET', ROUTE, { message: 'Server Error' }, 502);
    await expect(readReactions(octokit, { owner: 'acme', repo: 'shop', comment_id: 79 })).rejects.toMatchObject({ status: 502 });
  });

  test('works with a Probot octokit', async () => {
    const ProbotClient = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
    const probot = new ProbotClient({ auth: { token: TOKEN }, baseUrl: github.apiUrl, log: logger });
    github.json('GET', ROUTE, [reaction(1, '-1'), reaction(2, '-1')]);
    expect(await readReactions(probot, { owner: 'acme', repo: 'shop', comment_id: 80 })).toEqual({ up: 0, down: 2 });
  });
});
