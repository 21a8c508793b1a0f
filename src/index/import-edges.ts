import type { EdgeRow, FileRow, LookupRow } from '../store/schema.ts';
import { buildPathIndex, encodeLookups, lookupsAffectedBy, lookupsMatcher, resolveImports, type Lookups } from './imports.ts';
import type { Language } from './types.ts';

/**
 * File → file import edges, resolved against the index's own paths. An incremental run resolves
 * only the files it re-read and the unchanged files whose recorded lookups asked about a path that
 * came or went; every other file keeps its edges, exactly as a full run would resolve them.
 */

export type ImportFile = Pick<FileRow, 'path' | 'language' | 'imports'>;

/** What the previous index knows of its imports. */
export interface PreviousImports {
  paths: string[];
  edges: EdgeRow[];
  /** Recorded lookups (`encodeLookups`) by path. */
  lookups: Map<string, string>;
}

export interface ImportEdges {
  edges: EdgeRow[];
  /** Lookups of the files resolved in this run: they replace those files' rows. */
  lookups: LookupRow[];
}

/** Hands the thread back to the event loop, so LanceDB's replies (and the writes they start) go on. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function importEdges(files: ImportFile[], reread: ReadonlySet<string>, previous?: PreviousImports): Promise<ImportEdges> {
  const paths = files.map((file) => file.path);
  const index = buildPathIndex(paths);
  const mustResolve = previous ? resolvedAgain(paths, reread, previous, index) : () => true;
  const edges: EdgeRow[] = [];
  const lookups: LookupRow[] = [];
  const resolved = new Set<string>();
  for (const [i, file] of files.entries()) {
    if (i % 500 === 0) await yieldToLoop();
    if (!mustResolve(file.path)) continue;
    resolved.add(file.path);
    const keys: Lookups = new Set();
    const specifiers = JSON.parse(file.imports) as string[];
    for (const target of resolveImports(file.path, file.language as Language, specifiers, index, keys)) {
      edges.push({ kind: 'import', src: file.path, dst: target, weight: 1 });
    }
    lookups.push({ path: file.path, keys: encodeLookups(keys) });
  }
  if (previous) for (const edge of previous.edges) if (!resolved.has(edge.src) && index.paths.has(edge.src)) edges.push(edge);
  return { edges, lookups };
}

/** Which files resolve again: the re-read ones, those without recorded lookups, and those a path change reaches. */
function resolvedAgain(paths: string[], reread: ReadonlySet<string>, previous: PreviousImports, index: ReturnType<typeof buildPathIndex>): (path: string) => boolean {
  const now = new Set(paths);
  const before = new Set(previous.paths);
  const changed = [...paths.filter((path) => !before.has(path)), ...previous.paths.filter((path) => !now.has(path))];
  const affected = lookupsAffectedBy(changed, index);
  if (!affected) return () => true;
  const meets = lookupsMatcher(affected);
  return (path) => {
    if (reread.has(path)) return true;
    const stored = previous.lookups.get(path);
    return stored === undefined || meets(stored);
  };
}
