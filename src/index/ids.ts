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

/** Adds the lines of the chunks of `path` (its row's `chunk_lines`) to `into`, by chunk id. Unreadable text adds nothing. */
export function decodeChunkLines(path: string, encoded: string, into: Map<string, ChunkLines>): Map<string, ChunkLines> {
  let lines: unknown;
  try {
    lines = JSON.parse(encoded || '{}');
  } catch {
    return into;
  }
  if (!lines || typeof lines !== 'object') return into;
  for (const [suffix, value] of Object.entries(lines as Record<string, unknown>)) {
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') into.set(`${path}#${suffix}`, { startLine: value[0], endLine: value[1] });
  }
  return into;
}
