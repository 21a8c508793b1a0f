import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterEach, describe, expect, test } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';
import type * as Arrow from 'apache-arrow';
import { rowsToArrow } from '../../src/store/arrow-rows.ts';
import { RepoStore, repoNamespace, sqlString } from '../../src/store/repo-store.ts';
import { tableSchema, type ChunkRow, type FileRow } from '../../src/store/schema.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function openTemp(repoId = 'acme/shop'): Promise<RepoStore> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-store-'));
  dirs.push(dir);
  return RepoStore.open(dir, repoId);
}

function chunk(i: number, vector: Float32Array): ChunkRow {
  return {
    id: `f${i}.py#fn${i}#L1`, path: `pkg/f${i}.py`, language: 'python', name: `fn${i}`, kind: 'function',
    signature: `def fn${i}():`, doc: '', text: `def fn${i}(): pass`, content_hash: String(i), tokens: `fn${i} word${i % 7}`, vector: Array.from(vector),
  };
}

describe('RepoStore', () => {
  test('repositories are isolated in their own databases; predicates are quoted', async () => {
    expect(repoNamespace('acme/shop')).toBe('acme_shop');
    expect(repoNamespace('../../etc')).toBe('etc');
    expect(sqlString("it's")).toBe("'it''s'");
  });

  test('rows are stored exactly: multi-byte text, Int32 and Float64 columns, Float32Array and number[] vectors', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    const text = 'naïve café — 日本語 🚀 \'quoted\' ""';
    await store.add('chunks', [
      { ...chunk(1, new Float32Array(4)), text, doc: '', vector: new Float32Array([0.5, -0.25, 1, 0]) },
      { ...chunk(2, new Float32Array(4)), vector: [0, 0, 0, 1] },
    ]);
    await store.add('files', [
      { path: 'pkg/f2.py', language: 'python', blob_sha: 'b2', size: 2_000_000_000, doc: '', symbols: 'fn2', imports: '[]', tokens: 'fn2', chunk_lines: '{"fn2":[1,3]}', vector: [0, 0, 1, 0] },
    ]);
    await store.add('history', [
      { sha: 'a1', author: 'Zoë', email: 'z@example.com', date: 1_700_000_000.5, message: 'Fix ✓', files: 'a.py\nb.py', prs: '[]', issues: '[]', renames: '[]', tokens: 'fix' },
    ]);
    const chunks = await store.readRows<ChunkRow>('chunks');
    chunks.sort((a, b) => a.id.localeCompare(b.id));
    expect(chunks.map((row) => row.text)).toEqual([text, 'def fn2(): pass']);
    expect((await store.readRows<FileRow>('files'))[0]).toMatchObject({ size: 2_000_000_000, chunk_lines: '{"fn2":[1,3]}' });
    expect(Array.from(chunks[0].vector)).toEqual([0.5, -0.25, 1, 0]);
    expect(Array.from(chunks[1].vector)).toEqual([0, 0, 0, 1]);
    const [commit] = await store.readRows<{ author: string; date: number; files: string }>('history');
    expect(commit).toMatchObject({ author: 'Zoë', date: 1_700_000_000.5, files: 'a.py\nb.py' });
    await expect(store.add('chunks', [{ ...chunk(3, new Float32Array(4)), vector: [1, 2, 3] }])).rejects.toThrow(/vector of row 0 has 3 values/);
    store.close();
  });


  test('rows read with their row ids can be read further by id, in the order asked; an id the table no longer holds is an error', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    await store.add('chunks', [1, 2, 3, 4].map((i) => ({ ...chunk(i, new Float32Array([i, 0, 0, 0])) })));
    const keys = await store.readColumnsIn<{ id: string; _rowid: bigint }>('chunks', 'path', ['pkg/f2.py', 'pkg/f4.py', 'pkg/f3.py'], { columns: ['id'], rowIds: true });
    expect(keys.map((row) => typeof row._rowid)).toEqual(['bigint', 'bigint', 'bigint']);
    const byId = new Map(keys.map((row) => [row.id, row._rowid]));
    const wanted = ['f4.py#fn4#L1', 'f2.py#fn2#L1'].map((id) => byId.get(id)!);
    const taken = await store.takeRows<{ tokens: string; vector: Float32Array }>('chunks', wanted, { columns: ['tokens', 'vector'] });
    expect(taken.map((row) => [row.tokens, Array.from(row.vector)])).toEqual([
      ['fn4 word4', [4, 0, 0, 0]],
      ['fn2 word2', [2, 0, 0, 0]],
    ]);
    expect(await store.takeRows('chunks', [], { columns: ['tokens'] })).toEqual([]);
    await expect(store.takeRows('chunks', [wanted[0]! + 1000n], { columns: ['tokens'] })).rejects.toThrow(/gone/);
    store.close();
  });
  test('tables are written in Lance file format 2.0 (2.1 reads columns holding large strings far slower)', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    await store.add('history', [{ sha: 'a', author: 'A', email: 'a@example.com', date: 1, message: 'm', files: 'x/'.repeat(60_000), prs: '[]', issues: '[]', renames: '[]', tokens: 'm' }]);
    const dataDir = path.join(store.uri, 'history.lance', 'data');
    const files = (await readdir(dataDir)).filter((name) => name.endsWith('.lance'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      // A Lance file ends with its format version (major, minor as u16 little-endian) and "LANC"; 2.0 is written as 0.3.
      const bytes = await readFile(path.join(dataDir, name));
      const footer = bytes.subarray(bytes.length - 8);
      expect([footer.readUInt16LE(0), footer.readUInt16LE(2), footer.subarray(4).toString('latin1')]).toEqual([0, 3, 'LANC']);
    }
    store.close();
  });

  test('large tables get a vector index; search still finds the nearest row', async () => {
    const store = await openTemp();
    const embedder = new HashingEmbedder(32);
    await store.resetIndexTables(32);
    const texts = Array.from({ length: 400 }, (_, i) => `function number ${i} handles topic ${i % 13} and thing ${i % 5}`);
    const vectors = await embedder.embed(texts);
    await store.add('chunks', vectors.map((vector, i) => chunk(i, vector)));
    await store.refreshSearchIndexes({ vectorIndexMinRows: 500 });
    expect(await store.indexedColumns('chunks')).toEqual(['tokens']);
    await store.refreshSearchIndexes({ vectorIndexMinRows: 300 });
    expect((await store.indexedColumns('chunks')).sort()).toEqual(['tokens', 'vector']);
    const [query] = await embedder.embed([texts[123]]);
    const hits = await store.searchVector<{ id: string }>('chunks', query, { limit: 5, columns: ['id'] });
    expect(hits.map((h) => h.id)).toContain('f123.py#fn123#L1');
    const hitsText = await store.searchText<{ id: string }>('chunks', 'fn77', { limit: 3, columns: ['id'] });
    expect(hitsText[0].id).toBe('f77.py#fn77#L1');
    store.close();
  });
});

describe('deletes', () => {
  test('deleteAny removes the rows any part matches, batching long lists, in as few versions as its predicate budget allows', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    const rows = Array.from({ length: 4_000 }, (_, i) => chunk(i, new Float32Array([1, 0, 0, 0])));
    await store.add('chunks', rows);
    const before = (await store.tableVersions()).chunks;
    // 3,500 ids (12 IN batches of 300) and two paths, under two different predicates.
    const ids = rows.slice(0, 3_500).map((row) => row.id);
    await store.deleteAny('chunks', [
      { values: ids, predicate: (list) => `id IN (${list})` },
      { values: ['pkg/f3900.py', 'pkg/f3999.py', 'pkg/nowhere.py'], predicate: (list) => `name <> 'x' AND path IN (${list})` },
    ]);
    const left = (await store.readRows<{ id: string }>('chunks', { columns: ['id'] })).map((row) => row.id);
    expect(left).toHaveLength(498);
    expect(left).not.toContain('f3900.py#fn3900#L1');
    expect(left).not.toContain('f3999.py#fn3999#L1');
    expect(left).toContain('f3500.py#fn3500#L1');
    // 13 clauses, 10 to a delete (3,000 values): two deletes, two versions.
    expect((await store.tableVersions()).chunks - before).toBe(2);
    // Nothing to delete: no version at all.
    await store.deleteAny('chunks', [{ values: [], predicate: (list) => `id IN (${list})` }]);
    expect((await store.tableVersions()).chunks - before).toBe(2);
    store.close();
  });
});

describe('record tables (issues, runs)', () => {
  test('compact merges the fragments appends and deletes leave, keeps the rows, and removes no version a reader may be pinned to', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    for (let i = 0; i < 30; i += 1) await store.add('chunks', [chunk(i, new Float32Array([1, 0, 0, 0]))]);
    await store.deleteIn('chunks', 'path', ['pkg/f3.py', 'pkg/f17.py']);
    const table = async () => (await lancedb.connect(store.uri)).openTable('chunks');
    expect((await (await table()).stats()).fragmentStats.numFragments).toBe(28);
    const ids = async (reader: RepoStore) => (await reader.readRows<{ id: string }>('chunks', { columns: ['id'] })).map((row) => row.id).sort();
    const before = await ids(store);
    const versions = await store.tableVersions();

    await store.compact(['chunks']);
    expect((await (await table()).stats()).fragmentStats.numFragments).toBe(1);
    expect(await ids(store)).toEqual(before);
    expect(before).toHaveLength(28);
    // An earlier version is still there for a reader pinned to it.
    await store.add('chunks', [chunk(99, new Float32Array([0, 1, 0, 0]))]);
    const pinned = await RepoStore.open(path.dirname(store.uri), 'acme/shop');
    await pinned.pinTo({ tableVersions: versions });
    expect(await ids(pinned)).toEqual(before);
    pinned.close();
    store.close();
  });

  test('compact removes old versions, but never the one readers may be pinned to, nor a newer one', async () => {
    const store = await openTemp();
    await store.resetIndexTables(4);
    const versions: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await store.add('chunks', [chunk(i, new Float32Array([1, 0, 0, 0]))]);
      versions.push((await store.tableVersions()).chunks);
      // Versions within a second of the kept one are kept too.
      if (i === 0) await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const readAt = async (version: number) => {
      const reader = await RepoStore.open(path.dirname(store.uri), 'acme/shop');
      try {
        await reader.pinTo({ tableVersions: { ...(await reader.tableVersions()), chunks: version } });
        return (await reader.readRows<{ id: string }>('chunks', { columns: ['id'] })).length;
      } finally {
        reader.close();
      }
    };
    // Everything older than now may go, except the version recorded second and the ones after it.
    await store.compact(['chunks'], { chunks: versions[1] }, 0);
    const table = await (await lancedb.connect(store.uri)).openTable('chunks');
    const left = (await table.listVersions()).map((version) => version.version);
    table.close();
    expect(left).not.toContain(versions[0]);
    expect(left).toEqual(expect.arrayContaining(versions.slice(1)));
    expect(await readAt(versions[1]!)).toBe(2);
    expect(await readAt(versions[3]!)).toBe(4);
    store.close();
  });

  test('upsert replaces rows by key, survives reopening, and is untouched by index resets', async () => {
    const store = await openTemp();
    const run = (key: string, state: string) => ({ key, issue: 7, text_hash: 'h', commit: 'c', state, updated: Date.now() });
    await store.upsertRecords('runs', [run('a', '{"v":1}'), run('b', '{"v":1}')]);
    await store.upsertRecords('runs', [run('a', '{"v":2}')]);
    await store.resetIndexTables(8);
    const rows = await store.readRecords<{ key: string; state: string }>('runs');
    expect(rows.map((row) => [row.key, row.state]).sort()).toEqual([['a', '{"v":2}'], ['b', '{"v":1}']]);
    expect((await store.recordsWithKeys<{ key: string }>('runs', ['b'])).map((row) => row.key)).toEqual(['b']);
    await store.deleteRecords('runs', `key = ${sqlString('b')}`);
    expect(await store.countRecords('runs')).toBe(1);
    expect(await store.readRecords('issues')).toEqual([]);
  });
});

describe('Arrow values', () => {
  test('schemas and tables are made with the apache-arrow instance LanceDB requires, so it takes them as they are', () => {
    const lancedbArrow = createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb'))('apache-arrow') as typeof Arrow;
    const schema = tableSchema('edges', 8);
    expect(schema).toBeInstanceOf(lancedbArrow.Schema);
    const table = rowsToArrow(schema, [{ kind: 'import', src: 'a.py', dst: 'b.py', weight: 1 }]);
    expect(table).toBeInstanceOf(lancedbArrow.Table);
    expect(table.getChild('dst')?.get(0)).toBe('b.py');
  });
});
