import { describe, expect, test } from 'vitest';

import { importEdges, type ImportFile, type PreviousImports } from '../../src/index/import-edges.ts';
import { buildPathIndex, encodeLookups, lookupsAffectedBy, lookupsMatcher, resolveImports, type Lookups } from '../../src/index/imports.ts';
import type { EdgeRow } from '../../src/store/schema.ts';

/** Files of several languages whose imports reach (or would reach) one another. */
const FILES: ImportFile[] = [
  file('pkg/__init__.py', 'python', []),
  file('pkg/app.py', 'python', ['pkg.models', 'pkg.models.Order', '.utils', 'pkg.extra', 'json']),
  file('pkg/models.py', 'python', ['.utils', 'pkg.helpers']),
  file('pkg/utils.py', 'python', []),
  file('scripts/run.py', 'python', ['pkg.app', 'extra']),
  file('web/src/app.ts', 'typescript', ['./util', './components/Button', './lib', 'react']),
  file('web/src/util.ts', 'typescript', ['./format.js']),
  file('web/src/components/Button.tsx', 'tsx', ['../util']),
  file('go/cmd/main.go', 'go', ['example.com/go/internal/store', 'fmt']),
  file('go/internal/store/store.go', 'go', []),
  file('native/src/main.c', 'c', ['util.h', 'net/socket.h']),
  file('native/include/util.h', 'c', []),
  file('ruby/lib/app.rb', 'ruby', ['app/config', './helper']),
  file('ruby/lib/app/config.rb', 'ruby', []),
  file('java/src/com/acme/App.java', 'java', ['com.acme.store.Repo', 'com.acme.util.Strings']),
  file('java/src/com/acme/store/Repo.java', 'java', []),
  file('cs/App/Program.cs', 'csharp', ['Acme.Services', 'System']),
  file('cs/App/Services/Mailer.cs', 'csharp', []),
];

/** Paths some specifier above would reach (or start reaching) if they came. */
const CANDIDATES = [
  'pkg/extra.py',
  'pkg/helpers.py',
  'extra.py',
  'scripts/extra.py',
  'web/src/format.ts',
  'web/src/lib/index.ts',
  'web/src/util/index.ts',
  'go/internal/store/cache.go',
  'native/include/net/socket.h',
  'native/src/util.h',
  'ruby/lib/helper.rb',
  'java/src/com/acme/util/Strings.java',
  'cs/App/Services/Queue.cs',
  'other/pkg/models.py',
];

function file(path: string, language: string, imports: string[]): ImportFile {
  return { path, language, imports: JSON.stringify(imports) };
}

function sorted(edges: EdgeRow[]): string[] {
  return edges.map((edge) => `${edge.src} -> ${edge.dst}`).sort();
}

/** An index as the store holds it: every file's imports, edges and lookups. */
interface Stored {
  files: ImportFile[];
  edges: EdgeRow[];
  lookups: Map<string, string>;
}

async function fullIndex(files: ImportFile[]): Promise<Stored> {
  const full = await importEdges(files);
  return { files, edges: full.edges, lookups: new Map(full.lookups.map((row) => [row.path, row.keys])) };
}

/** An incremental run over `stored`: `reread` files come with their imports, the others as the store lists them. */
async function incremental(stored: Stored, files: ImportFile[], reread: Set<string>): Promise<Stored & { resolved: string[] }> {
  const previous: PreviousImports = {
    paths: stored.files.map((f) => f.path),
    lookups: stored.lookups,
    importsOf: async (paths) => new Map(stored.files.filter((f) => paths.includes(f.path)).map((f) => [f.path, f.imports!])),
  };
  const result = await importEdges(
    files.map((f) => (reread.has(f.path) ? f : { path: f.path, language: f.language })),
    previous,
  );
  const present = new Set(files.map((f) => f.path));
  const replaced = new Set(result.resolved);
  const lookups = new Map([...stored.lookups].filter(([path]) => present.has(path) && !replaced.has(path)));
  for (const row of result.lookups) lookups.set(row.path, row.keys);
  return {
    files,
    edges: [...stored.edges.filter((edge) => present.has(edge.src) && !replaced.has(edge.src)), ...result.edges],
    lookups,
    resolved: result.resolved,
  };
}

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}

describe('importEdges: an incremental resolution equals a full one', () => {
  test('after paths come and go, only the files a change reaches resolve again, and the edges are those of a full resolution', async () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const next = random(seed);
      let files = [...FILES];
      let stored = await fullIndex(files);
      for (let step = 0; step < 4; step += 1) {
        const present = new Set(files.map((f) => f.path));
        const changed = new Set<string>();
        for (const candidate of CANDIDATES) {
          if (next() < 0.3) {
            if (present.has(candidate)) files = files.filter((f) => f.path !== candidate);
            else files = [...files, file(candidate, candidate.endsWith('.py') ? 'python' : 'typescript', [])];
            changed.add(candidate);
          }
        }
        // One surviving file is re-read with new imports, as a modified file would be.
        const modified = files[Math.floor(next() * files.length)]!;
        files = files.map((f) => (f === modified ? { ...f, imports: JSON.stringify([...(JSON.parse(f.imports!) as string[]), 'pkg.helpers']) } : f));
        const reread = new Set([...changed].filter((p) => files.some((f) => f.path === p)).concat(modified.path));

        stored = await incremental(stored, files, reread);
        const full = await fullIndex(files);
        expect(sorted(stored.edges), `seed ${seed} step ${step}`).toEqual(sorted(full.edges));
        expect(Object.fromEntries(stored.lookups), `seed ${seed} step ${step}`).toEqual(Object.fromEntries(full.lookups));
      }
    }
  });

  test('a push that adds one unrelated path resolves only the re-read files (and those that scan every directory)', async () => {
    const stored = await fullIndex(FILES);
    const result = await incremental(stored, [...FILES, file('docs/notes.py', 'python', [])], new Set(['docs/notes.py']));
    // C# namespaces are matched against every directory name: any new path may change them.
    expect(result.resolved).toEqual(['cs/App/Program.cs', 'docs/notes.py']);
  });

  test('a new package root renames modules everywhere: every file resolves again', async () => {
    const stored = await fullIndex(FILES);
    const files = [...FILES, file('scripts/__init__.py', 'python', [])];
    const result = await incremental(stored, files, new Set(['scripts/__init__.py']));
    expect(result.resolved).toHaveLength(files.length);
    expect(sorted(result.edges)).toEqual(sorted((await fullIndex(files)).edges));
  });
});

describe('recorded lookups', () => {
  test('a file that asked about a path is reached by its arrival; one that did not is not', () => {
    const index = buildPathIndex(FILES.map((f) => f.path));
    const asked = (path: string): string => {
      const keys: Lookups = new Set();
      const source = FILES.find((f) => f.path === path)!;
      resolveImports(source.path, source.language as never, JSON.parse(source.imports!) as string[], index, keys);
      return encodeLookups(keys);
    };
    const arrival = lookupsMatcher(lookupsAffectedBy(['pkg/extra.py'], buildPathIndex([...FILES.map((f) => f.path), 'pkg/extra.py']))!);
    expect(arrival(asked('pkg/app.py'))).toBe(true);
    expect(arrival(asked('go/cmd/main.go'))).toBe(false);
    expect(arrival(asked('pkg/utils.py'))).toBe(false);
    expect(lookupsAffectedBy(['a/__init__.py'], index)).toBeUndefined();
  });
});
