import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { clearChunkRows, planChunkRowDeletion } from '../../src/index/indexer.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import type { ChunkRow } from '../../src/store/schema.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const ids = (file: string, n: number) => Array.from({ length: n }, (_, i) => `${file}#fn${i}`);
const limits = { byIdMax: 3, keepMax: 4 };

describe('planChunkRowDeletion: the changed files\' chunk rows go by a predicate of bounded length', () => {
  test('few rows to delete: listed by id, whatever is kept', () => {
    const kept = new Set(ids('a.py', 10).slice(2));
    expect(planChunkRowDeletion(['a.py'], ids('a.py', 10), kept, limits)).toEqual({ ids: ['a.py#fn0', 'a.py#fn1'] });
    expect(kept.size).toBe(8);
  });

  test('many to delete and few kept: found by path, the kept ones spared', () => {
    const kept = new Set(['a.py#fn1', 'b.py#fn0']);
    expect(planChunkRowDeletion(['a.py', 'b.py'], [...ids('a.py', 4), ...ids('b.py', 2)], kept, limits)).toEqual({ paths: ['a.py', 'b.py'], spared: ['a.py#fn1', 'b.py#fn0'] });
    expect(kept.size).toBe(2);
  });

  test('many to delete and many kept: none is kept (those chunks are written again), all found by path', () => {
    const kept = new Set(ids('a.py', 10).slice(5));
    expect(planChunkRowDeletion(['a.py'], ids('a.py', 10), kept, limits)).toEqual({ paths: ['a.py'], spared: [] });
    expect(kept.size).toBe(0);
  });
});

describe('clearChunkRows', () => {
  test('deletes what the plan says from a real table, by id or by path sparing the kept rows', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scout-chunk-rows-'));
    dirs.push(dir);
    const store = await RepoStore.open(dir, 'acme/shop');
    try {
      await store.resetIndexTables(2);
      const row = (id: string): ChunkRow => ({
        id, path: id.split('#')[0]!, language: 'python', name: id.split('#')[1]!, kind: 'function', signature: '', doc: '', text: id, content_hash: id, tokens: id, vector: [1, 0],
      });
      await store.add('chunks', [...ids('a.py', 4), ...ids('b.py', 3), "it's.py#fn0"].map(row));
      const left = async () => (await store.readColumns<{ id: string }>('chunks', { columns: ['id'] })).map((r) => r.id).sort();

      await clearChunkRows(store, planChunkRowDeletion(['a.py', "it's.py"], [...ids('a.py', 4), "it's.py#fn0"], new Set(['a.py#fn2']), limits));
      expect(await left()).toEqual(['a.py#fn2', 'b.py#fn0', 'b.py#fn1', 'b.py#fn2']);

      await clearChunkRows(store, planChunkRowDeletion(['b.py'], ids('b.py', 3), new Set(['b.py#fn0', 'b.py#fn2']), limits));
      expect(await left()).toEqual(['a.py#fn2', 'b.py#fn0', 'b.py#fn2']);
    } finally {
      store.close();
    }
  });
});
