import type * as Arrow from 'apache-arrow';
import { arrow } from './arrow.ts';

const { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } = arrow;

/** Bump when a table's columns or their meaning change: the next index run rebuilds from scratch. */
export const SCHEMA_VERSION = 5;

export type TableName = 'files' | 'chunks' | 'questions' | 'history' | 'edges' | 'lookups' | 'segments' | 'meta' | 'embed_cache' | 'question_cache' | RecordTable;

/**
 * Tables of records that live beside the index and are never rolled back or rebuilt with it:
 * the repository's issues and pull requests (synced from GitHub or loaded from a file), and
 * triage runs (checkpoints). Each has a string `key` column that identifies a row.
 */
export const RECORD_TABLES = ['issues', 'runs', 'comments'] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

/** The tables an index run writes and pins versions of (the cache is append-only and never rolled back). */
export const INDEX_TABLES = ['files', 'chunks', 'questions', 'history', 'edges', 'lookups', 'segments'] as const satisfies readonly TableName[];
export type IndexTable = (typeof INDEX_TABLES)[number];

/** Tables with a full-text index on their `tokens` column. */
export const FTS_TABLES = ['files', 'chunks', 'questions', 'history'] as const satisfies readonly IndexTable[];

export interface FileRow {
  path: string;
  language: string;
  blob_sha: string;
  size: number;
  /** Module docstring or leading comment. */
  doc: string;
  /** Top-level symbol names, newline-separated. */
  symbols: string;
  /** Import specifiers as written, JSON array: kept so import edges can be re-resolved without re-parsing. */
  imports: string;
  /** Code-aware tokens of path, doc, symbols and content (capped): the file-level full-text column. */
  tokens: string;
  /**
   * Where the file's chunks are (see `encodeChunkLines`). Kept here rather than in the chunk rows,
   * so a chunk that only moved (code was added above it) keeps its row: an update rewrites the
   * changed file's row anyway.
   */
  chunk_lines: string;
  vector: Float32Array | number[];
}

/** What resolving a file's imports asked of the path index (see `encodeLookups`): an incremental run re-resolves a file only when a path change answers one of them differently. */
export interface LookupRow {
  path: string;
  keys: string;
}

export interface ChunkRow {
  id: string;
  path: string;
  language: string;
  name: string;
  kind: string;
  signature: string;
  doc: string;
  text: string;
  content_hash: string;
  tokens: string;
  vector: Float32Array | number[];
}

export interface QuestionRow {
  id: string;
  /** '' for a file-level question. */
  chunk_id: string;
  path: string;
  text: string;
  /** `model`, `doc`, `name`, `message` or `file`: where the question came from. */
  source: string;
  tokens: string;
}

export interface HistoryRow {
  sha: string;
  author: string;
  email: string;
  /** Unix seconds. */
  date: number;
  message: string;
  /** Paths touched, newline-separated. */
  files: string;
  /** JSON arrays of numbers. */
  prs: string;
  issues: string;
  /** JSON array of `{from, to}`: lets co-change edges follow a file across renames. */
  renames: string;
  tokens: string;
}

export interface EdgeRow {
  kind: string;
  src: string;
  dst: string;
  weight: number;
}

/**
 * A parsed segment of a file (Python), or the tokens of a piece of a file's text (other files), so
 * the next run re-parses or re-tokenizes only the segments and pieces that changed.
 */
export interface SegmentRow {
  path: string;
  /** What the segment is parsed as, and its text, hashed (see unit-cache.ts). */
  key: string;
  /** The parse result, JSON; for a text piece, its tokens. */
  value: string;
}

export interface MetaRow {
  key: string;
  value: string;
}

/** Model-written questions of a chunk, keyed by the chunk's content hash and the model. */
export interface QuestionCacheRow {
  key: string;
  /** JSON array of strings. */
  value: string;
}

/** An issue or pull request of the repository. */
export interface IssueRow {
  /** `issue:<number>` or `pull:<number>` (the number space is shared; the kind tells them apart). */
  key: string;
  number: number;
  kind: 'issue' | 'pull';
  title: string;
  body: string;
  /** `open`, `closed` or `merged`. */
  state: string;
  /** JSON array of label names. */
  labels: string;
  /** GitHub login of the author ('' when unknown). */
  author: string;
  /** Unix seconds (0 when unknown). */
  created_at: number;
  closed_at: number;
  /** JSON array of PR numbers that closed this issue (issues), or of issues this PR closes (pulls). */
  links: string;
  /** Paths a merged PR changed, newline-separated ('' for issues and unknown). */
  files: string;
  url: string;
  /** Code-aware tokens of title and body, for full-text search. */
  tokens: string;
}

/** One triage run's state (a checkpoint), keyed by repository, issue, issue-text hash and indexed commit. */
export interface RunRow {
  key: string;
  /** Issue number, or -1 for a run on free text. */
  issue: number;
  text_hash: string;
  commit: string;
  /** JSON of the run's `TriageState`. */
  state: string;
  /** Unix milliseconds of the last write. */
  updated: number;
}

/** The app's one comment on an issue: where it is, how fast it came, and what readers thought of it. */
export interface CommentRow {
  /** `issue:<number>`. */
  key: string;
  issue: number;
  comment_id: number;
  url: string;
  /** Unix milliseconds when the comment was first posted. */
  posted_at: number;
  /** Milliseconds from the job start to the first post (the latency users feel). */
  latency_ms: number;
  /** 👍 and 👎 reactions, as last read back (`scout stats`). */
  up: number;
  down: number;
}

export interface EmbedCacheRow {
  key: string;
  vector: Float32Array | number[];
}

const text = (name: string) => new Field(name, new Utf8(), false);
const int = (name: string) => new Field(name, new Int32(), false);
const vector = (dimension: number) =>
  new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false);

export function tableSchema(name: TableName, dimension: number): Arrow.Schema {
  switch (name) {
    case 'files':
      return new Schema([
        text('path'), text('language'), text('blob_sha'), int('size'), text('doc'), text('symbols'), text('imports'),
        text('tokens'), text('chunk_lines'), vector(dimension),
      ]);
    case 'chunks':
      return new Schema([
        text('id'), text('path'), text('language'), text('name'), text('kind'),
        text('signature'), text('doc'), text('text'), text('content_hash'), text('tokens'), vector(dimension),
      ]);
    case 'questions':
      // Questions and history are searched by words only: vectors there would cost a third of an
      // index run (and, with a paid embedder, real money) for no signal locate uses.
      return new Schema([text('id'), text('chunk_id'), text('path'), text('text'), text('source'), text('tokens')]);
    case 'history':
      return new Schema([
        text('sha'), text('author'), text('email'), new Field('date', new Float64(), false), text('message'), text('files'),
        text('prs'), text('issues'), text('renames'), text('tokens'),
      ]);
    case 'edges':
      return new Schema([text('kind'), text('src'), text('dst'), new Field('weight', new Float64(), false)]);
    case 'lookups':
      return new Schema([text('path'), text('keys')]);
    case 'segments':
      return new Schema([text('path'), text('key'), text('value')]);
    case 'meta':
      return new Schema([text('key'), text('value')]);
    case 'embed_cache':
      return new Schema([text('key'), vector(dimension)]);
    case 'question_cache':
      return new Schema([text('key'), text('value')]);
    case 'issues':
      return new Schema([
        text('key'), int('number'), text('kind'), text('title'), text('body'), text('state'), text('labels'), text('author'),
        new Field('created_at', new Float64(), false), new Field('closed_at', new Float64(), false), text('links'), text('files'),
        text('url'), text('tokens'),
      ]);
    case 'comments':
      return new Schema([
        text('key'), int('issue'), new Field('comment_id', new Float64(), false), text('url'), new Field('posted_at', new Float64(), false),
        new Field('latency_ms', new Float64(), false), int('up'), int('down'),
      ]);
    case 'runs':
      return new Schema([
        text('key'), int('issue'), text('text_hash'), text('commit'), text('state'), new Field('updated', new Float64(), false),
      ]);
  }
}
