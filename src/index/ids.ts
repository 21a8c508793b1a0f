import type { Chunk } from './types.ts';

/**
 * Ids of chunks, given in file order: path and qualified name, with `#2`, `#3`… for the later
 * chunks of the same name in a file (a getter and its setter, a function defined in two branches).
 * No line numbers: an edit above a chunk leaves its id, and the rows keyed by it, alone.
 */
export function chunkIds(chunks: ReadonlyArray<Pick<Chunk, 'path' | 'name'>>): string[] {
  const seen = new Map<string, number>();
  return chunks.map((chunk) => {
    const base = `${chunk.path}#${chunk.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** A chunk's lines, as `files.chunk_lines` holds them. */
export interface ChunkLines {
  startLine: number;
  endLine: number;
}

/**
 * The `chunk_lines` of a file's row: each chunk's first and last line, by its id without the
 * `path#` every id of the file starts with (JSON: `{"Cart.total": [10, 14], "get#2": [30, 31]}`).
 * `chunks` are the file's, in file order (as `chunkIds` numbers them).
 */
export function encodeChunkLines(chunks: ReadonlyArray<Pick<Chunk, 'path' | 'name' | 'startLine' | 'endLine'>>): string {
  const ids = chunkIds(chunks);
  const lines: Record<string, [number, number]> = {};
  chunks.forEach((chunk, i) => {
    lines[ids[i]!.slice(chunk.path.length + 1)] = [chunk.startLine, chunk.endLine];
  });
  return JSON.stringify(lines);
}

/**
 * Where chunks are, from their files' `chunk_lines`. A file's text is parsed when one of its
 * chunks is first asked about: a repository's catalog holds every file's, and a triage asks about
 * a few files.
 */
export class ChunkLineIndex {
  private readonly encoded = new Map<string, string>();
  private readonly decoded = new Map<string, Map<string, ChunkLines>>();

  /** Records `path`'s row's `chunk_lines`. */
  add(path: string, chunkLines: string): this {
    this.encoded.set(path, chunkLines);
    this.decoded.delete(path);
    return this;
  }

  /** The lines of the chunk `id` of the file `path`; undefined when its file's row does not say (or is unreadable). */
  get(path: string, id: string): ChunkLines | undefined {
    if (!id.startsWith(`${path}#`)) return undefined;
    return this.file(path).get(id.slice(path.length + 1));
  }

  private file(path: string): Map<string, ChunkLines> {
    let lines = this.decoded.get(path);
    if (!lines) {
      lines = new Map();
      this.decoded.set(path, lines);
      let parsed: unknown;
      try {
        parsed = JSON.parse(this.encoded.get(path) || '{}');
      } catch {
        parsed = undefined;
      }
      for (const [suffix, value] of Object.entries(parsed && typeof parsed === 'object' ? parsed : {})) {
        if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') lines.set(suffix, { startLine: value[0], endLine: value[1] });
      }
    }
    return lines;
  }
}
