import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RepositoryError } from '../../src/errors.ts';
import {
  apiBaseUrl,
  cloneUrl,
  mirrorDir,
  redactToken,
  remoteUrl,
  syncRepository,
  type SyncOptions,
} from '../../src/scm/github-clone.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { addMergedBranch, git, makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { GitHttpServer } from '../helpers/git-http-server.ts';

const TOKEN = 'ghs_s3cretInstallationToken42';
const silent = pino({ level: 'silent' });

/** The number of commits a commit-graph file holds: the last entry of its OID fanout chunk (git's commit-graph format). */
function commitGraphSize(data: Buffer): number {
  expect(data.subarray(0, 4).toString('latin1')).toBe('CGPH');
  const chunks = data[6]!;
  for (let i = 0; i < chunks; i += 1) {
    const entry = 8 + i * 12;
    if (data.subarray(entry, entry + 4).toString('latin1') === 'OIDF') return data.readUInt32BE(Number(data.readBigUInt64BE(entry + 4)) + 255 * 4);
  }
  throw new Error('commit-graph without an OID fanout chunk');
}

describe('URLs and paths', () => {
  test('github.com and GitHub Enterprise Server', () => {
    expect(cloneUrl({ owner: 'acme', repo: 'shop', token: 'ghs_abc' })).toBe('https://x-access-token:ghs_abc@github.com/acme/shop.git');
    expect(cloneUrl({ owner: 'acme', repo: 'shop', token: 'ghs_abc', gheHost: 'ghe.example.com', gheProtocol: 'http' })).toBe(
      'http://x-access-token:ghs_abc@ghe.example.com/acme/shop.git',
    );
    expect(cloneUrl({ owner: 'acme', repo: 'shop', token: 'a/b@c', gheHost: 'ghe.example.com:8443' })).toBe(
      'https://x-access-token:a%2Fb%40c@ghe.example.com:8443/acme/shop.git',
    );
    expect(apiBaseUrl()).toBe('https://api.github.com');
    expect(apiBaseUrl({ gheHost: 'ghe.example.com' })).toBe('https://ghe.example.com/api/v3');
    expect(apiBaseUrl({ gheHost: 'https://ghe.example.com/', gheProtocol: 'http' })).toBe('http://ghe.example.com/api/v3');
    expect(remoteUrl({ owner: 'acme', repo: 'shop.js' })).toBe('https://github.com/acme/shop.js.git');
  });

  test('the clone lives at <dataDir>/repos/<owner>+<name>.git; names that could escape it are refused', () => {
    expect(mirrorDir('/data', { owner: 'acme', repo: 'shop' })).toBe(path.join('/data', 'repos', 'acme+shop.git'));
    for (const [owner, repo] of [
      ['acme', '..'],
      ['..', 'shop'],
      ['acme', 'a/b'],
      ['ac me', 'shop'],
      ['acme', ''],
    ]) {
      expect(() => mirrorDir('/data', { owner, repo })).toThrow(RepositoryError);
    }
  });

  test('redactToken removes the token in every form git could print it', () => {
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const text = `url https://x-access-token:${TOKEN}@h/x.git header Authorization: Basic ${basic} encoded ${encodeURIComponent('t/k')}`;
    const redacted = redactToken(text, TOKEN);
    expect(redacted).not.toContain(TOKEN);
    expect(redacted).not.toContain(basic);
    expect(redactToken('see t%2Fk', 't/k')).toBe('see ***');
  });
});

describe('syncRepository over git smart HTTP', () => {
  const gitServer = new GitHttpServer({ token: TOKEN });
  const github = new FakeGitHub();
  let fixture: FixtureRepo;
  let scratch: string;
  let counter = 0;

  beforeAll(async () => {
    fixture = await makeRepo([
      { files: { 'README.md': '# shop\n', 'src/pricing.py': 'def total():\n    return 1\n' }, message: 'first' },
      { files: { 'src/pricing.py': 'def total():\n    return 2\n' }, message: 'second' },
    ]);
    await gitServer.addRepo('acme', 'shop', fixture.dir);
    github.mountGit(gitServer);
    await github.start();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'scout-clone-test-'));
  });
  afterEach(() => {
    gitServer.token = TOKEN;
    github.assertNoUnexpected();
  });
  afterAll(async () => {
    await github.stop();
    await gitServer.stop();
    await fixture.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  const newDataDir = async () => {
    counter += 1;
    const dir = path.join(scratch, `data-${counter}`);
    await mkdir(dir);
    return dir;
  };
  const options = (dataDir: string, extra: Partial<SyncOptions> = {}): SyncOptions => ({
    owner: 'acme',
    repo: 'shop',
    token: TOKEN,
    dataDir,
    gheHost: github.host,
    gheProtocol: 'http',
    logger: silent,
    ...extra,
  });
  const failure = async (promise: Promise<unknown>): Promise<RepositoryError> => {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(RepositoryError);
      return error as RepositoryError;
    }
    throw new Error('expected the sync to fail');
  };
  /** Everything git keeps about the clone's configuration, plus each error's cause chain, as one string. */
  /** Commits in the clone's commit-graph (all layers), from the files' headers. */
  const commitGraphCommits = async (gitDir: string): Promise<number> => {
    const info = path.join(gitDir, 'objects', 'info');
    const chain = await readFile(path.join(info, 'commit-graphs', 'commit-graph-chain'), 'utf8').catch(() => '');
    const files = [
      ...(await readdir(info)).filter((name) => name === 'commit-graph').map((name) => path.join(info, name)),
      ...chain.split('\n').filter(Boolean).map((hash) => path.join(info, 'commit-graphs', `graph-${hash}.graph`)),
    ];
    let commits = 0;
    for (const file of files) commits += commitGraphSize(await readFile(file));
    return commits;
  };
  const cloneConfig = async (gitDir: string) => (await readFile(path.join(gitDir, 'config'), 'utf8')) + (await git(gitDir, ['config', '--list', '--show-origin']));
  const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

  test('clones with the right token into a bare repository whose config holds no credentials', async () => {
    const dataDir = await newDataDir();
    const before = gitServer.requests.length;
    const result = await syncRepository(options(dataDir));
    expect(result).toEqual({
      gitDir: mirrorDir(dataDir, { owner: 'acme', repo: 'shop' }),
      cloned: true,
      fetched: true,
      branch: 'main',
      head: fixture.shas[1],
      commit: undefined,
    });
    expect((await git(result.gitDir, ['rev-parse', '--is-bare-repository'])).trim()).toBe('true');
    expect((await git(result.gitDir, ['show', `${fixture.shas[1]}:src/pricing.py`]))).toContain('return 2');
    const served = gitServer.requests.slice(before);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((request) => request.authorized && request.user === 'x-access-token')).toBe(true);

    const config = await cloneConfig(result.gitDir);
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(basic);
    expect(config).not.toMatch(/extraheader/i);
    expect((await git(result.gitDir, ['config', 'remote.origin.url'])).trim()).toBe(`http://${github.host}/acme/shop.git`);
    // No temporary clone folder is left beside it.
    expect(await readdir(path.dirname(result.gitDir))).toEqual(['acme+shop.git']);
    // History walks read git's commit-graph.
    expect(await commitGraphCommits(result.gitDir)).toBe(2);
  });

  test('a later sync fetches the new commits of the default branch', async () => {
    const dataDir = await newDataDir();
    const first = await syncRepository(options(dataDir));
    expect(first.head).toBe(fixture.shas[1]);

    const { branchShas, mergeSha } = await addMergedBranch(
      fixture,
      'fix-total',
      [{ files: { 'src/pricing.py': 'def total():\n    return 3\n' }, message: 'fix total' }],
      { message: 'Merge pull request #7 from acme/fix-total' },
    );
    await gitServer.updateRepo('acme', 'shop', fixture.dir);

    const second = await syncRepository(options(dataDir));
    expect(second).toMatchObject({ cloned: false, fetched: true, branch: 'main', head: mergeSha });
    expect((await git(second.gitDir, ['cat-file', '-t', branchShas[0]])).trim()).toBe('commit');
    // The fetch added the new commits (the branch's and the merge) to the commit-graph.
    expect(await commitGraphCommits(second.gitDir)).toBe(4);
    const config = await cloneConfig(second.gitDir);
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(basic);
  });

  test('a commit already in the clone needs no network', async () => {
    const dataDir = await newDataDir();
    await syncRepository(options(dataDir));
    const before = gitServer.requests.length;
    const result = await syncRepository(options(dataDir, { commit: fixture.shas[0] }));
    expect(result).toMatchObject({ cloned: false, fetched: false, commit: fixture.shas[0], branch: 'main' });
    expect(gitServer.requests.length).toBe(before);
  });

  test('a commit that is on no fetched branch is fetched by its sha and kept under a ref', async () => {
    const dataDir = await newDataDir();
    await syncRepository(options(dataDir));
    await git(fixture.dir, ['checkout', '-q', '-b', 'experiment']);
    await git(fixture.dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', 'experiment'], {
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_AUTHOR_DATE: '@1714000000 +0000',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
      GIT_COMMITTER_DATE: '@1714000000 +0000',
    });
    const experiment = (await git(fixture.dir, ['rev-parse', 'HEAD'])).trim();
    await git(fixture.dir, ['checkout', '-q', 'main']);
    await gitServer.updateRepo('acme', 'shop', fixture.dir);

    const result = await syncRepository(options(dataDir, { commit: experiment }));
    expect(result).toMatchObject({ fetched: true, commit: experiment, branch: 'main' });
    expect((await git(result.gitDir, ['rev-parse', `refs/scout/commits/${experiment}`])).trim()).toBe(experiment);
    // HEAD still follows the default branch.
    expect((await git(result.gitDir, ['symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/main');

    const missing = await failure(syncRepository(options(dataDir, { commit: 'f'.repeat(40) })));
    expect(missing.message).toContain(`Commit ${'f'.repeat(40)} is not in acme/shop`);
  });

  test('an explicit branch is cloned and followed', async () => {
    const dataDir = await newDataDir();
    const tip = (await git(fixture.dir, ['rev-parse', 'experiment'])).trim();
    const result = await syncRepository(options(dataDir, { branch: 'experiment' }));
    expect(result).toMatchObject({ cloned: true, branch: 'experiment', head: tip });
    // A clone that follows main, asked for another branch with a commit it already has: the branch is fetched.
    const other = await newDataDir();
    await syncRepository(options(other));
    const switched = await syncRepository(options(other, { branch: 'experiment', commit: fixture.shas[0] }));
    expect(switched).toMatchObject({ cloned: false, fetched: true, branch: 'experiment', head: tip });

    const missing = await failure(syncRepository(options(dataDir, { branch: 'no-such-branch' })));
    expect(missing.message).toContain('Branch "no-such-branch" does not exist in acme/shop');
  });

  test('a wrong token fails with a clear error that does not contain the token, and leaves nothing behind', async () => {
    const dataDir = await newDataDir();
    const wrong = 'ghs_wrongTokenValue123';
    const error = await failure(syncRepository(options(dataDir, { token: wrong })));
    expect(error.message).toContain('refused the installation token for acme/shop (401)');
    const everything = `${error.message}\n${String((error.cause as Error | undefined)?.message)}\n${error.stack}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(Buffer.from(`x-access-token:${wrong}`).toString('base64'));
    expect(gitServer.requests.at(-1)).toMatchObject({ authorized: false, status: 401, user: 'x-access-token' });
    expect(await readdir(path.join(dataDir, 'repos'))).toEqual([]);
  });

  test('a token revoked after the clone fails the fetch; the clone stays usable and clean', async () => {
    const dataDir = await newDataDir();
    const first = await syncRepository(options(dataDir));
    gitServer.token = 'ghs_rotated';
    const error = await failure(syncRepository(options(dataDir)));
    expect(error.message).toContain('refused the installation token');
    expect(error.message).not.toContain(TOKEN);
    expect(String((error.cause as Error).message)).not.toContain(TOKEN);
    expect((await git(first.gitDir, ['rev-parse', 'HEAD'])).trim()).toBe(first.head);
    const config = await cloneConfig(first.gitDir);
    expect(config).not.toContain(TOKEN);
  });

  test('a repository the app cannot see says so', async () => {
    const error = await failure(syncRepository(options(await newDataDir(), { repo: 'secret' })));
    expect(error.message).toContain('The app cannot see acme/secret: is it installed there');
    expect(error.message).not.toContain(TOKEN);
  });

  test('an unreachable host says which host and what to check', async () => {
    const error = await failure(syncRepository(options(await newDataDir(), { gheHost: '127.0.0.1:1' })));
    expect(error.message).toContain('Cannot reach 127.0.0.1:1');
    expect(error.message).toContain('GHE_HOST');
  });

  test('bad shas and branch names are refused before git runs', async () => {
    const dataDir = await newDataDir();
    const before = gitServer.requests.length;
    expect((await failure(syncRepository(options(dataDir, { commit: 'HEAD~1' })))).message).toContain('not a full commit sha');
    for (const branch of ['--upload-pack=evil', 'a..b', 'x:y', 'with space', 'x.lock']) {
      expect((await failure(syncRepository(options(dataDir, { branch })))).message).toContain('not a valid branch name');
    }
    expect(gitServer.requests.length).toBe(before);
  });

  test('two syncs of one repository at once: one clones, the other waits and fetches', async () => {
    const dataDir = await newDataDir();
    const [a, b] = await Promise.all([syncRepository(options(dataDir)), syncRepository(options(dataDir))]);
    expect([a.cloned, b.cloned].sort()).toEqual([false, true]);
    expect(a.head).toBe(b.head);
  });

  test('a broken folder where the clone should be (an interrupted run) is replaced', async () => {
    const dataDir = await newDataDir();
    const target = mirrorDir(dataDir, { owner: 'acme', repo: 'shop' });
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'HEAD'), 'garbage');
    const result = await syncRepository(options(dataDir));
    expect(result.cloned).toBe(true);
    expect(result.head).toMatch(/^[0-9a-f]{40}$/);
  });

  test('logs (debug level included) never carry the token', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const dataDir = await newDataDir();
    await syncRepository(options(dataDir, { logger }));
    await syncRepository(options(dataDir, { logger }));
    await failure(syncRepository(options(dataDir, { logger, token: 'ghs_badbadbad' })));
    const logged = lines.join('');
    expect(logged).toContain('cloned repository');
    expect(logged).toContain('synced repository');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('ghs_badbadbad');
    expect(logged).not.toContain(basic);
  });

  test('the documented token URL works with plain git against the same server', async () => {
    const target = path.join(scratch, 'plain-clone.git');
    await git(scratch, ['clone', '-q', '--bare', cloneUrl({ owner: 'acme', repo: 'shop', token: TOKEN, gheHost: github.host, gheProtocol: 'http' }), target]);
    expect((await git(target, ['rev-parse', 'refs/heads/main'])).trim()).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('syncRepository timeouts', () => {
  const hanging = new FakeGitHub({ apiPrefix: '' });
  let dataDir: string;

  beforeAll(async () => {
    hanging.on('GET', '/:owner/:repo/info/refs', { hang: true });
    await hanging.start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-clone-timeout-'));
  });
  afterAll(async () => {
    await hanging.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const sync = (extra: Partial<SyncOptions>) =>
    syncRepository({ owner: 'acme', repo: 'slow', token: TOKEN, dataDir, gheHost: hanging.host, gheProtocol: 'http', logger: silent, ...extra });

  test('a server that stops answering is given up on after the stall timeout', async () => {
    const started = Date.now();
    const error = await sync({ stallTimeoutMs: 400 }).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error).toBeInstanceOf(RepositoryError);
    expect(error!.message).toContain('git clone of acme/slow made no progress for 400 ms');
    expect(error!.message).not.toContain(TOKEN);
    expect(Date.now() - started).toBeLessThan(10_000);
    hanging.assertNoUnexpected();
  });

  test('the whole sync has a deadline', async () => {
    const error = await sync({ timeoutMs: 400, stallTimeoutMs: 60_000 }).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error).toBeInstanceOf(RepositoryError);
    expect(error!.message).toContain('did not finish within 400 ms');
    expect(await readdir(path.join(dataDir, 'repos'))).toEqual([]);
  });
});
