import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepositoryError } from '../../src/errors.ts';
import { openGitRepo, openGitRepoAt, parseRawDiff, type Blob, type GitRepo } from '../../src/scm/git.ts';
import { setHelperThreshold, stopHelper } from '../../src/scm/launcher.ts';
import { cloneBare, git, makeRepo, type FixtureCommit, type FixtureRepo } from '../helpers/git-fixture.ts';

const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff, 0xfe, 0x0a, 0x00]);
const big = 'x'.repeat(99) + '\n';

describe('makeRepo fixture', () => {
  it('is deterministic: the same commits give the same shas', async () => {
    const spec: FixtureCommit[] = [
      { files: { 'a.txt': 'one\n' }, message: 'first' },
      { files: { 'a.txt': 'two\n', 'b/c.txt': 'three\n' }, message: 'second', author: { name: 'Ada', email: 'ada@example.com' } },
    ];
    const first = await makeRepo(spec);
    const second = await makeRepo(spec);
    try {
      expect(first.shas).toHaveLength(2);
      expect(first.shas).toEqual(second.shas);
      expect((await git(first.dir, ['log', '-1', '--format=%an <%ae> %ad %cd', '--date=iso-strict'])).trim()).toBe(
        'Ada <ada@example.com> 2024-01-02T00:00:00+00:00 2024-01-02T00:00:00+00:00',
      );
      expect((await git(first.dir, ['branch', '--show-current'])).trim()).toBe('main');
    } finally {
      await first.cleanup();
      await second.cleanup();
    }
  });

  it('applies renames, deletions, symlinks and explicit dates', async () => {
    const fixture = await makeRepo([
      { files: { 'old/name.txt': 'content\n', 'gone.txt': 'bye\n' }, message: 'add' },
      {
        files: { 'gone.txt': null },
        renames: { 'old/name.txt': 'new/place.txt' },
        symlinks: { 'link.txt': 'new/place.txt' },
        message: 'move',
        date: '2023-06-15T10:20:30Z',
      },
    ]);
    try {
      const tree = await git(fixture.dir, ['ls-tree', '-r', 'HEAD']);
      expect(tree).toContain('new/place.txt');
      expect(tree).not.toContain('gone.txt');
      expect(tree).not.toContain('old/name.txt');
      expect(tree).toMatch(/^120000 blob \w+\tlink\.txt$/m);
      expect((await git(fixture.dir, ['log', '-1', '--format=%at'])).trim()).toBe(String(Date.UTC(2023, 5, 15, 10, 20, 30) / 1000));
    } finally {
      await fixture.cleanup();
    }
  });
});

describe('openGitRepo', () => {
  let fixture: FixtureRepo;
  let bare: { dir: string; cleanup(): Promise<void> };
  let empty: string;

  beforeAll(async () => {
    fixture = await makeRepo([{ files: { 'src/a.ts': 'export const a = 1;\n' }, message: 'init' }]);
    bare = await cloneBare(fixture.dir);
    empty = await mkdtemp(path.join(os.tmpdir(), 'scout-not-a-repo-'));
  });
  afterAll(async () => {
    await fixture.cleanup();
    await bare.cleanup();
    await rm(empty, { recursive: true, force: true });
  });

  it('accepts a work tree, a folder inside it, its .git folder and a bare repository', async () => {
    const fromWorkTree = await openGitRepo(fixture.dir);
    expect(fromWorkTree.bare).toBe(false);
    expect(path.basename(fromWorkTree.gitDir)).toBe('.git');
    expect((await openGitRepo(path.join(fixture.dir, 'src'))).gitDir).toBe(fromWorkTree.gitDir);
    expect((await openGitRepo(path.join(fixture.dir, '.git'))).gitDir).toBe(fromWorkTree.gitDir);
    const fromBare = await openGitRepo(bare.dir);
    expect(fromBare.bare).toBe(true);
    expect(await fromBare.resolveCommit()).toBe(fixture.shas[0]);
  });

  it('says what to do when the path is not a repository or does not exist', async () => {
    await expect(openGitRepo(empty)).rejects.toThrow(RepositoryError);
    await expect(openGitRepo(empty)).rejects.toThrow(/not a git repository.*clone/i);
    await expect(openGitRepo(path.join(empty, 'missing'))).rejects.toThrow(/does not exist.*git clone/);
  });

  it('opens a repository and resolves a revision at once, with the errors of each', async () => {
    for (const dir of [fixture.dir, path.join(fixture.dir, 'src'), bare.dir]) {
      const { repo, commit } = await openGitRepoAt(dir, 'HEAD');
      expect(commit).toBe(fixture.shas[0]);
      expect(repo.gitDir).toBe((await openGitRepo(dir)).gitDir);
    }
    expect((await openGitRepoAt(fixture.dir, fixture.shas[0]!.slice(0, 10))).commit).toBe(fixture.shas[0]);
    await expect(openGitRepoAt(fixture.dir, 'no-such-branch')).rejects.toThrow(/Unknown commit "no-such-branch"/);
    await expect(openGitRepoAt(fixture.dir, '--output=/tmp/x')).rejects.toThrow(RepositoryError);
    await expect(openGitRepoAt(fixture.dir, 'a\nb')).rejects.toThrow(/is not a revision/);
    await expect(openGitRepoAt(empty, 'HEAD')).rejects.toThrow(/not a git repository.*clone/i);
    const noCommits = await mkdtemp(path.join(os.tmpdir(), 'scout-no-commits-'));
    try {
      await git(noCommits, ['init', '-q']);
      await expect(openGitRepoAt(noCommits, 'HEAD')).rejects.toThrow(/no commits yet/);
    } finally {
      await rm(noCommits, { recursive: true, force: true });
    }
  });
});

// The same behaviour whether git is started directly or by the process helper (see launcher.ts).
describe.each([
  ['started directly', Number.POSITIVE_INFINITY],
  ['started by the process helper', 0],
])('GitRepo, git %s', (_how, helperAbove) => {
  let previousThreshold: number;
  let fixture: FixtureRepo;
  let repo: GitRepo;
  const files = {
    'README.md': '# demo\n',
    'dir with space/ünïcödé ñame.txt': 'unicode path\n',
    'tab\tname.txt': 'tab in name\n',
    'src/main.ts': 'export function main() {}\n',
    'src/util.ts': 'export const util = 1;\n',
    'old.ts': 'export const old = "this file will be renamed and keeps its content";\n',
    'drop.txt': 'will be deleted\n',
    'assets/logo.png': binary,
    'big.txt': big.repeat(3000),
    'empty.txt': '',
  };

  beforeAll(async () => {
    previousThreshold = setHelperThreshold(helperAbove);
    fixture = await makeRepo([
      { files, message: 'init', symlinks: { 'link-to-readme': 'README.md' } },
      {
        files: {
          'src/main.ts': 'export function main() { return 1; }\n',
          'drop.txt': null,
          'added.ts': 'export const added = true;\n',
        },
        renames: { 'old.ts': 'lib/new.ts' },
        message: 'change things',
      },
    ]);
    repo = await openGitRepo(fixture.dir);
  });
  afterAll(async () => {
    setHelperThreshold(previousThreshold);
    stopHelper();
    await fixture.cleanup();
  });

  it('resolves revisions to full shas and rejects unknown ones', async () => {
    const [first, second] = fixture.shas as [string, string];
    expect(await repo.resolveCommit()).toBe(second);
    expect(await repo.resolveCommit('HEAD')).toBe(second);
    expect(await repo.resolveCommit('main')).toBe(second);
    expect(await repo.resolveCommit('HEAD~1')).toBe(first);
    expect(await repo.resolveCommit(first.slice(0, 10))).toBe(first);
    await expect(repo.resolveCommit('no-such-branch')).rejects.toThrow(RepositoryError);
    await expect(repo.resolveCommit('deadbeefdeadbeef')).rejects.toThrow(/Unknown commit.*fetch/);
    // Option-looking revisions are never read as options.
    await expect(repo.resolveCommit('--output=/tmp/x')).rejects.toThrow(RepositoryError);
    await expect(repo.listTree('0'.repeat(40))).rejects.toThrow(RepositoryError);
  });

  it('sees a branch move after the repository was opened', async () => {
    const moving = await makeRepo([{ files: { 'a.txt': 'a\n' }, message: 'one' }]);
    try {
      const opened = await openGitRepo(moving.dir);
      expect(await opened.resolveCommit('HEAD')).toBe(moving.shas[0]);
      await git(moving.dir, ['commit', '-q', '--allow-empty', '-m', 'two'], {
        GIT_AUTHOR_NAME: 'A',
        GIT_AUTHOR_EMAIL: 'a@example.com',
        GIT_COMMITTER_NAME: 'A',
        GIT_COMMITTER_EMAIL: 'a@example.com',
      });
      const head = (await git(moving.dir, ['rev-parse', 'HEAD'])).trim();
      expect(head).not.toBe(moving.shas[0]);
      expect(await opened.resolveCommit('HEAD')).toBe(head);
    } finally {
      await moving.cleanup();
    }
  });

  it('lists the tree with modes, types, sizes and unquoted paths', async () => {
    const entries = await repo.listTree(fixture.shas[0]!);
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    expect([...byPath.keys()].sort()).toEqual([...Object.keys(files), 'link-to-readme'].sort());
    expect(byPath.get('dir with space/ünïcödé ñame.txt')).toMatchObject({ mode: '100644', type: 'blob', size: 13 });
    expect(byPath.get('tab\tname.txt')?.size).toBe(12);
    expect(byPath.get('big.txt')?.size).toBe(300_000);
    expect(byPath.get('empty.txt')?.size).toBe(0);
    expect(byPath.get('link-to-readme')).toMatchObject({ mode: '120000', size: 'README.md'.length });
    for (const entry of entries) expect(entry.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('lists the newest commits in git log order, at most as many as asked', async () => {
    const [first, second] = fixture.shas as [string, string];
    expect(await repo.revList('HEAD', 10)).toEqual([second, first]);
    expect(await repo.revList('HEAD', 1)).toEqual([second]);
    expect(await repo.revList(first, 10)).toEqual([first]);
    expect(await repo.revList('HEAD', 0)).toEqual([]);
  });

  it('lists only the named paths when asked: literal names (no globbing), absent ones left out, none for none', async () => {
    const all = await repo.listTree(fixture.shas[0]!);
    const named = ['dir with space/ünïcödé ñame.txt', 'tab\tname.txt', 'link-to-readme', '*.txt', 'no/such/file.py', 'dir with space'];
    const entries = await repo.listTree(fixture.shas[0]!, named);
    expect(entries.map((entry) => entry.path).sort()).toEqual(['dir with space/ünïcödé ñame.txt', 'link-to-readme', 'tab\tname.txt']);
    for (const entry of entries) expect(entry).toEqual(all.find((candidate) => candidate.path === entry.path));
    expect(await repo.listTree(fixture.shas[0]!, [])).toEqual([]);
  });

  it('streams blobs in the order asked, byte for byte', async () => {
    const entries = await repo.listTree('HEAD~1');
    const wanted = ['big.txt', 'assets/logo.png', 'empty.txt', 'dir with space/ünïcödé ñame.txt', 'big.txt'].map(
      (p) => entries.find((entry) => entry.path === p)!,
    );
    const seen: Blob[] = [];
    await repo.readBlobs(
      wanted.map((entry) => entry.sha),
      async (blob) => {
        await new Promise((resolve) => setTimeout(resolve, 1)); // a slow consumer must not lose data
        seen.push(blob);
      },
    );
    expect(seen.map((blob) => blob.sha)).toEqual(wanted.map((entry) => entry.sha));
    expect(seen[0]!.data.toString('utf8')).toBe(big.repeat(3000));
    expect(Buffer.compare(seen[1]!.data, binary)).toBe(0);
    expect(seen[2]!.size).toBe(0);
    expect(seen[3]!.data.toString('utf8')).toBe('unicode path\n');
    expect(seen[4]!.data.length).toBe(300_000);
  });

  it('stops cleanly when the consumer breaks early, and reports missing objects', async () => {
    const entries = await repo.listTree('HEAD');
    let count = 0;
    for await (const _blob of repo.blobs(entries.map((entry) => entry.sha))) {
      count += 1;
      if (count === 2) break;
    }
    expect(count).toBe(2);
    await expect(repo.readBlobs(['1'.repeat(40)], () => undefined)).rejects.toThrow(/missing/);
    await expect(repo.readBlobs(['not a sha'], () => undefined)).rejects.toThrow(RepositoryError);
    await repo.readBlobs([], () => {
      throw new Error('never called');
    });
  });

  it('diffs two commits: added, modified, deleted, renamed', async () => {
    const [first, second] = fixture.shas as [string, string];
    const diff = await repo.diffNameStatus(first, second);
    const { entries, ...paths } = diff;
    expect(paths).toEqual({
      added: ['added.ts'],
      modified: ['src/main.ts'],
      deleted: ['drop.txt'],
      renamed: [{ from: 'old.ts', to: 'lib/new.ts' }],
    });
    // The later commit's entries of the paths it has, as ls-tree lists them but for the size.
    const tree = (await repo.listTree(second)).filter((entry) => ['added.ts', 'src/main.ts', 'lib/new.ts'].includes(entry.path));
    expect(entries.sort((a, b) => a.path.localeCompare(b.path))).toEqual(tree.map((entry) => ({ ...entry, size: null })).sort((a, b) => a.path.localeCompare(b.path)));
    const back = await repo.diffNameStatus(second, first);
    expect(back.renamed).toEqual([{ from: 'lib/new.ts', to: 'old.ts' }]);
    expect(back.added).toEqual(['drop.txt']);
    expect(back.deleted).toEqual(['added.ts']);
  });

  it('parses copies as added and type changes as modified, with the new side of each as an entry', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const zero = '0'.repeat(40);
    const tokens = [`:100644 100644 ${a} ${b} C075`, 'a.ts', 'b.ts', `:100644 120000 ${a} ${b} T`, 'link', `:100644 100644 ${a} ${b} M`, 'x y.ts', `:100644 000000 ${a} ${zero} D`, 'gone.ts', `:000000 160000 ${zero} ${b} A`, 'sub', ''];
    expect(parseRawDiff(tokens)).toEqual({
      added: ['b.ts', 'sub'],
      modified: ['link', 'x y.ts'],
      deleted: ['gone.ts'],
      renamed: [],
      entries: [
        { mode: '100644', type: 'blob', sha: b, size: null, path: 'b.ts' },
        { mode: '120000', type: 'blob', sha: b, size: null, path: 'link' },
        { mode: '100644', type: 'blob', sha: b, size: null, path: 'x y.ts' },
        { mode: '160000', type: 'commit', sha: b, size: null, path: 'sub' },
      ],
    });
  });

  it('tells ancestors apart', async () => {
    const [first, second] = fixture.shas as [string, string];
    expect(await repo.isAncestor(first, second)).toBe(true);
    expect(await repo.isAncestor(second, first)).toBe(false);
    expect(await repo.isAncestor(second, second)).toBe(true);
    await expect(repo.isAncestor('nope', second)).rejects.toThrow(RepositoryError);
  });

  it('runs git log bounded by count and an exclusive lower bound', async () => {
    const [first, second] = fixture.shas as [string, string];
    expect((await repo.log({ commit: 'HEAD', maxCount: 10, format: '%H' })).trim().split('\n')).toEqual([second, first]);
    expect((await repo.log({ commit: 'HEAD', maxCount: 1, format: '%H' })).trim()).toBe(second);
    expect((await repo.log({ commit: 'HEAD', after: first, maxCount: 10, format: '%H' })).trim()).toBe(second);
    expect(await repo.log({ commit: 'HEAD', maxCount: 0, format: '%H' })).toBe('');
  });
});

describe('blob streaming at scale', () => {
  it('reads 2,000 files through one process in well under the time of one process per file', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i += 1) many[`pkg/m${String(i).padStart(4, '0')}.py`] = `VALUE_${i} = ${i}\n`.repeat(20);
    const fixture = await makeRepo([{ files: many, message: 'many files' }]);
    try {
      const repo = await openGitRepo(fixture.dir);
      const entries = await repo.listTree('HEAD');
      const started = Date.now();
      let bytes = 0;
      let n = 0;
      await repo.readBlobs(
        entries.map((entry) => entry.sha),
        (blob) => {
          expect(blob.data.toString('utf8')).toBe(many[entries[n]!.path]);
          n += 1;
          bytes += blob.size;
        },
      );
      expect(n).toBe(2000);
      expect(bytes).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await fixture.cleanup();
    }
  });
});
