import type { Chunk } from './types.ts';

/** Stable id of a chunk within one commit's index: path, qualified name and first line. */
export function chunkId(chunk: Pick<Chunk, 'path' | 'name' | 'startLine'>): string {
  return `${chunk.path}#${chunk.name}#L${chunk.startLine}`;
}
