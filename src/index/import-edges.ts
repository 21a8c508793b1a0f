import type { EdgeRow, LookupRow } from '../store/schema.ts';
import { buildPathIndex, encodeLookups, lookupsAffectedBy, lookupsMatcher, resolveImports, type Lookups, type PathIndex } from './imports.ts';
import type { Language } from './types.ts';

/**
 * File → file import edges, resolved against the index's own paths. An incremental run resolves
 * only the files it re-read and the unchanged files whose recorded lookups asked about a path that
 * came or went: every other file's edges (and lookups) stay as they are in the index, exactly what
 * a full run would resolve for them.
 */

export interface ImportFile {
  path: string;
  language: string;
  /** Import specifiers, JSON (`FileRow.imports`); unchanged files of an incremental run leave it out. */
  imports?: string;
}

/** What the previous index knows of its imports. */
export interface PreviousImports {
  paths: string[];
  /** Recorded lookups (`encodeLookups`) by path. */
  lookups: Map<string, string>;
  /** Reads the import specifiers of unchanged files that must be resolved again. */
  importsOf(paths: string[]): Promise<Map<string, string>>;
}

export interface ImportEdges {
  /** The files resolved in this run: their edges and lookups replace the index's. */
  resolved: string[];
  edges: EdgeRow[];
  lookups: LookupRow[];
}

/** Hands the thread back to the event loop, so LanceDB's replies (and the writes they start) go on. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function importEdges(files: ImportFile[], previous?: PreviousImports): Promise<ImportEdges> {
  const paths = files.map((file) => file.path);
  const index = buildPathIndex(paths);
  const toResolve = previous ? files.filter(resolvedAgain(paths, previous, index)) : files;
  const missing = toResolve.filter((file) => file.imports === undefined).map((file) => file.path);
  const read = missing.length > 0 && previous ? await previous.importsOf(missing) : new Map<string, string>();
  const edges: EdgeRow[] = [];
  const lookups: LookupRow[] = [];
  for (const [i, file] of toResolve.entries()) {
    if (i % 500 === 0) await yieldToLoop();
    const keys: Lookups = new Set();
    const specifiers = JSON.parse(file.imports ?? read.get(file.path) ?? '[]') as string[];
    for (const target of resolveImports(file.path, file.language as Language, specifiers, index, keys)) {
      edges.push({ kind: 'import', src: file.path, dst: target, weight: 1 });
    }
    lookups.push({ path: file.path, keys: encodeLookups(keys) });
  }
  return { resolved: toResolve.map((file) => file.path), edges, lookups };
}

/** Which files resolve again: the re-read ones (they come with their imports), those without recorded lookups, and those a path change reaches. */
function resolvedAgain(paths: string[], previous: PreviousImports, index: PathIndex): (file: ImportFile) => boolean {
  const now = new Set(paths);
  const before = new Set(previous.paths);
  const changed = [...paths.filter((path) => !before.has(path)), ...previous.paths.filter((path) => !now.has(path))];
  const affected = lookupsAffectedBy(changed, index);
  if (!affected) return () => true;
  const meets = lookupsMatcher(affected);
  return (file) => {
    if (file.imports !== undefined) return true;
    const stored = previous.lookups.get(file.path);
    return stored === undefined || meets(stored);
  };
}
