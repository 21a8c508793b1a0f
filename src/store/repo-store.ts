import { createRequire } from 'node:module';
import './lance-runtime.ts';
import type * as Lance from '@lancedb/lancedb';
import { log } from '../log.ts';
import { rowsToArrow, stringColumn } from './arrow-rows.ts';
import type { EmbeddingCache } from '../ai/cached-embedder.ts';
import type { WalkResult } from '../index/types.ts';
import {
  FTS_TABLES,
  INDEX_TABLES,
  tableSchema,
  type EmbedCacheRow,
  type IndexTable,
  type MetaRow,
  type QuestionCacheRow,
  type RecordTable,
  type TableName,
} from './schema.ts';

// Required, not imported: an import would be evaluated before lance-runtime's settings wherever
// the two end up in one module (the CLI's bundle); LanceDB reads some of them as it loads.
const lancedb = createRequire(import.meta.url)('@lancedb/lancedb') as typeof Lance;

export interface QuestionCache {
  get(keys: string[]): Promise<Map<string, string[]>>;
  put(entries: Array<{ key: string; questions: string[] }>): Promise<void>;
}

/** What the last complete index run recorded; written last, so it is the run's commit point. */
export interface IndexMeta {
  indexedCommit: string;
  schemaVersion: number;
  settingsHash: string;
  dimension: number;
  /** Table versions of the last complete run: readers pin to them, and a killed run is rolled back to them. */
  tableVersions: Record<IndexTable, number>;
  indexedAt: string;
  /** Rows added since the search indexes were last refreshed (they are searched by a flat scan meanwhile). */
  pendingRows?: number;
  /**
   * Each table's version when its fragments were last merged (by `compact`, a search index
   * refresh or a full build): the commits made since say when it is due again.
   */
  compactedVersions?: Partial<Record<IndexTable, number>>;
  /** Set when the run's walk stopped at a limit (files were left out): the next run is a full one. */
  limitHit?: WalkResult['limitHit'];
  /**
   * The history window's shas in git's order (newest first), one per line: an
   * update whose new commits are one line of single-parent commits on top of the indexed commit
   * knows the new window from them and this, without asking git for it.
   */
  historyOrder?: string;
  stats: Record<string, unknown>;
}

const ADD_BATCH = 5000;
const VECTOR_INDEX_MIN_ROWS = 100_000;
const VECTOR_TABLES = ['files', 'chunks'] as const satisfies readonly IndexTable[];
/** Values per `IN (…)` list, so predicates stay small. */
const IN_BATCH = 300;
/**
 * Reads come back in as few batches as the data allows (one per fragment) rather than 1,024 rows
 * each: every batch is a round trip through this thread, which an index run keeps busy.
 */
const WHOLE_BATCHES = { maxBatchLength: 1 << 20 };
/** The column LanceDB adds for `withRowId()`: a row's address in its table version. */
const ROW_ID = '_rowid';

/**
 * Tables are written in Lance file format 2.0. LanceDB 0.31's default ("stable", 2.1) reads a string
 * column holding some large values (a commit's file list, a file's tokens) about 15 times slower:
 * django's 5,000 history file lists (1 MB, the largest 100 KB) take 42 ms against 3 ms. Tables made
 * before keep their format until the next full rebuild.
 */
const STORAGE_OPTIONS: Record<string, string> = { new_table_data_storage_version: '2.0' };

/** Per table, the oldest version readers may still be pinned to (that of the last complete index run). */
export type KeptVersions = Partial<Record<IndexTable, number>>;

const VERSION_RETENTION_MS = 7 * 24 * 3600 * 1000;

/**
 * LanceDB's `optimize` (fragments merged, deletions folded in, search indexes updated), removing
 * the versions older than `retentionMs` (7 days, LanceDB's default) but never `keep` or a newer
 * one: a reader pinned to the last complete index keeps reading it however old it is.
 */
async function optimizeKeeping(table: Lance.Table, keep: number | undefined, retentionMs = VERSION_RETENTION_MS): Promise<void> {
  let cutoff = new Date(Date.now() - retentionMs);
  if (keep !== undefined) {
    const kept = (await table.listVersions()).find((version) => version.version === keep);
    // A version whose time is unknown: nothing is removed. LanceDB turns the date into an age
    // against its own clock, hence the second of margin.
    if (!kept) cutoff = new Date(0);
    else if (kept.timestamp.getTime() - 1000 < cutoff.getTime()) cutoff = new Date(kept.timestamp.getTime() - 1000);
  }
  await table.optimize({ cleanupOlderThan: cutoff });
}

/** Quotes a string for a LanceDB (DataFusion SQL) predicate. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Turns `owner/name` or a local path into the name of the repository's own LanceDB database. */
export function repoNamespace(repoId: string): string {
  return repoId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
}

/** Full-text settings: our tokenizer already split, lowercased and stemmed the `tokens` columns. */
/** A fresh index config per use: LanceDB consumes the object. */
const ftsConfig = () => lancedb.Index.fts({
  baseTokenizer: 'whitespace',
  lowercase: false,
  stem: false,
  removeStopWords: false,
  asciiFolding: false,
  withPosition: false,
  maxTokenLength: 60,
});

/**
 * One repository's index: its own LanceDB database under the configured URI, so no query can
 * reach another repository's rows.
 */
export class RepoStore {
  private readonly tables = new Map<TableName, Lance.Table>();
  private readonly opening = new Map<TableName, Promise<Lance.Table | undefined>>();
  /** Each open table's schema, asked once: `add` then reaches LanceDB without waiting for a reply first. */
  private readonly schemas = new WeakMap<Lance.Table, Promise<Awaited<ReturnType<Lance.Table['schema']>>>>();

  private constructor(
    readonly repoId: string,
    readonly uri: string,
    private readonly db: Lance.Connection,
  ) {}

  static async open(lancedbUri: string, repoId: string): Promise<RepoStore> {
    const uri = `${lancedbUri.replace(/\/+$/, '')}/${repoNamespace(repoId)}`;
    const db = await lancedb.connect(uri, { storageOptions: STORAGE_OPTIONS });
    return new RepoStore(repoId, uri, db);
  }

  /** Opens a repository's store for the length of `work`, and closes it however `work` ends. */
  static async using<T>(lancedbUri: string, repoId: string, work: (store: RepoStore) => Promise<T>): Promise<T> {
    const store = await RepoStore.open(lancedbUri, repoId);
    try {
      return await work(store);
    } finally {
      store.close();
    }
  }

  close(): void {
    for (const table of this.tables.values()) table.close();
    this.tables.clear();
    this.db.close();
  }

  private async table(name: TableName): Promise<Lance.Table | undefined> {
    const cached = this.tables.get(name);
    if (cached) return cached;
    // Concurrent callers share one open, so a table is never opened twice.
    let opening = this.opening.get(name);
    if (!opening) {
      opening = (async () => {
        const names = await this.db.tableNames();
        if (!names.includes(name)) return undefined;
        const table = await this.db.openTable(name);
        this.tables.set(name, table);
        return table;
      })().finally(() => this.opening.delete(name));
      this.opening.set(name, opening);
    }
    return opening;
  }

  private async requireTable(name: TableName): Promise<Lance.Table> {
    const table = await this.table(name);
    if (!table) throw new Error(`The index of ${this.repoId} has no ${name} table; run \`scout index\` first.`);
    return table;
  }

  async readMeta(): Promise<IndexMeta | undefined> {
    const table = await this.table('meta');
    if (!table) return undefined;
    const rows = (await table.query().toArray()) as MetaRow[];
    const record = rows.find((row) => row.key === 'index');
    return record ? (JSON.parse(record.value) as IndexMeta) : undefined;
  }

  async writeMeta(meta: IndexMeta): Promise<void> {
    const rows: Array<MetaRow & Record<string, unknown>> = [{ key: 'index', value: JSON.stringify(meta) }];
    const table = await this.db.createTable('meta', rows, { mode: 'overwrite', schema: tableSchema('meta', 0) });
    this.tables.set('meta', table);
  }

  /**
   * Undoes what a run that died halfway wrote: every index table goes back to the version the
   * last complete run recorded. Returns the tables that were rolled back.
   */
  async rollbackTo(meta: IndexMeta): Promise<IndexTable[]> {
    const rolledBack = await Promise.all(
      INDEX_TABLES.map(async (name) => {
        const table = await this.table(name);
        const recorded = meta.tableVersions[name];
        if (!table || recorded === undefined) return undefined;
        if ((await table.version()) === recorded) return undefined;
        await table.checkout(recorded);
        await table.restore();
        return name;
      }),
    );
    return rolledBack.filter((name): name is IndexTable => name !== undefined);
  }

  /** Pins reads to the versions of the last complete run, so a run in progress is never half-seen. */
  async pinTo(meta: Pick<IndexMeta, 'tableVersions'>): Promise<void> {
    await Promise.all(
      INDEX_TABLES.map(async (name) => {
        const table = await this.table(name);
        if (table && meta.tableVersions[name] !== undefined) await table.checkout(meta.tableVersions[name]);
      }),
    );
  }

  /** Empties every index table (a new version of each, so a killed rebuild can still be rolled back). */
  async resetIndexTables(dimension: number): Promise<void> {
    for (const name of INDEX_TABLES) {
      const table = await this.db.createEmptyTable(name, tableSchema(name, dimension), { mode: 'overwrite' });
      this.tables.get(name)?.close();
      this.tables.set(name, table);
    }
  }

  private schemaOf(table: Lance.Table): ReturnType<Lance.Table['schema']> {
    let schema = this.schemas.get(table);
    if (!schema) {
      schema = table.schema();
      this.schemas.set(table, schema);
    }
    return schema;
  }

  /** Opens index tables and reads their schemas ahead of writes (an `add` then starts at once). */
  async prepareWrites(names: readonly IndexTable[]): Promise<void> {
    await Promise.all(names.map(async (name) => this.schemaOf(await this.requireTable(name))));
  }

  async add<Row extends object>(name: IndexTable, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const table = await this.requireTable(name);
    const schema = await this.schemaOf(table);
    for (let start = 0; start < rows.length; start += ADD_BATCH) {
      await table.add(rowsToArrow(schema, rows.slice(start, start + ADD_BATCH)));
    }
  }

  async deleteWhere(name: IndexTable, predicate: string): Promise<void> {
    const table = await this.requireTable(name);
    await table.delete(predicate);
  }

  /** Deletes the rows whose `group` column is a key of `values` and whose `column` is one of that key's values. */
  async deleteInGroups(name: IndexTable, group: string, column: string, values: Map<string, string[]>): Promise<void> {
    await this.deleteAny(name, [...values].map(([key, list]) => ({ values: list, predicate: (items: string) => `${group} = ${sqlString(key)} AND ${column} IN (${items})` })));
  }

  /** Deletes rows whose `column` is one of `values`, in batches that keep predicates small. */
  async deleteIn(name: IndexTable, column: string, values: string[]): Promise<void> {
    await this.deleteMatching(name, values, (list) => `${column} IN (${list})`);
  }

  /** Deletes the rows `predicate` matches for each batch of `values` (a quoted, comma-separated list for `IN (…)`). */
  async deleteMatching(name: IndexTable, values: Iterable<string>, predicate: (list: string) => string): Promise<void> {
    await this.deleteAny(name, [{ values, predicate }]);
  }

  /**
   * Deletes the rows any of `parts` matches (each as `deleteMatching`), joining the batches' clauses
   * with OR into as few deletes as keep a predicate within GROUP_CLAUSES clauses and DELETE_LITERALS
   * values: each delete scans the table and commits a version, so two clauses cost about as much as one.
   */
  async deleteAny(name: IndexTable, parts: Array<{ values: Iterable<string>; predicate: (list: string) => string }>): Promise<void> {
    const predicates: string[] = [];
    let clauses: string[] = [];
    let literals = 0;
    for (const { values, predicate } of parts) {
      const all = [...values];
      inLists(all).forEach((list, i) => {
        const count = Math.min(IN_BATCH, all.length - i * IN_BATCH);
        if (clauses.length > 0 && (clauses.length === GROUP_CLAUSES || literals + count > DELETE_LITERALS)) {
          predicates.push(clauses.join(' OR '));
          clauses = [];
          literals = 0;
        }
        clauses.push(`(${predicate(list)})`);
        literals += count;
      });
    }
    if (clauses.length > 0) predicates.push(clauses.join(' OR '));
    if (predicates.length === 0) return;
    const table = await this.requireTable(name);
    for (const where of predicates) await table.delete(where);
  }

  async readRows<Row>(name: IndexTable, options: { columns?: string[]; where?: string } = {}): Promise<Row[]> {
    const table = await this.table(name);
    if (!table) return [];
    let query = table.query();
    if (options.where) query = query.where(options.where);
    if (options.columns) query = query.select(options.columns);
    return (await query.toArray()) as Row[];
  }

  /**
   * Scalar columns of a table (index or record table) as plain objects, decoded column by column:
   * for tens of thousands of rows this is several times faster than `readRows`' row proxies.
   */
  async readColumns<Row>(name: TableName, options: { columns: string[]; where?: string }): Promise<Row[]> {
    const table = await this.table(name);
    if (!table) return [];
    let query = table.query();
    if (options.where) query = query.where(options.where);
    return columnsToRows<Row>(await query.select(options.columns).toArrow(WHOLE_BATCHES), options.columns);
  }

  /**
   * Like `readColumns`, for the rows whose `column` is one of `values` (none when `values` is
   * empty); `vector` columns come back as Float32Arrays. With `rowIds`, each row also has its
   * `_rowid` (a bigint), by which `takeRows` reads more of it while the table is unchanged.
   */
  async readColumnsIn<Row>(name: TableName, column: string, values: string[], options: { columns: string[]; rowIds?: boolean }): Promise<Row[]> {
    const table = await this.table(name);
    if (!table || values.length === 0) return [];
    const columns = options.rowIds ? [...options.columns, ROW_ID] : options.columns;
    const rows: Row[] = [];
    for (const list of inLists(values)) {
      let query = table.query().where(`${column} IN (${list})`).select(options.columns);
      if (options.rowIds) query = query.withRowId();
      rows.push(...columnsToRows<Row>(await query.toArrow(WHOLE_BATCHES), columns));
    }
    return rows;
  }

  /**
   * The `columns` of the rows with these `_rowid`s (from `readColumnsIn`), in the order asked;
   * the table must not have changed since those were read. A row id the table lacks is an error.
   */
  async takeRows<Row>(name: TableName, rowIds: readonly bigint[], options: { columns: string[] }): Promise<Row[]> {
    if (rowIds.length === 0) return [];
    const table = await this.table(name);
    if (!table) throw new Error(`cannot read rows of ${name}: the table does not exist`);
    const result = await table.takeRowIds(rowIds).select(options.columns).withRowId().toArrow(WHOLE_BATCHES);
    const taken = columnsToRows<Row & { [ROW_ID]: bigint }>(result, [...options.columns, ROW_ID]);
    const byId = new Map(taken.map((row) => [row[ROW_ID], row]));
    return rowIds.map((id) => {
      const row = byId.get(id);
      if (!row) throw new Error(`row ${id} of ${name} is gone (the table changed since it was read)`);
      return row;
    });
  }

  /** BM25 full-text search over a table's `tokens` column; `query` is already tokenized (space-separated). */
  async searchText<Row>(name: IndexTable, query: string, options: { limit: number; columns: string[]; where?: string }): Promise<Array<Row & { _score: number }>> {
    const table = await this.table(name);
    if (!table || !query.trim()) return [];
    let search = table.search(query, 'fts').select([...options.columns, '_score']).limit(options.limit);
    if (options.where) search = search.where(options.where);
    return (await search.toArray()) as Array<Row & { _score: number }>;
  }

  /** Nearest rows by vector (cosine distance; vectors are L2-normalised). */
  async searchVector<Row>(name: IndexTable, vector: Float32Array, options: { limit: number; columns: string[] }): Promise<Array<Row & { _distance: number }>> {
    const table = await this.table(name);
    if (!table) return [];
    const rows = await table
      .query()
      .nearestTo(Array.from(vector))
      .distanceType('cosine')
      .select([...options.columns, '_distance'])
      .limit(options.limit)
      .toArray();
    return rows as Array<Row & { _distance: number }>;
  }

  /** The columns of a table that carry an index (`tokens`, `vector`). */
  async indexedColumns(name: IndexTable): Promise<string[]> {
    const table = await this.table(name);
    return table ? (await table.listIndices()).flatMap((index) => index.columns) : [];
  }

  async countRows(name: IndexTable): Promise<number> {
    const table = await this.table(name);
    return table ? table.countRows() : 0;
  }

  async tableVersions(): Promise<Record<IndexTable, number>> {
    const versions = await Promise.all(INDEX_TABLES.map(async (name) => [name, await (await this.requireTable(name)).version()] as const));
    return Object.fromEntries(versions) as Record<IndexTable, number>;
  }

  /**
   * Creates the full-text indexes that are missing and folds new rows into existing ones once
   * they are a noticeable share of the table. LanceDB also searches rows not yet indexed (a flat
   * scan), so a small push need not pay for re-indexing: this is about speed, not correctness.
   */
  async refreshSearchIndexes(options: { vectorIndexMinRows?: number; keep?: KeptVersions } = {}): Promise<IndexTable[]> {
    await this.refreshVectorIndexes(options.vectorIndexMinRows ?? VECTOR_INDEX_MIN_ROWS);
    const optimized: IndexTable[] = [];
    for (const name of FTS_TABLES) {
      const table = await this.requireTable(name);
      const index = (await table.listIndices()).find((candidate) => candidate.columns.includes('tokens'));
      if (index) {
        const stats = await table.indexStats(index.name);
        const unindexed = stats?.numUnindexedRows ?? 0;
        if (unindexed > 2_000 || unindexed > 0.1 * (stats?.numIndexedRows ?? 0)) {
          await optimizeKeeping(table, options.keep?.[name]);
          optimized.push(name);
        }
      } else if ((await table.countRows()) > 0) {
        await table.createIndex('tokens', { config: ftsConfig(), replace: true });
      }
    }
    return optimized;
  }

  /**
   * Merges the tables' fragments, folds their deletions in and brings their search indexes up to
   * date (LanceDB's `optimize`). Every update adds fragments and deletion files, and reading a
   * table costs more the more it has of them: after 100 one-commit pushes to django the next update
   * took about 1.5 times as long. Versions are removed as `optimizeKeeping` says.
   */
  async compact(names: readonly IndexTable[], keep?: KeptVersions, retentionMs = VERSION_RETENTION_MS): Promise<void> {
    for (const name of names) await optimizeKeeping(await this.requireTable(name), keep?.[name], retentionMs);
  }

  /**
   * Below ~100,000 rows a flat vector scan takes milliseconds and is exact; above, an IVF-PQ index
   * keeps nearest-neighbour search fast. Built once; new rows are searched flat until `optimize`.
   */
  private async refreshVectorIndexes(minRows: number): Promise<void> {
    for (const name of VECTOR_TABLES) {
      const table = await this.requireTable(name);
      const rows = await table.countRows();
      if (rows < minRows) continue;
      if ((await table.listIndices()).some((index) => index.columns.includes('vector'))) continue;
      const schema = await table.schema();
      const dimension = (schema.fields.find((field) => field.name === 'vector')?.type as { listSize?: number } | undefined)?.listSize ?? 0;
      if (dimension < 16 || dimension % 8 !== 0) continue;
      await table.createIndex('vector', {
        config: lancedb.Index.ivfPq({
          numPartitions: Math.max(1, Math.round(Math.sqrt(rows))),
          numSubVectors: dimension / 8,
          distanceType: 'cosine',
        }),
      });
    }
  }

  /** The embedding cache of this repository (content hash → vector), for paid embedders. */
  embeddingCache(): EmbeddingCache {
    // Created on the first put, when the vector length is known.
    const open = async (dimension?: number): Promise<Lance.Table | undefined> => {
      const existing = await this.table('embed_cache');
      if (existing || dimension === undefined) return existing;
      const created = await this.db.createEmptyTable('embed_cache', tableSchema('embed_cache', dimension), {
        existOk: true,
      });
      this.tables.set('embed_cache', created);
      return created;
    };
    return {
      get: async (keys) => {
        const found = new Map<string, Float32Array>();
        const table = await open();
        if (keys.length === 0 || !table) return found;
        for (const row of await rowsWithKeys<EmbedCacheRow>(table, keys)) found.set(row.key, toFloat32(row.vector));
        return found;
      },
      put: async (entries) => {
        if (entries.length === 0) return;
        const table = await open(entries[0].vector.length);
        await table!.add(rowsToArrow(await table!.schema(), entries));
      },
    };
  }

  /** Questions a model already wrote for a chunk's content (content hash → questions). */
  questionCache(): QuestionCache {
    const open = async (): Promise<Lance.Table> => {
      const existing = await this.table('question_cache');
      if (existing) return existing;
      const created = await this.db.createEmptyTable('question_cache', tableSchema('question_cache', 0), { existOk: true });
      this.tables.set('question_cache', created);
      return created;
    };
    return {
      get: async (keys) => {
        const found = new Map<string, string[]>();
        if (keys.length === 0) return found;
        const table = await open();
        for (const row of await rowsWithKeys<QuestionCacheRow>(table, keys)) found.set(row.key, JSON.parse(row.value) as string[]);
        return found;
      },
      put: async (entries) => {
        if (entries.length === 0) return;
        const table = await open();
        await table.add(entries.map((entry) => ({ key: entry.key, value: JSON.stringify(entry.questions) })));
      },
    };
  }

  /** Writes records, replacing any with the same `key` (the table is created on first write). */
  async upsertRecords<Row extends { key: string }>(name: RecordTable, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const table = await this.recordTable(name);
    const unique = [...new Map(rows.map((row) => [row.key, row])).values()];
    await table
      .mergeInsert('key')
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute(unique as unknown as Record<string, unknown>[]);
  }

  async readRecords<Row>(name: RecordTable, options: { where?: string; columns?: string[]; limit?: number } = {}): Promise<Row[]> {
    const table = await this.table(name);
    if (!table) return [];
    let query = table.query();
    if (options.where) query = query.where(options.where);
    if (options.columns) query = query.select(options.columns);
    if (options.limit) query = query.limit(options.limit);
    return (await query.toArray()) as Row[];
  }

  /** Records whose `key` is one of `keys`. */
  async recordsWithKeys<Row>(name: RecordTable, keys: string[]): Promise<Row[]> {
    const table = await this.table(name);
    if (!table || keys.length === 0) return [];
    return rowsWithKeys<Row>(table, keys);
  }

  async deleteRecords(name: RecordTable, predicate: string): Promise<void> {
    const table = await this.table(name);
    if (table) await table.delete(predicate);
  }

  async countRecords(name: RecordTable): Promise<number> {
    const table = await this.table(name);
    return table ? table.countRows() : 0;
  }

  private async recordTable(name: RecordTable): Promise<Lance.Table> {
    const existing = await this.table(name);
    if (existing) return existing;
    const created = await this.db.createEmptyTable(name, tableSchema(name, 0), { existOk: true });
    this.tables.set(name, created);
    return created;
  }

  async dropAll(): Promise<void> {
    this.close();
    const db = await lancedb.connect(this.uri);
    await db.dropAllTables();
    db.close();
    log.info({ repo: this.repoId }, 'dropped index');
  }
}

/** Clauses per delete predicate, at most. */
const GROUP_CLAUSES = 100;
/** Values (in IN lists) per delete predicate, at most. */
const DELETE_LITERALS = 3_000;

/** `values` as quoted, comma-separated lists of at most IN_BATCH items, for `IN (…)` predicates. */
function inLists(values: string[]): string[] {
  const lists: string[] = [];
  for (let start = 0; start < values.length; start += IN_BATCH) lists.push(values.slice(start, start + IN_BATCH).map(sqlString).join(', '));
  return lists;
}

/** The rows of a cache table whose `key` is one of `keys`. */
async function rowsWithKeys<Row>(table: Lance.Table, keys: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const list of inLists(keys)) rows.push(...((await table.query().where(`key IN (${list})`).toArray()) as Row[]));
  return rows;
}

/** Rows of an Arrow result as plain objects, decoded column by column; fixed-size float lists (vectors) as Float32Arrays. */
function columnsToRows<Row>(result: Awaited<ReturnType<ReturnType<Lance.Table['query']>['toArrow']>>, columns: string[]): Row[] {
  const values = columns.map((column): ArrayLike<unknown> => {
    const child = result.getChild(column);
    if (!child) return [];
    const listSize = (child.type as { listSize?: number }).listSize;
    if (listSize === undefined) return stringColumn(child) ?? (child.toArray() as ArrayLike<unknown>);
    // One copy of each batch's flat values, then a view per row.
    const vectors: Float32Array[] = [];
    for (const data of child.data) {
      const flat = Float32Array.from((data.children[0]!.values as Float32Array).subarray(data.offset * listSize, (data.offset + data.length) * listSize));
      for (let index = 0; index < data.length; index += 1) vectors.push(flat.subarray(index * listSize, (index + 1) * listSize));
    }
    return vectors;
  });
  const rows = new Array<Row>(result.numRows);
  for (let index = 0; index < result.numRows; index += 1) {
    const row: Record<string, unknown> = {};
    for (let column = 0; column < columns.length; column += 1) row[columns[column]] = values[column][index];
    rows[index] = row as Row;
  }
  return rows;
}

/** LanceDB returns vectors as Arrow vectors; callers want plain Float32Arrays. */
function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value && typeof (value as { toArray?: unknown }).toArray === 'function') {
    return Float32Array.from((value as { toArray(): ArrayLike<number> }).toArray());
  }
  return Float32Array.from(value as ArrayLike<number>);
}
