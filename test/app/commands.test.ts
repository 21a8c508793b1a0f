import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { canUseCommand, helpText, MAX_GUIDANCE_CHARS, parseCommand, refusalText } from '../../src/app/commands.ts';
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from '../../src/config/repo-config.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';

describe('parseCommand', () => {
  test('`/scout` alone, in any case, with leading whitespace, anywhere in the comment', () => {
    expect(parseCommand('/scout')).toEqual({ kind: 'run' });
    expect(parseCommand('/SCOUT')).toEqual({ kind: 'run' });
    expect(parseCommand('   /Scout   ')).toEqual({ kind: 'run' });
    expect(parseCommand('Thanks!\n\n/scout\n')).toEqual({ kind: 'run' });
    expect(parseCommand('Thanks!\r\n\t/scout\r\n')).toEqual({ kind: 'run' });
  });

  test('not a command: other words, mid-line mentions, quotes, code blocks, HTML comments', () => {
    expect(parseCommand('/scouting around')).toBeUndefined();
    expect(parseCommand('/scout-please')).toBeUndefined();
    expect(parseCommand('/scouts')).toBeUndefined();
    expect(parseCommand('please run /scout')).toBeUndefined();
    expect(parseCommand('> /scout')).toBeUndefined();
    expect(parseCommand('  >  /scout the old hint')).toBeUndefined();
    expect(parseCommand('```\n/scout\n```')).toBeUndefined();
    expect(parseCommand('~~~sh\n/scout help\n~~~')).toBeUndefined();
    expect(parseCommand('````\n```\n/scout\n```\n````')).toBeUndefined(); // a longer fence holds a shorter one
    expect(parseCommand('<!--\n/scout\n-->')).toBeUndefined();
    expect(parseCommand('<!-- /scout -->')).toBeUndefined();
    expect(parseCommand('')).toBeUndefined();
    // The bot's own comment mentions the command in its footer; that must not trigger a run.
    expect(parseCommand('<sub>`/scout` to re-run, `/scout <hint>` to steer</sub>')).toBeUndefined();
  });

  test('a command after a closed code block or quote still counts', () => {
    expect(parseCommand('```\n/scout\n```\n/scout')).toEqual({ kind: 'run' });
    expect(parseCommand('> /scout old\n\n/scout new hint')).toEqual({ kind: 'run', guidance: 'new hint' });
  });

  test('help', () => {
    expect(parseCommand('/scout help')).toEqual({ kind: 'help' });
    expect(parseCommand('/scout HELP  ')).toEqual({ kind: 'help' });
    expect(parseCommand('/scout help me find the CSV bug')).toEqual({ kind: 'run', guidance: 'help me find the CSV bug' });
  });

  test('guidance: the rest of the line and the following lines up to a blank line, trimmed', () => {
    expect(parseCommand('/scout   look at the CSV export  ')).toEqual({ kind: 'run', guidance: 'look at the CSV export' });
    expect(parseCommand('/scout look at export.ts\n  it broke after #41\n\nunrelated text')).toEqual({
      kind: 'run',
      guidance: 'look at export.ts\nit broke after #41',
    });
    expect(parseCommand('/scout\nthe parser, not the lexer\n\nbye')).toEqual({ kind: 'run', guidance: 'the parser, not the lexer' });
    expect(parseCommand('/scout hint\n```\ncode\n```')).toEqual({ kind: 'run', guidance: 'hint' });
  });

  test('the first command wins', () => {
    expect(parseCommand('/scout first\n\n/scout second')).toEqual({ kind: 'run', guidance: 'first' });
  });

  test(`guidance is capped at ${MAX_GUIDANCE_CHARS} characters, never splitting an emoji`, () => {
    const long = parseCommand(`/scout ${'a'.repeat(5_000)}`);
    expect(long).toEqual({ kind: 'run', guidance: 'a'.repeat(MAX_GUIDANCE_CHARS) });
    const emoji = parseCommand(`/scout ${'a'.repeat(MAX_GUIDANCE_CHARS - 1)}😀 tail`);
    expect(emoji).toEqual({ kind: 'run', guidance: 'a'.repeat(MAX_GUIDANCE_CHARS - 1) });
  });
});

describe('canUseCommand against a fake GitHub', () => {
  const github = new FakeGitHub({ token: 'ghs_installation' });
  const Octokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
  let octokit: InstanceType<typeof ProbotOctokit>;
  const permissionPath = '/repos/:owner/:repo/collaborators/:username/permission';
  const withAuthor = (issueAuthor: boolean): RepoConfig => parseRepoConfig(`commands:\n  issue_author: ${issueAuthor}\n`).config;

  beforeAll(async () => {
    await github.start();
    octokit = new Octokit({ auth: { token: 'ghs_installation' }, baseUrl: github.apiUrl, log: pino({ level: 'silent' }) });
  });
  afterEach(() => github.assertNoUnexpected());
  afterAll(() => github.stop());

  const ask = (username: string, config: RepoConfig = DEFAULT_REPO_CONFIG, issueAuthor = 'reporter') =>
    canUseCommand(octokit, { owner: 'acme', repo: 'shop', username, issueAuthor, config, logger: pino({ level: 'silent' }) });

  test.each([
    ['admin', 'admin', 'admin'],
    ['write', 'write', 'write'],
    ['triage', 'read', 'triage'], // triage and maintain come only through role_name
    ['maintain', 'write', 'maintain'],
  ])('role %s (permission %s) is allowed by default', async (roleName, permission, role) => {
    const route = github.json('GET', permissionPath, { permission, role_name: roleName, user: { login: 'dev' } });
    expect(await ask('dev')).toEqual({ allowed: true, role });
    expect(route.calls.map((call) => call.params)).toEqual([{ owner: 'acme', repo: 'shop', username: 'dev' }]);
  });

  test('read access is refused', async () => {
    github.json('GET', permissionPath, { permission: 'read', role_name: 'read' });
    expect(await ask('reader')).toEqual({ allowed: false, role: 'read' });
  });

  test('a custom role counts as the built-in permission it is based on', async () => {
    github.json('GET', permissionPath, { permission: 'write', role_name: 'release-manager' });
    expect(await ask('releaser')).toEqual({ allowed: true, role: 'write' });
    github.json('GET', permissionPath, { permission: 'read', role_name: 'auditor' });
    expect(await ask('auditor')).toEqual({ allowed: false, role: 'read' });
  });

  test('only the roles the config lists are allowed', async () => {
    const adminsOnly = parseRepoConfig('commands:\n  allow: [admin]\n').config;
    github.json('GET', permissionPath, { permission: 'write', role_name: 'write' });
    expect(await ask('dev', adminsOnly)).toEqual({ allowed: false, role: 'write' });
    const readersToo = parseRepoConfig('commands:\n  allow: [read, write]\n').config;
    github.json('GET', permissionPath, { permission: 'read', role_name: 'read' });
    expect(await ask('reader', readersToo)).toEqual({ allowed: true, role: 'read' });
  });

  test('not a collaborator (404) is refused', async () => {
    github.json('GET', permissionPath, { message: 'Not Found' }, 404);
    expect(await ask('stranger')).toEqual({ allowed: false, role: 'none' });
    github.json('GET', permissionPath, { permission: 'none', role_name: 'none' });
    expect(await ask('stranger')).toEqual({ allowed: false, role: 'none' });
  });

  test('the issue author is allowed only when the config says so (case-insensitively), without a lookup', async () => {
    const route = github.json('GET', permissionPath, { message: 'Not Found' }, 404);
    expect(await ask('reporter', withAuthor(false))).toEqual({ allowed: false, role: 'none' });
    expect(route.calls).toHaveLength(1);
    expect(await ask('Reporter', withAuthor(true))).toEqual({ allowed: true, role: 'issue-author' });
    expect(route.calls).toHaveLength(1);
    // Someone else on the same issue still needs a role.
    expect(await ask('stranger', withAuthor(true))).toEqual({ allowed: false, role: 'none' });
    expect(route.calls).toHaveLength(2);
  });

  test('any other failure refuses and is logged, without the token', async () => {
    github.json('GET', permissionPath, { message: 'Server Error' }, 502);
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const result = await canUseCommand(octokit, { owner: 'acme', repo: 'shop', username: 'dev', config: DEFAULT_REPO_CONFIG, logger });
    expect(result).toEqual({ allowed: false });
    const logged = lines.join('');
    expect(logged).toContain('could not check the repository permission');
    expect(logged).toContain('"status":502');
    expect(logged).toContain('acme/shop');
    expect(logged).not.toContain('ghs_installation');
  });
});

describe('FakeGitHub fails closed', () => {
  test('an unregistered request or a wrong token is answered with an error and reported', async () => {
    const github = new FakeGitHub({ token: 'ghs_right' });
    await github.start();
    try {
      github.json('GET', '/repos/:owner/:repo', { full_name: 'acme/shop' });
      const Octokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
      const right = new Octokit({ auth: { token: 'ghs_right' }, baseUrl: github.apiUrl, log: pino({ level: 'silent' }) });
      const wrong = new Octokit({ auth: { token: 'ghs_wrong' }, baseUrl: github.apiUrl, log: pino({ level: 'silent' }) });
      expect((await right.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' })).data).toEqual({ full_name: 'acme/shop' });
      github.assertNoUnexpected();

      await expect(right.request('GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'shop' })).rejects.toMatchObject({ status: 599 });
      await expect(wrong.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' })).rejects.toMatchObject({ status: 401 });
      expect(() => github.assertNoUnexpected()).toThrow(
        /GET \/api\/v3\/repos\/acme\/shop\/issues → 599 \(no route[^\n]*\n\s+GET \/api\/v3\/repos\/acme\/shop → 401/,
      );
      expect(github.unexpected).toEqual([]);
    } finally {
      await github.stop();
    }
  });
});

describe('helpText and refusalText', () => {
  test('help lists the commands and who may use them under this config', () => {
    const text = helpText(DEFAULT_REPO_CONFIG);
    expect(text).toContain('`/scout`');
    expect(text).toContain('`/scout <hint>`');
    expect(text).toContain('`/scout help`');
    expect(text).toContain('triage, write, maintain or admin access');
    expect(text).toContain('confidence at least 0.35');
    expect(text).toContain('.github/scout.yml');
    expect(text).not.toContain('author of the issue');
    const open = parseRepoConfig('comment: always\ncommands:\n  allow: [admin]\n  issue_author: true\n').config;
    expect(helpText(open)).toContain('people with admin access to this repository, and the author of the issue');
    expect(helpText(open)).toContain('on every new issue');
  });

  test('the refusal is short, names the user without pinging them, and cannot be broken out of', () => {
    const text = refusalText('octo-cat');
    expect(text).toContain('`@octo-cat`');
    expect(text).not.toMatch(/(^|[^`])@octo-cat/);
    expect(text.length).toBeLessThan(200);
    expect(refusalText('evil`@admin`', DEFAULT_REPO_CONFIG)).toContain('`@eviladmin`');
    expect(refusalText('dev', DEFAULT_REPO_CONFIG)).toContain('triage, write, maintain or admin access');
  });
});
