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
