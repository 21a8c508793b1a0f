import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, test } from 'vitest';
import { loadRepoConfig, RepoConfigCache, type ConfigOctokit } from '../../src/app/repo-config-loader.ts';
import { DEFAULT_REPO_CONFIG } from '../../src/config/repo-config.ts';
import { FakeGitHub, type FakeResponse } from '../helpers/fake-github.ts';

const TOKEN = 'ghs_installation';
const logger = pino({ level: 'silent' });
const SHA = '3f2c1e0aa4b5c6d7e8f90123456789abcdef0123';
const CONFIG_ROUTE = '/repos/:owner/:repo/contents/:path';

const github = new FakeGitHub({ token: TOKEN });
let octokit: Octokit;

const base64File = (text: string): FakeResponse => ({
  body: { type: 'file', encoding: 'base64', size: Buffer.byteLength(text), name: 'scout.yml', path: '.github/scout.yml', content: Buffer.from(text).toString('base64') },
});

beforeAll(async () => {
  await github.start();
  octokit = new Octokit({ baseUrl: github.apiUrl, auth: TOKEN, request: { retries: 0 }, log: logger });
});
beforeEach(() => {
  github.requests.length = 0;
});
afterEach(() => github.assertNoUnexpected());
afterAll(() => github.stop());

describe('loadRepoConfig', () => {
  test('accepts the octokits the app and the tests build (checked by the type checker)', () => {
    expectTypeOf<InstanceType<typeof ProbotOctokit>>().toExtend<ConfigOctokit>();
    expectTypeOf<Octokit>().toExtend<ConfigOctokit>();
  });

  test('reads .github/scout.yml (base64 content) at the given ref', async () => {
    const route = github.on('GET', CONFIG_ROUTE, base64File('comment: always\nmax_files: 3\nskip_labels: [wontfix]\n'));
    const loaded = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: SHA }, { logger });
    expect(loaded.source).toBe('file');
    expect(loaded.warning).toBeUndefined();
    expect(loaded.config).toMatchObject({ comment: 'always', max_files: 3, skip_labels: ['wontfix'], confidence_threshold: 0.35 });
    expect(route.calls.map((call) => [call.params.owner, call.params.repo, call.params.path, call.query.get('ref')])).toEqual([
      ['acme', 'shop', '.github/scout.yml', SHA],
    ]);
  });

  test('reads a raw answer too', async () => {
    github.on('GET', CONFIG_ROUTE, { body: 'max_files: 2\n', headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } });
    const loaded = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger });
    expect(loaded).toMatchObject({ source: 'file', config: { max_files: 2 } });
    expect(loaded.warning).toBeUndefined();
  });

  test('no file (404) means the defaults, quietly', async () => {
    const route = github.json('GET', CONFIG_ROUTE, { message: 'Not Found' }, 404);
    const loaded = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger });
    expect(loaded).toEqual({ config: DEFAULT_REPO_CONFIG, source: 'default' });
    expect(route.calls[0].query.has('ref')).toBe(false);
  });

  test('broken YAML: the defaults, and a warning with the line', async () => {
    github.on('GET', CONFIG_ROUTE, base64File('comment: always\nmax_files: [3\n'));
    const loaded = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger });
    expect(loaded.source).toBe('file');
    expect(loaded.config).toEqual(DEFAULT_REPO_CONFIG);
    expect(loaded.warning).toMatch(/YAML syntax error at line \d+/);
  });

  test('a server error: the defaults, and a warning that the file could not be read', async () => {
    github.json('GET', CONFIG_ROUTE, { message: 'Server Error' }, 500);
    const loaded = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger });
    expect(loaded).toEqual({
      config: DEFAULT_REPO_CONFIG,
      source: 'default',
      warning: '`.github/scout.yml` could not be read (GitHub answered HTTP 500), so the default settings are used.',
    });
  });

  test('a folder or an oversized file is not a config: defaults and a warning', async () => {
    github.json('GET', CONFIG_ROUTE, [{ type: 'file', name: 'a.yml' }]);
    expect((await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger })).warning).toContain('it is a folder');
    github.json('GET', CONFIG_ROUTE, { type: 'file', encoding: 'none', size: 2_000_000, content: '' });
    const large = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop' }, { logger });
    expect(large).toMatchObject({ source: 'default', config: DEFAULT_REPO_CONFIG });
    expect(large.warning).toContain('too large');
  });

  test('with a cache, a commit sha is read once; branch names and failures are never cached', async () => {
    const cache = new RepoConfigCache();
    const route = github.on('GET', CONFIG_ROUTE, base64File('max_files: 4\n'));
    const first = await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: SHA }, { cache, logger });
    first.config.max_files = 9; // a caller changing its copy does not change the cache
    const second = await loadRepoConfig(octokit, { owner: 'Acme', repo: 'Shop', ref: SHA }, { cache, logger });
    expect(second.config.max_files).toBe(4);
    expect(route.calls).toHaveLength(1);

    await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: 'main' }, { cache, logger });
    await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: 'main' }, { cache, logger });
    expect(route.calls).toHaveLength(3);

    const failing = github.json('GET', CONFIG_ROUTE, { message: 'Server Error' }, 502);
    const other = 'b'.repeat(40);
    await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: other }, { cache, logger });
    await loadRepoConfig(octokit, { owner: 'acme', repo: 'shop', ref: other }, { cache, logger });
    expect(failing.calls).toHaveLength(2);
  });

  test('works with a Probot octokit', async () => {
    const ProbotClient = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
    const probot = new ProbotClient({ auth: { token: TOKEN }, baseUrl: github.apiUrl, log: logger });
    github.on('GET', CONFIG_ROUTE, base64File('model: false\n'));
    expect(await loadRepoConfig(probot, { owner: 'acme', repo: 'shop' }, { logger })).toMatchObject({ source: 'file', config: { model: false } });
  });
});
