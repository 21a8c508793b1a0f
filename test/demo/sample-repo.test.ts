import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleRepo, DEMO_DIR, listSampleFiles, readSamplePlan, type SampleRepo } from '../../src/demo/sample-repo.ts';
import { git } from '../helpers/git-fixture.ts';

const sampleDir = path.join(DEMO_DIR, 'sample');

let root: string;
let sample: SampleRepo;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scout-sample-test-'));
  sample = await createSampleRepo(path.join(root, 'first'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createSampleRepo', () => {
  it('replays demo/history.json: its commits, authors, dates and messages, one merged pull request', async () => {
    const plan = await readSamplePlan();
    expect(plan.commits).toHaveLength(10);
    expect(Number((await git(sample.repoPath, ['rev-list', '--count', 'HEAD'])).trim())).toBe(plan.commits.length);

    // Dates increase along the plan, so git's date order is the plan's order.
    const log = (await git(sample.repoPath, ['log', '--reverse', '--format=%an <%ae>%x00%aI%x00%cI%x00%P%x00%B%x1e']))
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [author, authorDate, committerDate, parents, message] = record.split('\0');
        return { author, authorDate, committerDate, parents: parents!.split(' ').filter(Boolean).length, message: message!.trim() };
      });
    expect(log.map(({ author, authorDate, message }) => ({ author, authorDate, message }))).toEqual(
      plan.commits.map((commit) => ({ author: commit.author, authorDate: commit.date, message: commit.message.trim() })),
    );
    expect(log.every((entry) => entry.committerDate === entry.authorDate)).toBe(true);
    expect(new Set(log.map((entry) => entry.author))).toEqual(new Set(['Ada Lovelace <ada@example.com>', 'Grace Hopper <grace@example.com>']));

    const merges = log.filter((entry) => entry.parents === 2);
    expect(merges.map((entry) => entry.message.split('\n')[0])).toEqual(['Merge pull request #45 from grace/fix-rounding']);
    expect((await git(sample.repoPath, ['branch', '--show-current'])).trim()).toBe('main');
  });

  it('makes one author the one who knows the pricing and coupon code', async () => {
    for (const file of ['shop/pricing.py', 'shop/coupons.py']) {
      const authors = (await git(sample.repoPath, ['log', '--format=%an', '--', file])).trim().split('\n');
      const ada = authors.filter((name) => name === 'Ada Lovelace').length;
      expect(ada, file).toBeGreaterThan(authors.length / 2);
      expect(authors.length, file).toBeGreaterThanOrEqual(3);
    }
  });

  it('ends with a tree equal to demo/sample, byte for byte, checked out and clean', async () => {
    const files = await listSampleFiles();
    expect(files.length).toBeGreaterThanOrEqual(35);
    expect(files.length).toBeLessThanOrEqual(45);
    expect(files).toEqual(expect.arrayContaining(['shop/pricing.py', 'shop/coupons.py', 'shop/api.py', 'web/src/cart-total.ts']));

    const tree = (await git(sample.repoPath, ['ls-tree', '-r', '-z', 'HEAD']))
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [meta, file] = line.split('\t');
        const [mode, , sha] = meta!.split(' ');
        return { file: file!, mode, sha };
      });
    expect(tree.map((entry) => entry.file).sort()).toEqual([...files].sort());
    expect(new Set(tree.map((entry) => entry.mode))).toEqual(new Set(['100644']));
    // --no-filters: the blob id of the bytes as they are, with no attributes or line-ending conversion.
    const expected = (await git(sample.repoPath, ['hash-object', '--no-filters', '--', ...tree.map((entry) => path.join(sampleDir, entry.file))]))
      .trim()
      .split('\n');
    expect(tree.map((entry) => entry.sha)).toEqual(expected);

    expect(await git(sample.repoPath, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(await readFile(path.join(sample.repoPath, 'shop/pricing.py'), 'utf8')).toBe(await readFile(path.join(sampleDir, 'shop/pricing.py'), 'utf8'));
  });

  it('gives the same head every time, whatever the machine git config and GIT_* variables say', async () => {
    const hostile = path.join(root, 'hostile-home');
    await mkdir(hostile);
    const gitconfig = path.join(hostile, '.gitconfig');
    await writeFile(
      gitconfig,
      '[user]\n\tname = Mallory\n\temail = mallory@example.com\n[commit]\n\tgpgSign = true\n[core]\n\tautocrlf = true\n[init]\n\tdefaultBranch = trunk\n',
    );
    const saved = { ...process.env };
    Object.assign(process.env, {
      HOME: hostile,
      XDG_CONFIG_HOME: hostile,
      GIT_CONFIG_GLOBAL: gitconfig,
      GIT_AUTHOR_NAME: 'Mallory',
      GIT_COMMITTER_DATE: '2030-01-01T00:00:00+00:00',
      GIT_CONFIG_PARAMETERS: "'user.name'='Mallory'",
    });
    let second: SampleRepo;
    try {
      second = await createSampleRepo(path.join(root, 'second'));
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(second.head).toMatch(/^[0-9a-f]{40}$/);
    expect(second.head).toBe(sample.head);
    expect(second.repoPath).toBe(path.join(root, 'second'));
  });

  it('keeps a folder that already holds the sample and refuses one that holds something else', async () => {
    const again = await createSampleRepo(sample.repoPath);
    expect(again.head).toBe(sample.head);

    const occupied = path.join(root, 'occupied');
    await mkdir(occupied);
    await writeFile(path.join(occupied, 'notes.txt'), 'mine\n');
    await expect(createSampleRepo(occupied)).rejects.toThrow(/already exists and does not hold the sample repository/);
    expect(await readFile(path.join(occupied, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('says which part of a broken commit plan is wrong before running git', async () => {
    const demo = path.join(root, 'broken-demo');
    await cp(DEMO_DIR, demo, { recursive: true });
    // An older version of pricing.py written by the last commit that touches it: the tree would
    // end at that version instead of the final one.
    await mkdir(path.join(demo, 'versions/c6-cap-coupons/shop'), { recursive: true });
    await writeFile(path.join(demo, 'versions/c6-cap-coupons/shop/pricing.py'), '# old\n');
    await expect(createSampleRepo(path.join(root, 'broken'), { demoDir: demo })).rejects.toThrow(
      /sample\/shop\/pricing\.py ends at versions\/c6-cap-coupons\/shop\/pricing\.py/,
    );

    await rm(path.join(demo, 'versions/c6-cap-coupons'), { recursive: true });
    const plan = JSON.parse(await readFile(path.join(demo, 'history.json'), 'utf8'));
    plan.commits[2].files.push('shop/discounts.py');
    await writeFile(path.join(demo, 'history.json'), JSON.stringify(plan));
    await expect(createSampleRepo(path.join(root, 'broken'), { demoDir: demo })).rejects.toThrow(
      /commit c3-coupons lists "shop\/discounts\.py", which matches nothing in sample\//,
    );
  });
});

describe('the sample issue', () => {
  it('has a one-line title and a body quoting the error the sample code raises', async () => {
    const { title, body } = sample.issue;
    expect(title).toBe('Total goes negative when two coupons are stacked');
    expect(body).not.toMatch(/^\s/);
    const message = 'Order total must not be negative';
    expect(body).toContain(`shop.errors.PricingError: ${message} (got -2.01) for cart c-1042`);
    expect(await readFile(path.join(sampleDir, 'shop/pricing.py'), 'utf8')).toContain(`f"${message} (got {breakdown.total}) for cart {cart.id}"`);
  });

  it('quotes a traceback whose frames match the sample files line for line', async () => {
    const frames = [...sample.issue.body.matchAll(/File "[^"]*\/(shop\/[\w/]+\.py)", line (\d+), in (\w+)\n\s+(.+)/g)];
    expect(frames.map((frame) => `${frame[1]}:${frame[3]}`)).toEqual([
      'shop/api.py:dispatch',
      'shop/api.py:checkout',
      'shop/pricing.py:price_for_checkout',
      'shop/pricing.py:_ensure_payable',
    ]);
    for (const [, file, line, functionName, code] of frames) {
      const lines = (await readFile(path.join(sampleDir, file!), 'utf8')).split('\n');
      const lineNo = Number(line);
      expect(lines[lineNo - 1]?.trim(), `${file}:${line}`).toBe(code!.trim());
      const enclosing = lines
        .slice(0, lineNo)
        .reverse()
        .find((text) => /^def \w+\(/.test(text));
      expect(enclosing, `${file}:${line}`).toMatch(new RegExp(`^def ${functionName}\\(`));
    }
  });
});
