import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveHistoryEdges, isLineOnto, lineWindow, parseIssueRefs, parsePullRequests, readHistory } from '../../src/index/history.ts';
import type { Edge, HistoryCommit } from '../../src/index/types.ts';
import { openGitRepo, type GitRepo } from '../../src/scm/git.ts';
import { addMergedBranch, cloneBare, makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

const DAY = 86_400;
const BASE = Date.UTC(2024, 0, 1) / 1000;
const day = (n: number): string => new Date((BASE + n * DAY) * 1000).toISOString();
const decay = (ageDays: number): number => Math.pow(0.5, ageDays / 180);

const ADA = { name: 'Ada Lovelace', email: 'ada@example.com' };
const ADA_OLD = { name: 'Ada L', email: 'Ada.Old@Example.com' };
const BOB = { name: 'Bob', email: 'bob@example.com' };
const CAROL = { name: 'Carol', email: 'carol@example.com' };
const DAVE = { name: 'Dave Merger', email: 'dave@example.com' };

const reformatted: Record<string, string> = {};
for (let i = 0; i < 60; i += 1) reformatted[`fmt/f${String(i).padStart(2, '0')}.py`] = `x = ${i}\n`;

describe('readHistory and deriveHistoryEdges on a real repository', () => {
  let fixture: FixtureRepo;
  let repo: GitRepo;
  let shas: Record<string, string>;

  beforeAll(async () => {
    fixture = await makeRepo([
      { files: { '.mailmap': 'Ada Lovelace <ada@example.com> Ada L <ada.old@example.com>\n' }, message: 'Add mailmap', author: ADA, date: day(0) },
      { files: { 'src/a.py': 'a = 1\n', 'src/b.py': 'b = "the content of b stays the same across the rename"\n' }, message: 'Fix thing (#12)', author: ADA, date: day(1) },
      {
        files: { 'src/a.py': 'a = 2\n', 'src/b.py': 'b = "the content of b stays the same across the rename"\n# two\n', 'src/c.py': 'c = 1\n' },
        message: 'Fixed #30000 -- Made a and b agree.\n\nThanks Carol for the report.',
        author: BOB,
        date: day(10),
      },
      { files: { 'src/c.py': 'c = 2\n' }, message: 'fixes #45, #46 and closes other/repo#7; refs #9', author: ADA_OLD, date: day(20) },
      { files: { ...reformatted, 'src/a.py': 'a = 3\n' }, message: 'Reformat everything', author: ADA, date: day(30) },
      { files: {}, renames: { 'src/b.py': 'src/renamed.py' }, message: 'Rename b (#77)', author: BOB, date: day(40) },
    ]);
    const merged = await addMergedBranch(
      fixture,
      'a/b',
      [{ files: { 'src/c.py': 'c = 3\n', 'src/d.py': 'd = 1\n' }, message: 'Add d', author: CAROL, date: day(50) }],
      { message: 'Merge pull request #34 from a/b\n\nAdd d', author: DAVE, date: day(60) },
    );
    const [mailmap, fix, fixed, fixes, reformat, rename] = fixture.shas as [string, string, string, string, string, string];
    shas = { mailmap, fix, fixed, fixes, reformat, rename, addD: merged.branchShas[0]!, merge: merged.mergeSha };
    repo = await openGitRepo(fixture.dir);
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('lists commits newest first with authors (through .mailmap), dates, messages and files', async () => {
    const commits = await readHistory(repo, 'HEAD', { maxCommits: 100 });
    expect(commits.map((commit) => commit.sha)).toEqual([
      shas.merge,
      shas.addD,
      shas.rename,
      shas.reformat,
      shas.fixes,
      shas.fixed,
      shas.fix,
      shas.mailmap,
    ]);
    const [merge, addD, rename, reformat, fixes, fixed, fix] = commits as HistoryCommit[];
    expect(merge).toMatchObject({ author: 'Dave Merger', email: 'dave@example.com', date: BASE + 60 * DAY, files: [], prs: [34], issues: [] });
    expect(merge!.message).toBe('Merge pull request #34 from a/b\n\nAdd d');
    expect(addD).toMatchObject({ author: 'Carol', files: ['src/c.py', 'src/d.py'], prs: [] });
    expect(rename).toMatchObject({ files: ['src/renamed.py'], prs: [77], renames: [{ from: 'src/b.py', to: 'src/renamed.py' }] });
    expect(reformat!.files).toHaveLength(61);
    // The old identity is mapped to the canonical one by the commit's .mailmap.
    expect(fixes).toMatchObject({ author: 'Ada Lovelace', email: 'ada@example.com', issues: [45, 46, 9], files: ['src/c.py'] });
    expect(fixed).toMatchObject({ author: 'Bob', date: BASE + 10 * DAY, issues: [30000], prs: [] });
    expect(fixed!.message).toBe('Fixed #30000 -- Made a and b agree.\n\nThanks Carol for the report.');
    expect([...fixed!.files].sort()).toEqual(['src/a.py', 'src/b.py', 'src/c.py']);
    expect(fix).toMatchObject({ prs: [12], issues: [], files: expect.arrayContaining(['src/a.py', 'src/b.py']) });
    expect(fix!.renames).toBeUndefined();
  });

  it('counts cross-repository references only for the named repository', async () => {
    const commits = await readHistory(repo, shas.fixes!, { maxCommits: 1, repoSlug: 'other/repo' });
    expect(commits).toHaveLength(1);
    expect(commits[0]!.issues).toEqual([45, 46, 7, 9]);
  });

  it('is bounded by maxCommits and by the exclusive `after` commit', async () => {
    expect((await readHistory(repo, 'HEAD', { maxCommits: 2 })).map((commit) => commit.sha)).toEqual([shas.merge, shas.addD]);
    const since = await readHistory(repo, 'HEAD', { maxCommits: 100, after: shas.reformat });
    expect(since.map((commit) => commit.sha)).toEqual([shas.merge, shas.addD, shas.rename]);
    expect(await readHistory(repo, 'HEAD', { maxCommits: 100, after: 'HEAD' })).toEqual([]);
    expect(await readHistory(repo, 'HEAD', { maxCommits: 0 })).toEqual([]);
  });

  it('tells a line of single-parent commits from a merge; the window such a line gives is the one git lists', async () => {
    const line = await readHistory(repo, shas.rename, { maxCommits: 100, after: shas.fix });
    expect(line.map((commit) => commit.parents)).toEqual([[shas.reformat], [shas.fixes], [shas.fixed], [shas.fix]]);
    expect(isLineOnto(line, shas.rename, shas.fix)).toBe(true);
    expect(isLineOnto(line, shas.rename, shas.mailmap)).toBe(false);
    expect(isLineOnto(line.slice(1), shas.rename, shas.fix)).toBe(false);
    expect(isLineOnto([], shas.fix, shas.fix)).toBe(false);
    const throughMerge = await readHistory(repo, shas.merge, { maxCommits: 100, after: shas.rename });
    expect(throughMerge[0]!.parents).toHaveLength(2);
    expect(isLineOnto(throughMerge, shas.merge, shas.rename)).toBe(false);
    const kept = (await repo.revList(shas.fix, 100)).join('\n');
    for (const max of [1, 3, 4, 5, 100]) expect(lineWindow(line, kept, max), `max ${max}`).toEqual(await repo.revList(shas.rename, max));
    expect(lineWindow(line, '', 100)).toEqual(line.map((commit) => commit.sha));
  });

  it('reads the same history from a bare clone', async () => {
    const bare = await cloneBare(fixture.dir);
    try {
      const fromBare = await readHistory(await openGitRepo(bare.dir), 'HEAD', { maxCommits: 100 });
      expect(fromBare).toEqual(await readHistory(repo, 'HEAD', { maxCommits: 100 }));
    } finally {
      await bare.cleanup();
    }
  });

  it('derives co-change and recency-weighted author edges, following renames', async () => {
    const commits = await readHistory(repo, 'HEAD', { maxCommits: 100 });
    const known = new Set(['.mailmap', 'src/a.py', 'src/c.py', 'src/d.py', 'src/renamed.py', ...Object.keys(reformatted)]);
    const edges = deriveHistoryEdges(commits, known);
    const cochange = edges.filter((edge) => edge.kind === 'cochange');
    // a+b in "Fix thing" (1) and a+b+c in "Fixed #30000" (1/2): b is now src/renamed.py.
    // a+c and b+c (1/2, one commit) are too weak; c+d (1, one commit) is kept; the 61-file reformat adds nothing.
    expect(cochange).toEqual([
      { kind: 'cochange', src: 'src/a.py', dst: 'src/renamed.py', weight: 1.5 },
      { kind: 'cochange', src: 'src/c.py', dst: 'src/d.py', weight: 1 },
    ]);

    const authors = Object.fromEntries(
      edges.filter((edge) => edge.kind === 'author').map((edge) => [`${edge.src} ${edge.dst}`, edge.weight]),
    );
    // Ages are counted from each file's newest commit (days 0-50 here; the merge is day 60 and touches no file), not from today.
    const expected: Record<string, number> = {
      'ada@example.com .mailmap': decay(0),
      'ada@example.com src/a.py': decay(9),
      'ada@example.com src/renamed.py': decay(39),
      'ada@example.com src/c.py': decay(30), // committed as Ada L <ada.old@…>, deduplicated by .mailmap
      'bob@example.com src/a.py': decay(0),
      'bob@example.com src/renamed.py': decay(30) + decay(0),
      'bob@example.com src/c.py': decay(40),
      'carol@example.com src/c.py': decay(0),
      'carol@example.com src/d.py': decay(0),
    };
    expect(Object.keys(authors).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, weight] of Object.entries(expected)) expect(authors[key]).toBeCloseTo(weight, 10);
  });

  it('drops edges to paths that are not known', async () => {
    const commits = await readHistory(repo, 'HEAD', { maxCommits: 100 });
    const edges = deriveHistoryEdges(commits, new Set(['src/a.py', 'src/renamed.py']));
    expect(edges.every((edge) => ['src/a.py', 'src/renamed.py'].includes(edge.dst))).toBe(true);
    expect(edges.filter((edge) => edge.kind === 'cochange')).toHaveLength(1);
    // Without knownPaths, the old name survives only where no rename maps it (none here) and deleted paths stay.
    const all = deriveHistoryEdges(commits);
    expect(all.some((edge) => edge.dst === 'src/b.py')).toBe(false);
  });
});

function commit(partial: Partial<HistoryCommit> & { files: string[]; date: number }): HistoryCommit {
  return { sha: 'x', parents: [], author: 'A', email: 'a@example.com', message: '', prs: [], issues: [], ...partial };
}

describe('deriveHistoryEdges', () => {
  it('weights pairs by 1/(n-1) summed over commits and keeps pairs seen twice', () => {
    const edges = deriveHistoryEdges([
      commit({ files: ['z.ts', 'a.ts', 'm.ts'], date: 300 }),
      commit({ files: ['a.ts', 'z.ts'], date: 200 }),
      commit({ files: ['a.ts', 'm.ts', 'q.ts', 'r.ts', 's.ts'], date: 100 }),
    ]);
    const cochange = edges.filter((edge) => edge.kind === 'cochange');
    expect(cochange).toEqual([
      { kind: 'cochange', src: 'a.ts', dst: 'z.ts', weight: 1.5 },
      { kind: 'cochange', src: 'a.ts', dst: 'm.ts', weight: 0.75 },
    ]);
  });

  it('keeps every partner of a file (no cap: an edge depends only on the commits of its two files)', () => {
    const commits: HistoryCommit[] = [];
    // hub.ts changes with 30 files, each once alone with it (weight 1 → kept).
    for (let i = 0; i < 30; i += 1) {
      commits.push(commit({ files: ['hub.ts', `p${String(i).padStart(2, '0')}.ts`], date: 1000 - i }));
    }
    // p00 changes with hub once more, so it is hub's strongest partner.
    commits.push(commit({ files: ['hub.ts', 'p00.ts'], date: 1 }));
    const edges = deriveHistoryEdges(commits).filter((edge) => edge.kind === 'cochange');
    expect(edges).toHaveLength(30);
    expect(edges[0]).toEqual({ kind: 'cochange', src: 'hub.ts', dst: 'p00.ts', weight: 2 });
    for (const edge of edges) expect(edge.src < edge.dst).toBe(true);
  });

  it('skips mass commits, and measures recency from the file\'s newest commit so output is deterministic', () => {
    const many = Array.from({ length: 51 }, (_, i) => `gen/${i}.ts`);
    const history = [
      commit({ files: ['a.ts'], email: 'New@Example.com', date: 400 * DAY }),
      commit({ files: many, date: 390 * DAY }),
      commit({ files: ['a.ts'], email: 'old@example.com', date: 40 * DAY }),
    ];
    const edges: Edge[] = deriveHistoryEdges(history);
    expect(edges).toEqual([
      { kind: 'author', src: 'new@example.com', dst: 'a.ts', weight: 1 },
      { kind: 'author', src: 'old@example.com', dst: 'a.ts', weight: 0.25 },
    ]);
    expect(deriveHistoryEdges([])).toEqual([]);
  });
});

describe('message parsing', () => {
  it.each([
    ['Fix thing (#12)', [12]],
    ['Merge pull request #34 from a/b', [34]],
    ['Backport of PR #56 to stable', [56]],
    ['Reverts pull request #78', [78]],
    ['Fixed #30000 -- Did a thing.', []],
    ['Mention (#12) in the middle of a subject', []],
  ])('PRs in %j', (message, prs) => {
    expect(parsePullRequests(message)).toEqual(prs);
  });

  it.each([
    ['Fixed #30000 -- Made QuerySet.bulk_create() work.', [30000]],
    ['Refs #123 -- Moved tests.', [123]],
    ['fixes #45', [45]],
    ['fix #45', [45]],
    ['fixed #45', [45]],
    ['Closes #7', [7]],
    ['close #7', [7]],
    ['resolves #9', [9]],
    ['refs #10', [10]],
    ['Fixes #1, #2', [1, 2]],
    ['Fixes #1, #2 and #3', [1, 2, 3]],
    ['Fixed #1, refs #2 -- Django style.', [1, 2]],
    ['Body text\n\nFixes: #88', [88]],
    ['closes someone/else#7', []],
    ['Fix thing (#12)', []],
    ['Hotfix #4 and prefixes #5', []],
    ['Bump version to 1.2 #3', []],
  ])('issues in %j', (message, issues) => {
    expect(parseIssueRefs(message)).toEqual(issues);
  });
});
