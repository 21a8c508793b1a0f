/**
 * Resolves import specifiers (as the chunker records them) to files of the repository, giving the
 * file → file `import` edges. Third-party and standard-library imports simply do not resolve.
 *
 * All lookups go through maps built once by `buildPathIndex`, so resolving every import of a
 * repository the size of django (~2,800 Python files) takes milliseconds.
 */
import { fnv1a } from '../fnv.ts';
import { appendTo } from './lists.ts';
import type { Language } from './types.ts';

export interface PathIndex {
  readonly paths: ReadonlySet<string>;
  /** File name → paths with that name. */
  readonly byBase: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased file name → paths (PHP namespaces and file names differ in case). */
  readonly byBaseLower: ReadonlyMap<string, readonly string[]>;
  /** Directory ('' for the root) → files directly inside it. */
  readonly byDir: ReadonlyMap<string, readonly string[]>;
  /** Directory name → directories with that name. */
  readonly dirsByBase: ReadonlyMap<string, readonly string[]>;
  /** Dotted Python module name → files (`django.db.models` → `django/db/models/__init__.py`). */
  readonly pythonModules: ReadonlyMap<string, readonly string[]>;
  /** Directories holding an `__init__.py`. */
  readonly pythonPackages: ReadonlySet<string>;
  /** Rust crate name (`my_crate`) → its source root (`crates/my-crate/src`). */
  readonly rustCrates: ReadonlyMap<string, string>;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function normalizePath(p: string): string {
  // Repository paths are already normal: only odd specifiers pay for the regular expressions.
  if (!p.includes('\\') && !p.startsWith('./') && !p.startsWith('/')) return p;
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '');
}

/** Joins `rel` onto `dir`, folding `.` and `..`; undefined when `..` climbs above the root. */
function joinPath(dir: string, rel: string): string | undefined {
  const parts = dir ? dir.split('/') : [];
  for (const segment of rel.split('/')) {
    if (!segment || segment === '.') continue;
    if (segment === '..') {
      if (!parts.length) return undefined;
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return parts.join('/');
}

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

export function buildPathIndex(input: Iterable<string>): PathIndex {
  const paths = new Set<string>();
  for (const raw of input) paths.add(normalizePath(raw));
  const byBase = new Map<string, string[]>();
  const byBaseLower = new Map<string, string[]>();
  const byDir = new Map<string, string[]>();
  const dirsByBase = new Map<string, string[]>();
  const seenDirs = new Set<string>();
  const packageDirs = new Set<string>();
  const rustRoots: string[] = [];
  for (const p of paths) {
    const base = baseOf(p);
    const dir = dirOf(p);
    appendTo(byBase, base, p);
    appendTo(byBaseLower, base.toLowerCase(), p);
    appendTo(byDir, dir, p);
    for (let d = dir; d && !seenDirs.has(d); d = dirOf(d)) {
      seenDirs.add(d);
      appendTo(dirsByBase, baseOf(d), d);
    }
    if (base === '__init__.py') packageDirs.add(dir);
    if ((base === 'lib.rs' || base === 'main.rs') && baseOf(dir) === 'src') rustRoots.push(dir);
  }

  // A module's importable name starts below the highest directory that is still a package
  // (has __init__.py): `src/pkg/mod.py` with `src/` not a package is `pkg.mod`. The name from the
  // repository root is recorded too, for namespace packages without __init__.py.
  const pythonModules = new Map<string, string[]>();
  for (const p of paths) for (const name of pythonModuleNames(p, packageDirs)) appendTo(pythonModules, name, p);

  const rustCrates = new Map<string, string>();
  for (const root of rustRoots) {
    const crateDir = dirOf(root);
    const name = (crateDir ? baseOf(crateDir) : '').replace(/-/g, '_');
    if (name && !rustCrates.has(name)) rustCrates.set(name, root);
  }
  return { paths, byBase, byBaseLower, byDir, dirsByBase, pythonModules, pythonPackages: packageDirs, rustCrates };
}

/** The names a Python file is importable as: below its topmost package root, and from the repository root. */
function pythonModuleNames(p: string, packageDirs: ReadonlySet<string>): string[] {
  if (!p.endsWith('.py')) return [];
  let root = dirOf(p);
  while (root && packageDirs.has(root)) root = dirOf(root);
  const withoutPy = p.slice(0, -3);
  const stem = withoutPy === '__init__' ? '' : withoutPy.endsWith('/__init__') ? withoutPy.slice(0, -'/__init__'.length) : withoutPy;
  const relative = root ? stem.slice(root.length + 1) : stem;
  const canonical = relative.replaceAll('/', '.');
  const full = stem.replaceAll('/', '.');
  const names: string[] = [];
  if (canonical) names.push(canonical);
  if (full && full !== canonical) names.push(full);
  return names;
}

function commonPrefixSegments(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

/** The candidate sharing the most leading directories with `from`; undefined on a tie. */
function nearest(from: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 1) return candidates[0];
  let best: string | undefined;
  let bestScore = -1;
  let tie = false;
  for (const candidate of candidates) {
    const score = commonPrefixSegments(from, candidate);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
      tie = false;
    } else if (score === bestScore) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** How many trailing segments of `candidate` equal the trailing segments of `wanted`. */
function trailingMatch(candidate: string[], wanted: string[], caseInsensitive = false): number {
  let n = 0;
  while (n < candidate.length && n < wanted.length) {
    const a = candidate[candidate.length - 1 - n];
    const b = wanted[wanted.length - 1 - n];
    if (caseInsensitive ? a.toLowerCase() !== b.toLowerCase() : a !== b) break;
    n++;
  }
  return n;
}

/**
 * Among `candidates` (paths without their extension split into segments by `segmentsOf`), the
 * one whose trailing segments match `wanted` longest, at least `minMatch` of them; ties go to
 * the path nearest `from`, and an unbreakable tie resolves to nothing.
 */
function bestSuffix(
  from: string,
  candidates: readonly string[] | undefined,
  wanted: string[],
  minMatch: number,
  segmentsOf: (candidate: string) => string[],
  caseInsensitive = false,
): string | undefined {
  if (!candidates?.length) return undefined;
  let best: string[] = [];
  let bestScore = 0;
  for (const candidate of candidates) {
    const score = trailingMatch(segmentsOf(candidate), wanted, caseInsensitive);
    if (score > bestScore) {
      best = [candidate];
      bestScore = score;
    } else if (score === bestScore && score > 0) {
      best.push(candidate);
    }
  }
  if (bestScore < minMatch) return undefined;
  return nearest(from, best);
}

function withoutExtension(p: string): string[] {
  return p.replace(/\.[^./]+$/, '').split('/');
}

// --- JavaScript / TypeScript ---------------------------------------------------------------

const JS_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts', '.vue', '.svelte', '.json'];
const JS_TO_TS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

function probeJs(base: string, index: PathIndex): string | undefined {
  if (index.paths.has(base)) return base;
  // `./util.js` written in TypeScript source means `./util.ts`.
  const ext = /\.[cm]?jsx?$/.exec(base)?.[0];
  if (ext) {
    const stem = base.slice(0, -ext.length);
    for (const replacement of JS_TO_TS[ext] ?? []) if (index.paths.has(stem + replacement)) return stem + replacement;
  }
  for (const extension of JS_EXTENSIONS) if (index.paths.has(base + extension)) return base + extension;
  for (const extension of JS_EXTENSIONS) if (index.paths.has(`${base}/index${extension}`)) return `${base}/index${extension}`;
  return undefined;
}

function resolveJs(from: string, spec: string, index: PathIndex): string | undefined {
  const clean = spec.replace(/[?#].*$/, '');
  if (clean.startsWith('.')) {
    const base = joinPath(dirOf(from), clean);
    return base === undefined ? undefined : probeJs(base, index);
  }
  // Common path aliases (`@/components/x`, `~/lib/y`) point into the source root.
  const alias = /^[@~]\/(.+)$/.exec(clean);
  if (alias) {
    for (const root of ['src', '', 'app', 'lib']) {
      const hit = probeJs(join(root, alias[1]), index);
      if (hit) return hit;
    }
  }
  return undefined;
}

// --- Python ----------------------------------------------------------------------------------

const SOURCE_ROOT = /^((.*\/)?(src|lib|python))?$/;

function pythonRootOf(dir: string, index: PathIndex): string {
  let root = dir;
  while (root && index.pythonPackages.has(root)) root = dirOf(root);
  return root;
}

function pythonModuleFile(base: string, index: PathIndex): string | undefined {
  if (index.paths.has(`${base}.py`)) return `${base}.py`;
  if (index.paths.has(`${base}/__init__.py`)) return `${base}/__init__.py`;
  return undefined;
}

function resolvePython(from: string, spec: string, index: PathIndex): string | undefined {
  const dots = /^\.*/.exec(spec)?.[0].length ?? 0;
  if (dots > 0) {
    // `.` is the importing file's package, each further dot one package up.
    let dir: string | undefined = dirOf(from);
    for (let i = 1; i < dots; i++) {
      if (!dir) return undefined;
      dir = dirOf(dir);
    }
    const rest = spec.slice(dots);
    if (!rest) return index.paths.has(join(dir, '__init__.py')) ? join(dir, '__init__.py') : undefined;
    return pythonModuleFile(join(dir, rest.replace(/\./g, '/')), index);
  }
  let known = index.pythonModules.get(spec);
  if (known?.length && !spec.includes('.')) {
    // A lone script module (`tools/json.py`) must not capture `import json` everywhere: only
    // files in a source root, or next to the importer, count.
    const fromDir = dirOf(from);
    known = known.filter((p) => {
      // The directory that must be on sys.path for this module to be importable.
      const location = baseOf(p) === '__init__.py' ? dirOf(dirOf(p)) : dirOf(p);
      return SOURCE_ROOT.test(location) || location === fromDir || location === pythonRootOf(fromDir, index);
    });
  }
  if (known?.length) return nearest(from, known);
  const segments = spec.split('.');
  const direct = pythonModuleFile(segments.join('/'), index);
  if (direct) return direct;
  // A package under a source root this index does not recognise: match by path suffix, but
  // never on a single segment (`import json` must not land on some `utils/json.py`).
  if (segments.length < 2) return undefined;
  const last = segments[segments.length - 1];
  const candidates = [...(index.byBase.get(`${last}.py`) ?? [])];
  for (const dir of index.dirsByBase.get(last) ?? []) if (index.paths.has(`${dir}/__init__.py`)) candidates.push(`${dir}/__init__.py`);
  const match = bestSuffix(from, candidates, segments, segments.length, (p) => p.slice(0, -3).replace(/\/__init__$/, '').split('/'));
  return match;
}

// --- Go --------------------------------------------------------------------------------------

function goFiles(dir: string, index: PathIndex): string[] {
  return (index.byDir.get(dir) ?? []).filter((p) => p.endsWith('.go') && !p.endsWith('_test.go'));
}

function resolveGo(from: string, spec: string, index: PathIndex): string[] {
  const segments = spec.split('/').filter(Boolean);
  if (!segments.length) return [];
  // Standard-library paths have no dot in their first element; a lone `fmt` never means a repo dir.
  const stdlibLike = !segments[0].includes('.');
  if (stdlibLike && segments.length < 2) return [];
  const last = segments[segments.length - 1];
  const candidates = (index.dirsByBase.get(last) ?? []).filter((dir) => goFiles(dir, index).length);
  let best: string[] = [];
  let bestScore = 0;
  for (const dir of candidates) {
    const dirSegments = dir.split('/');
    const score = trailingMatch(dirSegments, segments);
    // The whole directory path must be a suffix of the import path (module at the repo root),
    // or, for a module in a subdirectory, at least two trailing segments must agree.
    const whole = score === dirSegments.length;
    if (!whole && score < 2) continue;
    if (stdlibLike && score < 2) continue;
    if (score > bestScore) {
      best = [dir];
      bestScore = score;
    } else if (score === bestScore) {
      best.push(dir);
    }
  }
  const dir = best.length === 1 ? best[0] : best.length ? nearest(from, best) : undefined;
  return dir === undefined ? [] : goFiles(dir, index);
}

// --- Java / Kotlin ---------------------------------------------------------------------------

function resolveJvm(from: string, spec: string, index: PathIndex): string | undefined {
  const segments = spec.split('.').filter(Boolean);
  if (segments[segments.length - 1] === '*') return undefined;
  // `a.b.C.method` (static import) or `a.b.C.Inner`: try the longest prefix naming a file.
  for (let drop = 0; drop < 3 && segments.length - drop >= 1; drop++) {
    const wanted = segments.slice(0, segments.length - drop);
    const name = wanted[wanted.length - 1];
    const candidates = [...(index.byBase.get(`${name}.java`) ?? []), ...(index.byBase.get(`${name}.kt`) ?? [])];
    const hit = bestSuffix(from, candidates, wanted, Math.min(2, wanted.length), withoutExtension);
    if (hit) return hit;
  }
  return undefined;
}

// --- Rust ------------------------------------------------------------------------------------

function rustCrateRoot(from: string, index: PathIndex): string | undefined {
  for (let dir = dirOf(from); ; dir = dirOf(dir)) {
    if (index.paths.has(join(dir, 'lib.rs')) || index.paths.has(join(dir, 'main.rs'))) return dir;
    if (!dir) break;
  }
  for (let dir = dirOf(from); dir; dir = dirOf(dir)) if (baseOf(dir) === 'src') return dir;
  return undefined;
}

/** The directory holding a file's child modules: `a/b.rs` → `a/b`, `a/mod.rs` → `a`. */
function rustModuleDir(from: string): string {
  const base = baseOf(from);
  if (base === 'mod.rs' || base === 'lib.rs' || base === 'main.rs') return dirOf(from);
  return from.slice(0, -'.rs'.length);
}

function rustModuleFile(dir: string, segments: string[], index: PathIndex): string | undefined {
  // `a::b::Item`: try the whole path as a module, then without the last segment (an item in a).
  for (let n = segments.length; n >= 1; n--) {
    const base = join(dir, segments.slice(0, n).join('/'));
    if (index.paths.has(`${base}.rs`)) return `${base}.rs`;
    if (index.paths.has(`${base}/mod.rs`)) return `${base}/mod.rs`;
  }
  return undefined;
}

function resolveRust(from: string, spec: string, index: PathIndex): string | undefined {
  if (spec.startsWith('mod ')) {
    const name = spec.slice(4).trim();
    return name ? rustModuleFile(rustModuleDir(from), [name], index) : undefined;
  }
  const segments = spec.split('::').filter(Boolean);
  const head = segments[0];
  if (head === 'crate') {
    const root = rustCrateRoot(from, index);
    return root === undefined ? undefined : rustModuleFile(root, segments.slice(1), index);
  }
  if (head === 'self' || head === 'super') {
    let dir = rustModuleDir(from);
    let i = 0;
    for (; segments[i] === 'self' || segments[i] === 'super'; i++) if (segments[i] === 'super') dir = dirOf(dir);
    return rustModuleFile(dir, segments.slice(i), index);
  }
  const crate = index.rustCrates.get(head);
  if (crate !== undefined) {
    const rest = segments.slice(1);
    if (!rest.length) return index.paths.has(join(crate, 'lib.rs')) ? join(crate, 'lib.rs') : undefined;
    return rustModuleFile(crate, rest, index);
  }
  return undefined;
}

// --- Ruby ------------------------------------------------------------------------------------

function resolveRuby(from: string, spec: string, index: PathIndex): string | undefined {
  const file = spec.endsWith('.rb') ? spec : `${spec}.rb`;
  if (spec.startsWith('.')) {
    const p = joinPath(dirOf(from), file);
    return p !== undefined && index.paths.has(p) ? p : undefined;
  }
  const segments = file.slice(0, -3).split('/');
  const candidates = index.byBase.get(baseOf(file)) ?? [];
  const full = candidates.filter((p) => trailingMatch(withoutExtension(p), segments) === segments.length);
  if (!full.length) return undefined;
  // `require 'foo/bar'` loads from a load path, which is `lib/` in gems and most apps.
  const underLib = full.filter((p) => p === `lib/${file}` || p.endsWith(`/lib/${file}`));
  return nearest(from, underLib.length ? underLib : full);
}

// --- C / C++ ---------------------------------------------------------------------------------

function resolveInclude(from: string, spec: string, index: PathIndex): string | undefined {
  const relative = joinPath(dirOf(from), spec);
  if (relative !== undefined && index.paths.has(relative)) return relative;
  if (index.paths.has(normalizePath(spec))) return normalizePath(spec);
  const segments = spec.split('/').filter((s) => s && s !== '.' && s !== '..');
  if (!segments.length) return undefined;
  const candidates = index.byBase.get(segments[segments.length - 1]);
  const full = (candidates ?? []).filter((p) => trailingMatch(p.split('/'), segments) === segments.length);
  return full.length ? nearest(from, full) : undefined;
}

// --- PHP -------------------------------------------------------------------------------------

function resolvePhp(from: string, spec: string, index: PathIndex): string | undefined {
  if (/\.(php|inc)$/i.test(spec)) return resolveInclude(from, spec.replace(/^\/+/, ''), index);
  const segments = spec.split('\\').filter(Boolean);
  if (!segments.length) return undefined;
  const candidates = index.byBaseLower.get(`${segments[segments.length - 1]}.php`.toLowerCase());
  return bestSuffix(from, candidates, segments, Math.min(2, segments.length), withoutExtension, true);
}

// --- C# / Swift: namespaces and modules map to directories -----------------------------------

const MAX_DIRECTORY_EDGES = 50;

const recursiveFiles = new WeakMap<PathIndex, Map<string, string[]>>();

function filesUnder(dir: string, extension: string, index: PathIndex, recursive: boolean): string[] {
  if (!recursive) return (index.byDir.get(dir) ?? []).filter((p) => p.endsWith(extension)).slice(0, MAX_DIRECTORY_EDGES);
  // A scan of every path depends on every path, whether or not its result is cached.
  const recorder = recorders.get(index);
  recorder?.keys.add(SCAN);
  const raw = recorder?.raw ?? index;
  let cache = recursiveFiles.get(raw);
  if (!cache) recursiveFiles.set(raw, (cache = new Map()));
  const key = `${dir}\0${extension}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const out: string[] = [];
  for (const p of raw.paths) {
    if (p.startsWith(`${dir}/`) && p.endsWith(extension)) {
      out.push(p);
      if (out.length >= MAX_DIRECTORY_EDGES) break;
    }
  }
  cache.set(key, out);
  return out;
}

function resolveCSharp(from: string, spec: string, index: PathIndex): string[] {
  const segments = spec.split('.').filter(Boolean);
  if (!segments.length) return [];
  // `using static A.B.C` names a class: its file first.
  const classFile = bestSuffix(from, index.byBase.get(`${segments[segments.length - 1]}.cs`), segments, Math.min(2, segments.length), withoutExtension);
  if (classFile) return [classFile];
  // Namespace → directory; project folders are often dotted (`src/Foo.Bar/Services`).
  const candidates = [...(index.dirsByBase.get(segments[segments.length - 1]) ?? [])];
  for (const [base, dirs] of index.dirsByBase) if (base.endsWith(`.${segments[segments.length - 1]}`)) candidates.push(...dirs);
  const dir = bestSuffix(from, candidates, segments, Math.min(2, segments.length), (d) => d.split(/[/.]/));
  return dir === undefined ? [] : filesUnder(dir, '.cs', index, false);
}

function resolveSwift(from: string, spec: string, index: PathIndex): string[] {
  const dirs = (index.dirsByBase.get(spec) ?? []).filter((d) => !from.startsWith(`${d}/`));
  const preferred = dirs.filter((d) => d === `Sources/${spec}` || d.endsWith(`/Sources/${spec}`));
  const dir = nearest(from, preferred.length ? preferred : dirs);
  return dir === undefined ? [] : filesUnder(dir, '.swift', index, true);
}

// ---------------------------------------------------------------------------------------------

function resolveOne(from: string, language: Language, spec: string, index: PathIndex): string[] {
  const one = (p: string | undefined) => (p === undefined ? [] : [p]);
  switch (language) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return one(resolveJs(from, spec, index));
    case 'python':
      return one(resolvePython(from, spec, index));
    case 'go':
      return resolveGo(from, spec, index);
    case 'java':
    case 'kotlin':
      return one(resolveJvm(from, spec, index));
    case 'rust':
      return one(resolveRust(from, spec, index));
    case 'ruby':
      return one(resolveRuby(from, spec, index));
    case 'c':
    case 'cpp':
      return one(resolveInclude(from, spec, index));
    case 'php':
      return one(resolvePhp(from, spec, index));
    case 'csharp':
      return resolveCSharp(from, spec, index);
    case 'swift':
      return resolveSwift(from, spec, index);
    default:
      return [];
  }
}

/**
 * Repository paths that `specifiers` (written in `fromPath`) refer to: deduplicated, never
 * `fromPath` itself; specifiers that name no file of the repository are dropped. With `lookups`,
 * every question the resolution asked of the index is added to it (see `lookupsAffectedBy`).
 */
export function resolveImports(fromPath: string, language: Language, specifiers: string[], index: PathIndex, lookups?: Lookups): string[] {
  if (lookups) index = recordingIndex(index, lookups);
  const from = normalizePath(fromPath);
  const out = new Set<string>();
  for (const spec of specifiers) {
    if (!spec) continue;
    let targets: string[];
    try {
      targets = resolveOne(from, language, spec.trim(), index);
    } catch {
      // A malformed specifier is just unresolvable.
      targets = [];
    }
    for (const target of targets) if (target !== from) out.add(target);
  }
  return [...out];
}

// --- What a resolution depends on ----------------------------------------------------------------
//
// A file's import edges are a function of its specifiers and of the answers the path index gave
// while resolving them. Recording the questions (as hashes of map tag + looked-up name) lets an
// incremental run re-resolve only the files that asked about a path that came or went. A hash
// collision only makes a file resolve again.

/** Lookups recorded while resolving: hashes of (map, name). */
export type Lookups = Set<number>;

const enum Tag {
  Path = 1,
  Base,
  BaseLower,
  Dir,
  DirName,
  PythonModule,
  PythonPackage,
  RustCrate,
  /** A scan over a whole map or set: any change answers it differently. */
  Scan,
}

/** FNV-1a (32 bits) of the tag and the name. */
function lookupHash(tag: Tag, name: string): number {
  return fnv1a(name, Math.imul(0x811c9dc5 ^ tag, 0x01000193));
}

const SCAN = lookupHash(Tag.Scan, '');

const recorders = new WeakMap<PathIndex, { raw: PathIndex; keys: Lookups }>();

type Collection = ReadonlyMap<string, unknown> | ReadonlySet<string>;

/**
 * A view of a map or set that records each name asked of it, and a scan for any other use (size,
 * iteration), which depends on every name. Classes, not proxies: resolution calls these for every
 * import of every file, and a proxy made a full django resolution 20 % slower.
 */
abstract class RecordingView<C extends Collection> {
  constructor(
    private readonly tag: Tag,
    protected readonly inner: C,
    private readonly asked: Lookups,
  ) {}
  has(name: string): boolean {
    this.ask(name);
    return this.inner.has(name);
  }
  get size(): number {
    return this.scan().size;
  }
  forEach(callback: Parameters<C['forEach']>[0], thisArg?: unknown): void {
    (this.scan().forEach as (callback: unknown, thisArg?: unknown) => void)(callback, thisArg);
  }
  entries(): ReturnType<C['entries']> {
    return this.scan().entries() as ReturnType<C['entries']>;
  }
  keys(): ReturnType<C['keys']> {
    return this.scan().keys() as ReturnType<C['keys']>;
  }
  values(): ReturnType<C['values']> {
    return this.scan().values() as ReturnType<C['values']>;
  }
  [Symbol.iterator](): ReturnType<C[typeof Symbol.iterator]> {
    return this.scan()[Symbol.iterator]() as ReturnType<C[typeof Symbol.iterator]>;
  }
  protected ask(name: string): void {
    this.asked.add(lookupHash(this.tag, name));
  }
  private scan(): C {
    this.asked.add(SCAN);
    return this.inner;
  }
}

class RecordingMap<V> extends RecordingView<ReadonlyMap<string, V>> implements ReadonlyMap<string, V> {
  get(key: string): V | undefined {
    this.ask(key);
    return this.inner.get(key);
  }
}

class RecordingSet extends RecordingView<ReadonlySet<string>> implements ReadonlySet<string> {}

/** A view of `index` that adds to `keys` every question asked of it. */
function recordingIndex(index: PathIndex, keys: Lookups): PathIndex {
  const view: PathIndex = {
    paths: new RecordingSet(Tag.Path, index.paths, keys),
    byBase: new RecordingMap(Tag.Base, index.byBase, keys),
    byBaseLower: new RecordingMap(Tag.BaseLower, index.byBaseLower, keys),
    byDir: new RecordingMap(Tag.Dir, index.byDir, keys),
    dirsByBase: new RecordingMap(Tag.DirName, index.dirsByBase, keys),
    pythonModules: new RecordingMap(Tag.PythonModule, index.pythonModules, keys),
    pythonPackages: new RecordingSet(Tag.PythonPackage, index.pythonPackages, keys),
    rustCrates: new RecordingMap(Tag.RustCrate, index.rustCrates, keys),
  };
  recorders.set(view, { raw: index, keys });
  return view;
}

/**
 * The lookups whose answers differ between the index before and `index` after `changed` paths
 * were added or removed: a file whose recorded lookups hold none of them resolves exactly as
 * before. Undefined when a package or crate root came or went, which renames modules everywhere:
 * then every file must be resolved again.
 */
export function lookupsAffectedBy(changed: Iterable<string>, index: PathIndex): Lookups | undefined {
  const keys: Lookups = new Set();
  for (const raw of changed) {
    const p = normalizePath(raw);
    const base = baseOf(p);
    if (base === '__init__.py' || base === 'lib.rs' || base === 'main.rs') return undefined;
    keys.add(SCAN);
    keys.add(lookupHash(Tag.Path, p));
    keys.add(lookupHash(Tag.Base, base));
    keys.add(lookupHash(Tag.BaseLower, base.toLowerCase()));
    keys.add(lookupHash(Tag.Dir, dirOf(p)));
    for (let dir = dirOf(p); dir; dir = dirOf(dir)) keys.add(lookupHash(Tag.DirName, baseOf(dir)));
    // No package root changed (see above), so the names are the same in both indexes.
    for (const name of pythonModuleNames(p, index.pythonPackages)) keys.add(lookupHash(Tag.PythonModule, name));
  }
  return keys;
}

/** Recorded lookups as stored: distinct hashes, ascending, base 36, space-separated. */
export function encodeLookups(keys: Lookups): string {
  return [...keys]
    .sort((a, b) => a - b)
    .map((hash) => hash.toString(36))
    .join(' ');
}

/** A test of stored lookups (`encodeLookups`): did they ask any of `affected`? */
export function lookupsMatcher(affected: Lookups): (stored: string) => boolean {
  const wanted = new Set([...affected].map((hash) => hash.toString(36)));
  return (stored) => wanted.size > 0 && stored !== '' && stored.split(' ').some((hash) => wanted.has(hash));
}
