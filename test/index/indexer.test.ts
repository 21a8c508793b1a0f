import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';
import { OpenAIChatModel } from '../../src/ai/llm.ts';
import { OpenAIEmbedder } from '../../src/ai/openai-embedder.ts';
import { IndexLockedError } from '../../src/errors.ts';
import { ChunkLineIndex } from '../../src/index/ids.ts';
import { indexRepository, type IndexOptions } from '../../src/index/indexer.ts';
import { acquireIndexLock } from '../../src/store/lock.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import { INDEX_TABLES, type IndexTable } from '../../src/store/schema.ts';
import { FakeOpenAI } from '../helpers/fake-openai.ts';
import { addMergedBranch, git, makeRepo, type FixtureCommit, type FixtureRepo } from '../helpers/git-fixture.ts';

const ADA = { name: 'Ada Lovelace', email: 'ada@example.com' };
const GRACE = { name: 'Grace Hopper', email: 'grace@example.com' };

const pricingPy = `"""Prices and discounts for the shop."""
from .coupons import parse_coupon


class Cart:
    """A shopping cart."""

    def apply_discount(self, code):
        """Apply a coupon code to the cart total."""
        coupon = parse_coupon(code)
        if coupon.amount > self.total:
            raise ValueError("Discount cannot exceed the cart total")
        self.total -= coupon.amount
`;

const couponsPy = `def parse_coupon(code):
    """Turn a coupon code into a Coupon."""
    if not code:
        raise ValueError("Empty coupon code")
    return Coupon(code)


class Coupon:
    def __init__(self, code):
        self.code = code
        self.amount = 5
`;

const totalTs = `import { formatMoney } from './money';

/** Renders the cart total shown at checkout. */
export function renderTotal(total: number): string {
  if (total < 0) throw new Error('Total must not be negative');
  return formatMoney(total);
}
`;

const moneyTs = `export function formatMoney(value: number): string {
  return '$' + value.toFixed(2);
}
`;

const serverGo = `package api

import "fmt"

// Server answers price requests.
type Server struct{ port int }

// Start listens on the configured port.
func (s *Server) Start() error {
	return fmt.Errorf("cannot listen on port %d", s.port)
}
`;

const legacyJs = `const money = require('./web/money');

function oldTotal(items) {
  return items.reduce((sum, item) => sum + item.price, 0);
}

module.exports = { oldTotal };
`;

const commits: FixtureCommit[] = [
  {
    message: 'Initial shop',
    author: ADA,
    files: {
      'shop/__init__.py': '',
      'shop/pricing.py': pricingPy,
      'shop/coupons.py': couponsPy,
      'web/total.ts': totalTs,
      'web/money.ts': moneyTs,
      'api/server.go': serverGo,
      'legacy.js': legacyJs,
      'README.md': '# Shop\n\nA tiny shop used to test repo-scout.\n',
      '.env': 'SECRET_TOKEN=abc123\n',
      'deploy/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
      'config/settings.py': 'DEBUG = False\nKEY = """\n-----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY-----\n"""\n',
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]),
    },
    symlinks: { 'passwd-link': '/etc/passwd', 'shop/alias.py': 'pricing.py' },
  },
  {
    message: 'Cap stacked coupons (#41)\n\nFixes #12',
    author: GRACE,
    files: { 'shop/pricing.py': pricingPy.replace('self.total -= coupon.amount', 'self.total = max(0, self.total - coupon.amount)') },
  },
  { message: 'Format totals with two decimals (#42)', author: ADA, files: { 'web/money.ts': moneyTs.replace('toFixed(2)', 'toFixed(2).padStart(4)') } },
];

/** The second batch: modify, rename and delete, as a push would. */
const laterCommits: FixtureCommit[] = [
  {
    message: 'Move coupon parsing (#43)',
    author: GRACE,
    renames: { 'shop/coupons.py': 'shop/coupon_codes.py' },
    files: {
      'shop/pricing.py': pricingPy.replace('from .coupons import', 'from .coupon_codes import'),
      'legacy.js': null,
      'web/tax.ts': `import { formatMoney } from './money';\n\nexport function addTax(total: number): string {\n  return formatMoney(total * 1.2);\n}\n`,
    },
  },
];

let repo: FixtureRepo;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-index-'));
  dirs.push(dir);
  return dir;
}

async function options(dataDir: string, overrides: Partial<IndexOptions> = {}): Promise<IndexOptions> {
  return {
    repoPath: repo.dir,
    repoId: 'acme/shop',
    dataDir,
    lancedbUri: path.join(dataDir, 'lancedb'),
    limits: { maxFiles: 1000, maxFileBytes: 1_000_000, maxTotalBytes: 50_000_000 },
    historyCommits: 100,
    embedder: new HashingEmbedder(64),
    ...overrides,
  };
}

async function readMeta(dataDir: string) {
  return RepoStore.using(path.join(dataDir, 'lancedb'), 'acme/shop', (store) => store.readMeta());
}

async function openStore(dataDir: string): Promise<RepoStore> {
  const store = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
  const meta = await store.readMeta();
  if (meta) await store.pinTo(meta);
  return store;
}

type Row = Record<string, unknown>;

/** A table's rows without vectors, sorted, for comparing two indexes. */
async function snapshot(store: RepoStore, table: IndexTable): Promise<Row[]> {
  const rows = await store.readRows<Row>(table);
  return rows
    .map((row) => {
      const copy: Row = { ...row };
      if (copy.vector) copy.vector = Array.from(copy.vector as ArrayLike<number>).map((x) => Number(x.toFixed(5)));
      return copy;
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Every index table of the two indexes holds the same rows. */
async function expectSameRows(dirA: string, dirB: string): Promise<void> {
  const a = await openStore(dirA);
  const b = await openStore(dirB);
  try {
    for (const table of INDEX_TABLES) expect(await snapshot(a, table), table).toEqual(await snapshot(b, table));
  } finally {
    a.close();
    b.close();
  }
}

/**
 * Runs `work` with a `git` first on PATH that notes each call's arguments (one line per call)
 * before running the real git; returns those lines.
 */
async function gitCallsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = await tempDir();
  const calls = path.join(bin, 'calls.log');
  await writeFile(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`);
  await chmod(path.join(bin, 'git'), 0o755);
  const pathBefore = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${pathBefore ?? ''}`;
  try {
    await work();
  } finally {
    process.env.PATH = pathBefore;
  }
  return (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

beforeAll(async () => {
  repo = await makeRepo([...commits, ...laterCommits]);
});

afterAll(async () => {
  await repo.cleanup();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('indexRepository (offline)', () => {
  test('a full index: symbols, questions, history, edges; secrets, binaries and symlinks never stored', async () => {
    const dataDir = await tempDir();
    const summary = await indexRepository(await options(dataDir, { commit: repo.shas[2] }));
    expect(summary.incremental).toBe(false);
    expect(summary.commit).toBe(repo.shas[2]);
    expect(summary.skipped).toMatchObject({ secret: 3, binary: 1, symlink: 2 });

    const store = await openStore(dataDir);
    try {
      const files = await store.readRows<{ path: string; language: string }>('files', { columns: ['path', 'language'] });
      expect(files.map((f) => f.path).sort()).toEqual(
        ['README.md', 'api/server.go', 'legacy.js', 'shop/__init__.py', 'shop/coupons.py', 'shop/pricing.py', 'web/money.ts', 'web/total.ts'].sort(),
      );
      const chunks = await store.readRows<{ id: string; path: string; name: string; kind: string; text: string }>('chunks');
      // Where the chunks are is in their files' rows.
      const lines = new ChunkLineIndex();
      for (const file of await store.readRows<{ path: string; chunk_lines: string }>('files', { columns: ['path', 'chunk_lines'] })) lines.add(file.path, file.chunk_lines);
      const apply = chunks.find((c) => c.name === 'Cart.apply_discount');
      expect(apply).toMatchObject({ id: 'shop/pricing.py#Cart.apply_discount', path: 'shop/pricing.py', kind: 'method' });
      expect(lines.get('shop/pricing.py', apply!.id)).toEqual({ startLine: 8, endLine: 13 });
      expect(chunks.find((c) => c.name === 'renderTotal')).toMatchObject({ id: 'web/total.ts#renderTotal', path: 'web/total.ts' });
      expect(lines.get('web/total.ts', 'web/total.ts#renderTotal')).toEqual({ startLine: 4, endLine: 7 });
      // Every chunk has its lines.
      expect(chunks.filter((c) => !lines.get(c.path, c.id))).toEqual([]);
      expect(chunks.some((c) => c.path === 'api/server.go' && /Server\.Start$/.test(c.name))).toBe(true);
      // Nothing secret leaks into any text column.
      for (const table of ['files', 'chunks', 'questions'] as const) {
        const dump = JSON.stringify(await store.readRows(table));
        expect(dump).not.toContain('PRIVATE KEY');
        expect(dump).not.toContain('SECRET_TOKEN');
        expect(dump).not.toContain('root:x:0');
      }

      const questions = await store.readRows<{ path: string; text: string; source: string; chunk_id: string }>('questions');
      expect(questions).toContainEqual(
        expect.objectContaining({ path: 'shop/pricing.py', text: 'Discount cannot exceed the cart total', source: 'message', chunk_id: 'shop/pricing.py#Cart.apply_discount' }),
      );
      expect(questions.some((q) => q.path === 'web/total.ts' && q.text === 'Total must not be negative')).toBe(true);
      expect(questions.some((q) => q.path === 'api/server.go' && q.text.startsWith('cannot listen on port'))).toBe(true);

      const history = await store.readRows<{ sha: string; author: string; email: string; message: string; files: string; prs: string; issues: string }>('history');
      expect(history).toHaveLength(3);
      const cap = history.find((h) => h.message.startsWith('Cap stacked coupons'));
      expect(cap).toMatchObject({ author: 'Grace Hopper', email: 'grace@example.com', files: 'shop/pricing.py', prs: '[41]', issues: '[12]' });

      const edges = await store.readRows<{ kind: string; src: string; dst: string; weight: number }>('edges');
      const imports = edges.filter((e) => e.kind === 'import').map((e) => `${e.src} -> ${e.dst}`);
      expect(imports).toEqual(expect.arrayContaining(['shop/pricing.py -> shop/coupons.py', 'web/total.ts -> web/money.ts', 'legacy.js -> web/money.ts']));
      const authors = edges.filter((e) => e.kind === 'author' && e.dst === 'shop/pricing.py').map((e) => e.src);
      expect(authors.sort()).toEqual(['ada@example.com', 'grace@example.com']);

      const textHits = await store.searchText<{ path: string }>('chunks', 'discount exceed', { limit: 3, columns: ['path'] });
      expect(textHits[0]?.path).toBe('shop/pricing.py');
    } finally {
      store.close();
    }
  });

  test('an incremental run after modify/rename/delete gives the same rows as a full index at that commit', async () => {
    const incrementalDir = await tempDir();
    await indexRepository(await options(incrementalDir, { commit: repo.shas[2] }));
    const second = await indexRepository(await options(incrementalDir, { commit: repo.shas[3] }));
    expect(second.incremental).toBe(true);
    expect(second.previousCommit).toBe(repo.shas[2]);
    expect(second.changedFiles).toBe(3); // pricing.py, coupon_codes.py, tax.ts
    const fullDir = await tempDir();
    const full = await indexRepository(await options(fullDir, { commit: repo.shas[3] }));
    expect(full.incremental).toBe(false);

    const a = await openStore(incrementalDir);
    const b = await openStore(fullDir);
    try {
      for (const table of INDEX_TABLES) {
        expect(await snapshot(a, table), table).toEqual(await snapshot(b, table));
      }
      const paths = (await a.readRows<{ path: string }>('files', { columns: ['path'] })).map((f) => f.path);
      expect(paths).toContain('shop/coupon_codes.py');
      expect(paths).not.toContain('shop/coupons.py');
      expect(paths).not.toContain('legacy.js');
    } finally {
      a.close();
      b.close();
    }
    const again = await indexRepository(await options(incrementalDir, { commit: repo.shas[3] }));
    expect(again.changedFiles).toBe(0);
  });

  test('an incremental run that only modifies files (no path added or removed) gives the same rows as a full index', async () => {
    const incrementalDir = await tempDir();
    await indexRepository(await options(incrementalDir, { commit: repo.shas[1] }));
    const second = await indexRepository(await options(incrementalDir, { commit: repo.shas[2] }));
    expect(second.incremental).toBe(true);
    expect(second.changedFiles).toBe(1); // web/money.ts
    expect(second.deletedFiles).toBe(0);
    const fullDir = await tempDir();
    await indexRepository(await options(fullDir, { commit: repo.shas[2] }));
    const a = await openStore(incrementalDir);
    const b = await openStore(fullDir);
    try {
      for (const table of INDEX_TABLES) {
        expect(await snapshot(a, table), table).toEqual(await snapshot(b, table));
      }
      // Import edges both of the re-read file and of the files that kept theirs.
      const imports = (await snapshot(a, 'edges')).filter((edge) => edge.kind === 'import');
      expect(imports.some((edge) => edge.src === 'web/money.ts' || edge.dst === 'web/money.ts')).toBe(true);
      expect(imports.some((edge) => edge.src !== 'web/money.ts')).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  test('an incremental run whose new commits push old ones out of the history window: same history and edges as a full index', async () => {
    const incrementalDir = await tempDir();
    await indexRepository(await options(incrementalDir, { commit: repo.shas[2], historyCommits: 2 }));
    const second = await indexRepository(await options(incrementalDir, { commit: repo.shas[3], historyCommits: 2 }));
    expect(second.incremental).toBe(true);
    const fullDir = await tempDir();
    await indexRepository(await options(fullDir, { commit: repo.shas[3], historyCommits: 2 }));
    const a = await openStore(incrementalDir);
    const b = await openStore(fullDir);
    try {
      const history = await snapshot(a, 'history');
      expect(history.map((row) => String(row.message).split('\n')[0]).sort()).toEqual(['Format totals with two decimals (#42)', 'Move coupon parsing (#43)']);
      expect(history).toEqual(await snapshot(b, 'history'));
      const edges = await snapshot(a, 'edges');
      expect(edges).toEqual(await snapshot(b, 'edges'));
      // The renamed file's import edge follows it; the deleted file's is gone.
      const imports = edges.filter((e) => e.kind === 'import').map((e) => `${String(e.src)} -> ${String(e.dst)}`);
      expect(imports).toContain('shop/pricing.py -> shop/coupon_codes.py');
      expect(imports).toContain('web/tax.ts -> web/money.ts');
      expect(imports.some((edge) => edge.includes('legacy.js') || edge.includes('shop/coupons.py'))).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a pushed commit dated before older ones (an old patch landing late): the window is git\'s newest commits, as in a full index', async () => {
    const late = await makeRepo([
      ...commits,
      { message: 'Old patch, merged late', author: ADA, date: '2023-06-01T00:00:00Z', files: { 'shop/pricing.py': `${pricingPy}\n# late\n` } },
    ]);
    try {
      const at = (dataDir: string, commit: string) => options(dataDir, { repoPath: late.dir, commit, historyCommits: 2 });
      const incrementalDir = await tempDir();
      await indexRepository(await at(incrementalDir, late.shas[2]));
      expect((await indexRepository(await at(incrementalDir, late.shas[3]))).incremental).toBe(true);
      const fullDir = await tempDir();
      await indexRepository(await at(fullDir, late.shas[3]));
      const a = await openStore(incrementalDir);
      const b = await openStore(fullDir);
      try {
        const history = await snapshot(a, 'history');
        // Newest by date would keep the two 2024 commits; git's newest two are the late patch and its parent.
        expect(history.map((row) => String(row.message).split('\n')[0]).sort()).toEqual(['Format totals with two decimals (#42)', 'Old patch, merged late']);
        expect(history).toEqual(await snapshot(b, 'history'));
        expect(await snapshot(a, 'edges')).toEqual(await snapshot(b, 'edges'));
      } finally {
        a.close();
        b.close();
      }
    } finally {
      await late.cleanup();
    }
  });

  test('a push of single-parent commits takes the history window from the last run\'s without asking git for it; a merge asks; rows equal a full index either way', async () => {
    const pushed = await makeRepo([...commits, ...laterCommits]);
    try {
      const at = (dataDir: string, commit: string) => options(dataDir, { repoPath: pushed.dir, commit, historyCommits: 3 });
      const incrementalDir = await tempDir();
      await indexRepository(await at(incrementalDir, pushed.shas[1]!));
      // Two commits in a line: the window is them, then the newest of the kept one.
      const line = await gitCallsDuring(async () => expect((await indexRepository(await at(incrementalDir, pushed.shas[3]!))).incremental).toBe(true));
      expect(line.some((call) => / log /.test(` ${call} `))).toBe(true);
      expect(line.filter((call) => /\b(rev-list|merge-base)\b/.test(call))).toEqual([]);
      const lineFull = await tempDir();
      await indexRepository(await at(lineFull, pushed.shas[3]!));
      await expectSameRows(incrementalDir, lineFull);

      // A merged pull request: its branch's commits interleave with main's by date, so git lists the window.
      const { mergeSha } = await addMergedBranch(
        pushed,
        'feature',
        [
          { message: 'Round tax (#44)', author: ADA, files: { 'web/tax.ts': `import { formatMoney } from './money';\n\nexport function addTax(total: number): string {\n  return formatMoney(Math.round(total * 1.2));\n}\n` } },
          { message: 'Document tax', author: GRACE, files: { 'README.md': '# Shop\n\nPrices include tax.\n' } },
        ],
        { message: 'Merge pull request #44 from acme/feature', author: GRACE },
      );
      const merge = await gitCallsDuring(async () => expect((await indexRepository(await at(incrementalDir, mergeSha))).incremental).toBe(true));
      expect(merge.some((call) => /\brev-list\b/.test(call))).toBe(true);
      const mergeFull = await tempDir();
      await indexRepository(await at(mergeFull, mergeSha));
      await expectSameRows(incrementalDir, mergeFull);
      // And a line on top of the merge reads the window kept by that run.
      await git(pushed.dir, ['commit', '-q', '--allow-empty', '-m', 'Release notes'], { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' });
      const tip = (await git(pushed.dir, ['rev-parse', 'HEAD'])).trim();
      const after = await gitCallsDuring(async () => indexRepository(await at(incrementalDir, tip)));
      expect(after.filter((call) => /\brev-list\b/.test(call))).toEqual([]);
      const tipFull = await tempDir();
      await indexRepository(await at(tipFull, tip));
      await expectSameRows(incrementalDir, tipFull);
    } finally {
      await pushed.cleanup();
    }
  });

  test('a run to a commit that is not a descendant (a branch reset back, a force push): history read again, same rows as a full index', async () => {
    const incrementalDir = await tempDir();
    await indexRepository(await options(incrementalDir, { commit: repo.shas[3] }));
    const back = await indexRepository(await options(incrementalDir, { commit: repo.shas[2] }));
    expect(back.incremental).toBe(true);
    const fullDir = await tempDir();
    await indexRepository(await options(fullDir, { commit: repo.shas[2] }));
    await expectSameRows(incrementalDir, fullDir);
  });

  test('an indexed commit that is gone from the repository (force push, then gc) forces a full rebuild that says why', async () => {
    const gone = await makeRepo(commits);
    try {
      const dataDir = await tempDir();
      await indexRepository(await options(dataDir, { repoPath: gone.dir }));
      await git(gone.dir, ['reset', '-q', '--hard', gone.shas[gone.shas.length - 2]!]);
      await git(gone.dir, ['reflog', 'expire', '--expire=now', '--all']);
      await git(gone.dir, ['gc', '-q', '--prune=now']);
      const next = await indexRepository(await options(dataDir, { repoPath: gone.dir }));
      expect(next.incremental).toBe(false);
      expect(next.rebuildReason).toMatch(new RegExp(`indexed commit ${gone.shas[gone.shas.length - 1]!.slice(0, 12)} cannot be compared`));
      expect(next.commit).toBe(gone.shas[gone.shas.length - 2]);
    } finally {
      await gone.cleanup();
    }
  });

  test('an update rewrites the rows of changed chunks only: moved chunks keep their chunk rows and questions (the file\'s row says where they are now); rows equal a full index', async () => {
    const functions = (n: number) => Array.from({ length: n }, (_, i) => `def step_${i}(value):\n    """Run step ${i} of the pipeline."""\n    if value is None:\n        raise ValueError("step ${i} needs a value")\n    return value + ${i}\n`).join('\n\n');
    const original = `"""The pipeline."""\n\n\n${functions(6)}`;
    const logged = original.replace('"""The pipeline."""\n', '"""The pipeline."""\nimport logging\n').replace('return value + 2', 'return value * 2');
    const again = (body: string) => `\n\ndef step_5(value):\n    """Run step 5 again, differently."""\n    return ${body}\n`;
    const pipeline = await makeRepo([
      { message: 'Pipeline', files: { 'pipeline.py': original, 'other.py': 'def other():\n    return 1\n' } },
      // A line above every function moves them all; only step_2 changes; a second `step_5` appears.
      { message: 'Log steps', files: { 'pipeline.py': logged + again('value') } },
      // Only the last function changes: nothing above it moves.
      { message: 'Step 5 again doubles', files: { 'pipeline.py': logged + again('value * 2') } },
      // Back to the first version without step_3: everything moves, step_2 changes back, step_3 and the second step_5 go.
      { message: 'Drop step 3', files: { 'pipeline.py': original.replace(/def step_3[\s\S]*?return value \+ 3\n\n\n/, '') } },
    ]);
    // `chunks`: the chunk rows written again (and their questions); `embedded`: the chunks whose vectors are made again.
    const expected: Array<{ chunks: string[]; embedded: string[] }> = [
      { chunks: ['step_2', 'step_5#2'], embedded: ['step_2', 'step_5'] },
      { chunks: ['step_5#2'], embedded: ['step_5'] },
      { chunks: ['step_2'], embedded: ['step_2'] },
    ];
    try {
      const incrementalDir = await tempDir();
      const at = async (commit: number, dataDir: string): Promise<IndexOptions> => ({ ...(await options(dataDir)), repoPath: pipeline.dir, commit: pipeline.shas[commit] });
      await indexRepository(await at(0, incrementalDir));
      for (const [i, { chunks, embedded }] of expected.entries()) {
        const commit = i + 1;
        const spy = vi.spyOn(RepoStore.prototype, 'add');
        const embedSpy = vi.spyOn(HashingEmbedder.prototype, 'embed');
        const written = (table: IndexTable) => spy.mock.calls.filter((call) => call[0] === table).flatMap((call) => call[1] as Row[]);
        try {
          expect((await indexRepository(await at(commit, incrementalDir))).incremental).toBe(true);
          // A chunk's text to embed starts with its path and name; a file's with its path alone.
          const embeddedChunks = embedSpy.mock.calls.flatMap((call) => call[0]).flatMap((text) => /^pipeline\.py (\S+)\n/.exec(text)?.[1] ?? []);
          expect(embeddedChunks.sort(), `embedded, commit ${commit}`).toEqual(embedded);
          const owners = new Set(written('questions').map((row) => row.chunk_id));
          expect([...owners].sort(), `questions, commit ${commit}`).toEqual(['', ...chunks.map((name) => `pipeline.py#${name}`)].sort());
          expect(written('chunks').map((row) => row.id).sort(), `chunks, commit ${commit}`).toEqual(chunks.map((name) => `pipeline.py#${name}`));
          // The file's row holds where every chunk is now: step_0 moved in all three but the second.
          const [file] = written('files') as Array<{ path: string; chunk_lines: string }>;
          const text = await git(pipeline.dir, ['show', `${pipeline.shas[commit]}:pipeline.py`]);
          const line = text.split('\n').indexOf('def step_0(value):') + 1;
          expect(new ChunkLineIndex().add('pipeline.py', file!.chunk_lines).get('pipeline.py', 'pipeline.py#step_0'), `lines, commit ${commit}`).toEqual({ startLine: line, endLine: line + 4 });
        } finally {
          spy.mockRestore();
          embedSpy.mockRestore();
        }
        const fullDir = await tempDir();
        await indexRepository(await at(commit, fullDir));
        await expectSameRows(incrementalDir, fullDir);
      }
    } finally {
      await pipeline.cleanup();
    }
  });

  test('walk limits hold for updates too: a push that takes the index over a limit, and the next push after one, rebuild in full with the rows of a full index', async () => {
    const py = (name: string) => `def ${name}():\n    return "${name}"\n`;
    const limited = await makeRepo([
      { message: 'Three modules', files: { 'a.py': py('a'), 'b.py': py('b'), 'c.py': py('c') } },
      // A fourth file sorts first: a full index keeps 0, a and b, and drops c.
      { message: 'A fourth module', files: { '0.py': py('zero') } },
      // Without 0, c fits again.
      { message: 'Drop the fourth', files: { '0.py': null, 'b.py': py('bee') } },
    ]);
    try {
      const at = (dataDir: string, commit: string, limits = { maxFiles: 3, maxFileBytes: 1_000_000, maxTotalBytes: 50_000_000 }) =>
        options(dataDir, { repoPath: limited.dir, repoId: 'acme/shop', commit, limits });
      const sameRows = async (incrementalDir: string, commit: string, limits?: IndexOptions['limits']) => {
        const fullDir = await tempDir();
        await indexRepository(await at(fullDir, commit, limits));
        await expectSameRows(incrementalDir, fullDir);
        const store = await openStore(incrementalDir);
        try {
          return (await store.readRows<{ path: string }>('files', { columns: ['path'] })).map((row) => row.path).sort();
        } finally {
          store.close();
        }
      };
      const dataDir = await tempDir();
      expect((await indexRepository(await at(dataDir, limited.shas[0]))).incremental).toBe(false);

      const over = await indexRepository(await at(dataDir, limited.shas[1]));
      expect(over.incremental).toBe(false);
      expect(over.rebuildReason).toMatch(/4 files.*maxFiles=3/);
      expect(over.limitHit).toMatchObject({ kind: 'maxFiles', limit: 3, dropped: 1 });
      expect(over.warnings.join('\n')).toMatch(/SCOUT_MAX_FILES/);
      expect(await sameRows(dataDir, limited.shas[1])).toEqual(['0.py', 'a.py', 'b.py']);

      // The index lacks c.py, which a full walk would now take: an update cannot know that.
      const after = await indexRepository(await at(dataDir, limited.shas[2]));
      expect(after.incremental).toBe(false);
      expect(after.rebuildReason).toMatch(/last index stopped at a limit/);
      expect(await sameRows(dataDir, limited.shas[2])).toEqual(['a.py', 'b.py', 'c.py']);

      // The byte limit likewise.
      const bytesDir = await tempDir();
      const bytes = { maxFiles: 100, maxFileBytes: 1_000_000, maxTotalBytes: py('zero').length + 2 * py('a').length + 2 };
      await indexRepository(await at(bytesDir, limited.shas[0], bytes));
      const overBytes = await indexRepository(await at(bytesDir, limited.shas[1], bytes));
      expect(overBytes.incremental).toBe(false);
      expect(overBytes.rebuildReason).toMatch(/maxTotalBytes/);
      expect(await sameRows(bytesDir, limited.shas[1], bytes)).toEqual(['0.py', 'a.py', 'b.py']);
    } finally {
      await limited.cleanup();
    }
  });

  test('updates merge a table\'s fragments once enough commits piled up on it; the rows stay those of a full index', async () => {
    const fragments = async (dataDir: string) => {
      const db = await lancedb.connect(path.join(dataDir, 'lancedb', 'acme_shop'));
      const counts = await Promise.all(INDEX_TABLES.map(async (name) => (await (await db.openTable(name)).stats()).fragmentStats.numFragments));
      return counts.reduce((sum, n) => sum + n, 0);
    };
    const updateAll = async (compactAfterCommits: number) => {
      const dataDir = await tempDir();
      await indexRepository(await options(dataDir, { commit: repo.shas[0], compactAfterCommits }));
      // Pushes, and branch resets back and forth: every update adds fragments.
      for (const i of [1, 2, 3, 2, 3, 1, 2, 3]) expect((await indexRepository(await options(dataDir, { commit: repo.shas[i], compactAfterCommits }))).incremental).toBe(true);
      return dataDir;
    };
    const dataDir = await updateAll(4);
    const meta = (await readMeta(dataDir))!;
    for (const table of INDEX_TABLES) {
      // None is due: merged (or built) fewer than 4 commits ago.
      expect(meta.tableVersions[table] - (meta.compactedVersions?.[table] ?? 0), table).toBeLessThan(4);
    }
    // The same updates without merging leave more fragments behind.
    const unmerged = await updateAll(Number.MAX_SAFE_INTEGER);
    expect(await fragments(dataDir)).toBeLessThan((await fragments(unmerged)) - 5);

    const fullDir = await tempDir();
    await indexRepository(await options(fullDir, { commit: repo.shas.at(-1)! }));
    await expectSameRows(dataDir, fullDir);
    await expectSameRows(unmerged, fullDir);
  });

  test('a run that died halfway is rolled back; the previous index stays usable', async () => {
    const dataDir = await tempDir();
    await indexRepository(await options(dataDir, { commit: repo.shas[2] }));
    const before = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
    const chunkCount = await before.countRows('chunks');
    // What a killed run leaves behind: rows written, meta not.
    await before.deleteIn('chunks', 'path', ['shop/pricing.py']);
    before.close();

    // Readers pin to the recorded versions and never see the half-written state.
    const reader = await openStore(dataDir);
    expect(await reader.countRows('chunks')).toBe(chunkCount);
    reader.close();

    const next = await indexRepository(await options(dataDir, { commit: repo.shas[3] }));
    expect(next.rolledBack).toContain('chunks');
    const after = await openStore(dataDir);
    const names = (await after.readRows<{ name: string }>('chunks', { columns: ['name'] })).map((c) => c.name);
    expect(names).toContain('Cart.apply_discount');
    after.close();
  });

  test('two runs of one repository never overlap', async () => {
    const dataDir = await tempDir();
    const lock = await acquireIndexLock(dataDir, 'acme/shop');
    try {
      await expect(indexRepository(await options(dataDir))).rejects.toThrow(IndexLockedError);
    } finally {
      await lock.release();
    }
    await expect(indexRepository(await options(dataDir))).resolves.toMatchObject({ incremental: false });
  });

  test('a settings change forces a full rebuild', async () => {
    const dataDir = await tempDir();
    await indexRepository(await options(dataDir, { commit: repo.shas[2] }));
    const next = await indexRepository(await options(dataDir, { commit: repo.shas[3], embedder: new HashingEmbedder(32) }));
    expect(next.incremental).toBe(false);
    expect(next.rebuildReason).toMatch(/settings changed/);
  });
});

describe('indexRepository with a model (fake OpenAI-compatible server on 127.0.0.1)', () => {
  let server: FakeOpenAI;
  let baseUrl: string;
  beforeAll(async () => {
    server = new FakeOpenAI();
    baseUrl = await server.start();
  });
  afterAll(async () => server.stop());
  afterEach(() => {
    server.requests.length = 0;
  });

  const modelConfig = () => ({ apiKey: 'test', baseUrl, fastModel: 'fast-1', embeddingModel: 'embed-1', timeoutMs: 2_000 });

  test('model questions and embeddings are used and cached by content', async () => {
    server.chat = (body) => {
      const user = String((body.messages as Array<{ content: string }>)[1].content);
      const ids = [...user.matchAll(/### id: (c\d+)/g)].map((m) => m[1]);
      return { content: JSON.stringify({ items: ids.map((id) => ({ id, questions: [`Why is the total wrong (${id})?`, 'Coupon makes price negative'] })) }) };
    };
    const dataDir = await tempDir();
    const config = modelConfig();
    const run = async (commit: string) =>
      indexRepository(
        await options(dataDir, { commit, embedder: new OpenAIEmbedder(config), chat: new OpenAIChatModel(config), chatModelId: 'fast-1' }),
      );
    const first = await run(repo.shas[2]);
    expect(first.warnings).toEqual([]);
    expect(first.tokensSpent).toBeGreaterThan(0);
    const store = await openStore(dataDir);
    const questions = await store.readRows<{ source: string; text: string }>('questions');
    store.close();
    expect(questions.some((q) => q.source === 'model' && q.text === 'Coupon makes price negative')).toBe(true);
    // Raised messages stay beside the model's questions.
    expect(questions.some((q) => q.source === 'message' && q.text === 'Discount cannot exceed the cart total')).toBe(true);
    const embeddedFirst = new Set(server.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input as string[]));
    const chatFirst = server.count('/chat/completions');
    expect(chatFirst).toBeGreaterThan(0);

    server.requests.length = 0;
    await run(repo.shas[3]);
    const embeddedSecond = server.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input as string[]);
    // Only new text is embedded: nothing the first run embedded is sent again, and never a text twice.
    expect(embeddedSecond.length).toBeGreaterThan(0);
    expect(embeddedSecond.length).toBeLessThan(embeddedFirst.size);
    expect(embeddedSecond.filter((text) => embeddedFirst.has(text))).toEqual([]);
    expect(new Set(embeddedSecond).size).toBe(embeddedSecond.length);
  });

  test('a model that answers garbage, fails or times out: the index still completes offline, with a warning', async () => {
    for (const behaviour of ['garbage', 'error', 'timeout'] as const) {
      server.chat = () =>
        behaviour === 'garbage' ? { content: 'I am a teapot, not JSON' } : behaviour === 'error' ? { status: 500 } : { delayMs: 3_000, content: '{}' };
      const dataDir = await tempDir();
      const config = { ...modelConfig(), timeoutMs: 300 };
      const summary = await indexRepository(
        await options(dataDir, { commit: repo.shas[2], chat: new OpenAIChatModel(config), chatModelId: `bad-${behaviour}` }),
      );
      expect(summary.warnings.join('\n'), behaviour).toMatch(/question model failed/);
      expect(summary.chunks).toBeGreaterThan(5);
      const store = await openStore(dataDir);
      const sources = new Set((await store.readRows<{ source: string }>('questions', { columns: ['source'] })).map((q) => q.source));
      store.close();
      expect(sources.has('model')).toBe(false);
      expect(sources.has('message')).toBe(true);
    }
  });
});
