import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';
import { indexRepository, type IndexOptions } from '../../src/index/indexer.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { IndexTable } from '../../src/store/schema.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

/** A Python module long enough to be cut into segments, its long class at its members. */
function ordersPy(edit: { total?: string; comment?: string; above?: string } = {}): string {
  const method = (name: string, size: number, body = `return self.${name}_value`) =>
    `    def ${name}(self):\n        """${name} of the order."""\n${Array.from({ length: size }, (_, i) => `        step_${i} = self.step(${i})`).join('\n')}\n        ${body}\n`;
  return `"""Orders and their totals."""
from decimal import Decimal
${edit.above ?? ''}

${edit.comment ?? '# Rounds a price.'}
def round_price(value):
${Array.from({ length: 45 }, (_, i) => `    value = adjust(value, ${i})`).join('\n')}
    return value


class Order:
    """An order."""

${method('subtotal', 45)}
${method('total', 45, edit.total ?? 'return self.subtotal() + self.tax()')}
${method('tax', 45)}
`;
}

/** A long plain-text doc: its token column is assembled from cached pieces of its text. */
function guideTxt(edit = ''): string {
  const paragraph = (i: number) => `Section ${i}\n\nThe checkout applies coupon ${i} before tax; see Order.total and round_price.\nA second line of paragraph ${i}.\n`;
  return Array.from({ length: 120 }, (_, i) => (i === 60 ? `${edit}${paragraph(i)}` : paragraph(i))).join('\n');
}

let repo: FixtureRepo;
const dirs: string[] = [];

beforeAll(async () => {
  repo = await makeRepo([
    { message: 'Orders', files: { 'shop/orders.py': ordersPy(), 'shop/other.py': ordersPy({ comment: '# Other.' }), 'docs/guide.txt': guideTxt() } },
    {
      message: 'Tax-free totals and a header',
      files: {
        'shop/orders.py': ordersPy({ total: 'return self.subtotal()', above: 'HEADER = 1\nFOOTER = 2\n' }),
        'shop/more.py': ordersPy({ comment: '# More.' }),
        'docs/guide.txt': guideTxt('A paragraph added in the middle, about refunds.\n\n'),
      },
    },
    { message: 'Comment, rename, delete', renames: { 'shop/more.py': 'shop/most.py' }, files: { 'shop/orders.py': ordersPy({ comment: '# Rounds a price, up.' }), 'shop/other.py': null } },
  ]);
});

afterAll(async () => {
  await repo?.cleanup();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function options(commit: string): Promise<IndexOptions> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-segments-'));
  dirs.push(dataDir);
  return {
    repoPath: repo.dir,
    repoId: 'acme/orders',
    commit,
    dataDir,
    lancedbUri: path.join(dataDir, 'lancedb'),
    limits: { maxFiles: 1000, maxFileBytes: 1_000_000, maxTotalBytes: 50_000_000 },
    historyCommits: 100,
    embedder: new HashingEmbedder(64),
  };
}

async function snapshot(lancedbUri: string, table: IndexTable): Promise<unknown[]> {
  return RepoStore.using(lancedbUri, 'acme/orders', async (store) => {
    const meta = await store.readMeta();
    if (meta) await store.pinTo(meta);
    const rows = await store.readRows<Record<string, unknown>>(table);
    return rows
      .map((row) => JSON.stringify({ ...row, vector: row.vector ? Array.from(row.vector as ArrayLike<number>).map((x) => Number(x.toFixed(5))) : undefined }))
      .sort();
  });
}

test('incremental runs over Python files cut into segments and a doc cut into pieces give the rows of a full index, segments included', async () => {
  const incremental = await options(repo.shas[0]);
  await indexRepository(incremental);
  for (const commit of repo.shas.slice(1)) {
    const summary = await indexRepository({ ...incremental, commit });
    expect(summary.incremental).toBe(true);
    const full = await options(commit);
    await indexRepository(full);
    for (const table of ['files', 'chunks', 'questions', 'segments'] as const) {
      expect(await snapshot(incremental.lancedbUri, table), `${table} at ${commit}`).toEqual(await snapshot(full.lancedbUri, table));
    }
  }
  const segments = (await snapshot(incremental.lancedbUri, 'segments')).map((row) => (JSON.parse(row as string) as { path: string }).path);
  expect(new Set(segments)).toEqual(new Set(['shop/orders.py', 'shop/most.py', 'docs/guide.txt']));
  const chunks = (await snapshot(incremental.lancedbUri, 'chunks')).map((row) => JSON.parse(row as string) as { path: string; name: string; doc: string });
  expect(chunks.find((chunk) => chunk.path === 'shop/orders.py' && chunk.name === 'round_price')?.doc).toBe('Rounds a price, up.');
  expect(chunks.filter((chunk) => chunk.path === 'shop/orders.py').map((chunk) => chunk.name)).toEqual(
    expect.arrayContaining(['Order', 'Order.subtotal', 'Order.total', 'Order.tax']),
  );
});
