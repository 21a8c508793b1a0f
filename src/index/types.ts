/**
 * Shapes shared by the indexer's stages (walk → chunk → questions → embed → store).
 * Kept free of I/O so every stage can be tested on its own.
 */

/** Languages we recognise by file name. `text` covers docs and config indexed as line windows. */
export type Language =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'java'
  | 'rust'
  | 'ruby'
  | 'php'
  | 'c'
  | 'cpp'
  | 'csharp'
  | 'kotlin'
  | 'swift'
  | 'markdown'
  | 'yaml'
  | 'json'
  | 'toml'
  | 'text';

/** A file of the repository at one commit, read from git objects. */
export interface WalkedFile {
  path: string;
  /** git blob id: equal ids mean equal content, which lets caches skip unchanged files. */
  blobSha: string;
  size: number;
  language: Language;
  text: string;
}

export type SkipReason =
  | 'binary'
  | 'too-large'
  | 'vendored'
  | 'generated'
  | 'minified'
  | 'lockfile'
  | 'secret'
  /** Translation catalogues (`.po`): thousands of lines of prose that match every issue and are never the fix. */
  | 'data'
  | 'symlink'
  | 'submodule'
  | 'limit';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

export interface WalkLimits {
  /** Files larger than this are skipped (default 1 MB). */
  maxFileBytes: number;
  /** At most this many files are indexed; the rest are reported as skipped with reason `limit`. */
  maxFiles: number;
  /** At most this many bytes of text are indexed in total; the rest are reported likewise. */
  maxTotalBytes: number;
}

export interface WalkResult {
  commit: string;
  files: WalkedFile[];
  skipped: SkippedFile[];
  /** Set when `maxFiles` or `maxTotalBytes` cut the walk short: we report it, never truncate silently. */
  limitHit?: { kind: 'maxFiles' | 'maxTotalBytes'; limit: number; dropped: number };
}

export type ChunkKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'type'
  | 'enum'
  | 'module'
  | 'block'
  | 'window';

/** One symbol (or, for non-code files, one overlapping window of lines). */
export interface Chunk {
  path: string;
  language: Language;
  /** Qualified name, e.g. `QuerySet.bulk_create`; for windows their heading or first telling line. */
  name: string;
  kind: ChunkKind;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Source text of the symbol, capped (see MAX_CHUNK_CHARS). */
  text: string;
  /** Docstring or leading comment, without comment markers; '' when none. */
  doc: string;
  /** First line(s) of the declaration, e.g. `def bulk_create(self, objs, batch_size=None)`. */
  signature: string;
}

export interface ChunkedFile {
  chunks: Chunk[];
  /** Module docstring or the file's leading comment; '' when none. */
  doc: string;
  /** Names of the top-level symbols, in order. */
  symbols: string[];
  /**
   * Import specifiers exactly as written (`./utils`, `django.db.models`, `.models`,
   * `github.com/x/y/pkg`); `imports.ts` resolves them to repository paths.
   */
  imports: string[];
  /**
   * The file's text as consecutive pieces (each ending with its newline but the last) and the
   * tokens of each, when chunked with a cache (Python's segments, other files' text pieces): the
   * file's token column is then assembled from them instead of tokenizing the whole file again.
   */
  pieces?: TokenPiece[];
}

export interface TokenPiece {
  /** Characters of the file's text this piece covers. */
  chars: number;
  /** `tokenString` of those characters. */
  tokens: string;
}

/** A commit from `git log`, with what its message says about PRs and issues. */
export interface HistoryCommit {
  sha: string;
  /** The parents' shas (none for a root commit, two or more for a merge). */
  parents: string[];
  author: string;
  email: string;
  /** Unix seconds (author date). */
  date: number;
  /** Full message: subject and body. */
  message: string;
  /** Paths touched, after renames (new path). */
  files: string[];
  /** PR numbers from `(#123)` / `Merge pull request #123`. */
  prs: number[];
  /** Issue numbers from `fixes #45`, `Fixed #30000 --`, `closes owner/repo#7` (same repo only). */
  issues: number[];
  /** Renames in this commit (old path → new path), so history can follow a file across names. Absent when none. */
  renames?: Array<{ from: string; to: string }>;
}

export type EdgeKind = 'import' | 'cochange' | 'author';

/** A weighted edge. `import`: file → file; `cochange`: file ↔ file (stored once, src < dst); `author`: author → file. */
export interface Edge {
  kind: EdgeKind;
  src: string;
  dst: string;
  weight: number;
}
