import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';

/**
 * The per-repository settings in `.github/scout.yml`. A repository owner writes this file, so it is
 * untrusted and often hand-edited: parsing never throws. What is broken falls back to its default
 * (the rest of the file still applies) and comes back as a `warning` the comment can show.
 */

/** Where the file lives in the repository. */
export const REPO_CONFIG_PATH = '.github/scout.yml';

/** Repository roles, weakest first, as GitHub names them (`role_name` of the permission API). */
export const REPO_ROLES = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type RepoRole = (typeof REPO_ROLES)[number];

/** Files larger than this are not parsed: a config file is a few hundred bytes. */
const MAX_CONFIG_BYTES = 64 * 1024;
/** The warning lists at most this many problems, so a badly broken file cannot flood the comment. */
const MAX_LISTED_PROBLEMS = 8;

/** Lets a single value stand for a one-element list (`skip_labels: wontfix`), as people write it. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item, { error: 'must be a list' }));

const ratio = (what: string) =>
  z.number({ error: `must be a number between 0 and 1 (${what})` }).min(0, 'must be at least 0').max(1, 'must be at most 1');

const flag = z.boolean({ error: 'must be true or false' });

const repoConfigSchema = z
  .object({
    /**
     * When a new issue gets a comment. `always`: every issue. `confident`: only when the confidence
     * of the located files reaches `confidence_threshold` (the quiet default: a wrong guess is noise).
     * `command-only`: never on its own, only when someone writes `/scout`. `/scout` always answers.
     */
    comment: z.enum(['always', 'confident', 'command-only'], {
      error: 'must be one of: always, confident, command-only',
    }),
    /**
     * Minimum confidence (0–1) for `comment: confident`. 0.35 is where locate's confidence turns from
     * `low` to `medium`: below it the top file barely stands out from the next ones and few signals
     * agree on it, which is the guess users call noise. Raise it (0.6 = `high` only) to comment less.
     */
    confidence_threshold: ratio('0.35 = medium confidence or better, 0.6 = high only'),
    /** Issues carrying any of these labels (case-insensitive) are never triaged automatically. */
    skip_labels: list(z.string({ error: 'must be a label name' }).trim().min(1, 'must not be empty')),
    /**
     * Globs (`**`, `*`, `?`) of files never suggested, e.g. `docs/**`, `*.lock`, `vendor/`. A pattern
     * without `/` matches a name at any depth; a folder excludes everything inside it. Issues whose
     * named files are all excluded are skipped.
     */
    exclude_paths: list(z.string({ error: 'must be a glob string' }).trim().min(1, 'must not be empty')),
    /** How many files the comment lists under "Where to look" (1–10). */
    max_files: z
      .number({ error: 'must be a whole number from 1 to 10' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10, 'must be at most 10'),
    /** Who may use `/scout` in issue comments. */
    commands: z
      .object({
        /**
         * Repository roles allowed to run commands. Each listed role is allowed; roles are not
         * implied (listing `write` alone shuts out `admin`). Custom roles count as the role they
         * are based on. Adding `read` lets anyone who can read the repository run it.
         */
        allow: list(z.enum(REPO_ROLES, { error: `must be one of: ${REPO_ROLES.join(', ')}` })),
        /** Whether the issue's author may run commands on their own issue without any role. */
        issue_author: flag,
      }, { error: 'must be a mapping (indented `allow:` and `issue_author:` lines)' })
      .strict(),
    /**
     * Whether this repository may use the language model the app is configured with (rewriting the
     * issue, reranking, proposing a diff). `false` keeps this repository's code and issues off the
     * model endpoint; triage then runs offline. Has no effect when the app has no model.
     */
    model: flag,
    /** Which parts of the comment to show. */
    sections: z
      .object({
        /** "Where to look": the likely files and symbols. */
        files: flag,
        /** Similar issues and pull requests, with possible duplicates flagged. */
        related: flag,
        /** People who recently changed the located files (never @-mentioned). */
        experts: flag,
        /** The proposed change (a diff with a model, a short plan without). */
        proposal: flag,
      }, { error: 'must be a mapping (indented `files:`, `related:`, `experts:`, `proposal:` lines)' })
      .strict(),
    /** Similarity (0–1) above which a related issue is flagged as a possible duplicate. */
    duplicate_threshold: ratio('0.8 flags near-identical issues only'),
    /** Re-run triage when the issue's title or body is edited (the comment is updated in place). */
    retriage_on_edit: flag,
    /**
     * With `retriage_on_edit`: only while nobody but the author and the bot has replied, so a
     * discussion in progress is not disturbed by a comment changing above it.
     */
    retriage_only_before_replies: flag,
  })
  .strict();

/**
 * Defaults, keyed like the file. They are merged under the file's values before validation (so a
 * value that fails validation can be dropped and its default shows through), which is why the
 * schema itself has none.
 */
const DEFAULTS = {
  comment: 'confident',
  confidence_threshold: 0.35,
  skip_labels: ['scout:skip'],
  exclude_paths: [],
  max_files: 5,
  commands: { allow: ['triage', 'write', 'maintain', 'admin'], issue_author: false },
  model: true,
  sections: { files: true, related: true, experts: true, proposal: true },
  duplicate_threshold: 0.8,
  retriage_on_edit: true,
  retriage_only_before_replies: true,
} as const satisfies z.input<typeof repoConfigSchema>;

export type RepoConfig = z.output<typeof repoConfigSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function freshDefaults(): RepoConfig {
  return repoConfigSchema.parse(structuredClone(DEFAULTS));
}

/** The settings of a repository without `.github/scout.yml`. Frozen: copy it to change it. */
export const DEFAULT_REPO_CONFIG: RepoConfig = deepFreeze(freshDefaults());

export interface ParsedRepoConfig {
  config: RepoConfig;
  /** Markdown listing what was wrong and where, and that defaults were used for it; absent when the file is fine. */
  warning?: string;
}

type PathKey = string | number;

interface Problem {
  path: PathKey[];
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/**
 * Parses the text of `.github/scout.yml` (`undefined` or empty: no file → defaults). Never throws.
 * Bad YAML → all defaults, and the warning gives the line and column. Wrong types or values and
 * unknown keys → those keys take their defaults (an invalid item of a list is dropped), everything
 * else applies, and the warning names each key path.
 */
export function parseRepoConfig(text: string | undefined): ParsedRepoConfig {
  if (text === undefined || text.trim() === '') return { config: freshDefaults() };
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    return {
      config: freshDefaults(),
      warning: warningText([{ path: [], message: `the file is larger than ${MAX_CONFIG_BYTES / 1024} KB; it was not read` }], 'all'),
    };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, 3).map((error): Problem => {
      const position = lineCounter.linePos(error.pos[0]);
      const firstLine = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { path: [], message: `YAML syntax error at line ${position.line}, column ${position.col}: ${firstLine}`, line: position.line };
    });
    return { config: freshDefaults(), warning: warningText(problems, 'all') };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return {
      config: freshDefaults(),
      warning: warningText([{ path: [], message: `could not read the YAML (${(error as Error).message})` }], 'all'),
    };
  }
  if (data === null || data === undefined) return { config: freshDefaults() };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return {
      config: freshDefaults(),
      warning: warningText([{ path: [], message: 'the file must be a mapping of settings (`key: value` lines)' }], 'all'),
    };
  }

  const lineOf = (path: PathKey[]): number | undefined => {
    const offset = keyOffset(doc.contents, path);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };

  // Repair loop: drop whatever zod rejects so its default applies, and parse again. Each round
  // removes at least one offending value, so a few rounds settle; the cap guards against surprises.
  const problems: Problem[] = [];
  let candidate = structuredClone(data) as Record<string, unknown>;
  for (let round = 0; round < 6; round += 1) {
    const result = repoConfigSchema.safeParse(withDefaults(candidate), { reportInput: true });
    if (result.success) {
      return {
        config: result.data,
        warning: problems.length > 0 ? warningText(problems, 'some') : undefined,
      };
    }
    const removals: PathKey[][] = [];
    for (const issue of result.error.issues) {
      const path = issue.path.filter((key): key is PathKey => typeof key !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const known = knownKeys(path);
          const hint = closest(key, known);
          const message = `unknown setting${hint ? `; did you mean \`${formatPath([...path, hint])}\`?` : ''}`;
          problems.push({ path: [...path, key], message, line: lineOf([...path, key]) });
          removals.push([...path, key]);
        }
        continue;
      }
      problems.push({ path, message: issueMessage(issue), line: lineOf(path) });
      removals.push(path);
    }
    candidate = removePaths(candidate, removals);
  }
  return { config: freshDefaults(), warning: warningText(problems, 'all') };
}

/** Fills missing keys with defaults before validation, so a removed bad value becomes its default. */
function withDefaults(input: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(structuredClone(DEFAULTS) as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) {
    const fallback = merged[key];
    if (isPlainObject(value) && isPlainObject(fallback)) merged[key] = { ...fallback, ...value };
    else if (value === null && fallback !== undefined) merged[key] = fallback; // `key:` with no value = default
    else merged[key] = value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Removes each path from a copy of `input`. A path into a list removes that item (a bad label
 * should not cost the good ones); highest indexes go first so earlier removals do not shift them.
 * A nested object left without keys is dropped too (so its defaults apply).
 */
function removePaths(input: Record<string, unknown>, paths: PathKey[][]): Record<string, unknown> {
  const copy = structuredClone(input);
  const sorted = [...paths].sort((a, b) => {
    const last = (p: PathKey[]) => (typeof p[p.length - 1] === 'number' ? (p[p.length - 1] as number) : -1);
    return last(b) - last(a);
  });
  for (const path of sorted) {
    if (path.length === 0) return {};
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<PathKey, unknown> | undefined)?.[key];
    const last = path[path.length - 1];
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else if (isPlainObject(parent)) delete parent[String(last)];
  }
  return copy;
}

function knownKeys(path: PathKey[]): string[] {
  let shape: Record<string, unknown> = DEFAULTS;
  for (const key of path) {
    const next = shape[String(key)];
    if (!isPlainObject(next)) return [];
    shape = next;
  }
  return Object.keys(shape);
}

/** The known key closest to a mistyped one (`max-files` → `max_files`), if it is close enough. */
function closest(key: string, known: string[]): string | undefined {
  const normalise = (value: string) => value.toLowerCase().replace(/[-\s]/g, '_');
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(normalise(key), normalise(candidate));
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.key.length / 4)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const shown = input === undefined ? '' : `, got ${describeValue(input)}`;
  return `${issue.message}${shown}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return `\`${text.length > 40 ? `${text.slice(0, 37)}...` : text}\``;
}

/** Where a key starts, for keys whose value node has no range (e.g. `key:` with nothing after it). */
function keyOffset(contents: unknown, path: PathKey[]): number | undefined {
  let node: unknown = contents;
  let offset: number | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) return offset;
      offset = (pair.key as YamlNode | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      offset = item?.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function formatPath(path: PathKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '');
}

function warningText(problems: Problem[], scope: 'all' | 'some'): string {
  const ordered = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const lines = ordered.slice(0, MAX_LISTED_PROBLEMS).map((problem) => {
    if (problem.path.length === 0) return `- ${problem.message}`;
    const where = problem.line === undefined ? '' : ` (line ${problem.line})`;
    return `- \`${formatPath(problem.path)}\`${where}: ${problem.message}`;
  });
  if (problems.length > MAX_LISTED_PROBLEMS) lines.push(`- …and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  const fallback = scope === 'all' ? 'so the default settings are used' : 'those settings use their defaults (bad list items are left out) and the rest of the file applies';
  return `\`${REPO_CONFIG_PATH}\` has problems, ${fallback}:\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Path exclusion

const compiledGlobs = new Map<string, { regex: RegExp; directoryOnly: boolean }>();

/**
 * Turns one glob into a regular expression over `/`-separated repository paths. `**` as a whole
 * segment spans any number of folders (including none); `*` and `?` stay inside one segment and
 * match dotfiles too (an exclusion should not miss `.eslintrc`). Everything else is literal.
 */
function compileGlob(pattern: string): { regex: RegExp; directoryOnly: boolean } {
  const cached = compiledGlobs.get(pattern);
  if (cached) return cached;
  let glob = pattern.trim().replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/^\/+/, '');
  const directoryOnly = glob.endsWith('/');
  glob = glob.replace(/\/+$/, '');
  // Like .gitignore: a pattern without a slash is a name that may sit at any depth.
  if (!glob.includes('/')) glob = `**/${glob}`;
  const segments = glob.split('/');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]*/)*';
      return;
    }
    for (const char of segment) {
      if (char === '*') source += '[^/]*';
      else if (char === '?') source += '[^/]';
      else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    if (!last) source += '/';
  });
  const compiled = { regex: new RegExp(`^${source}$`), directoryOnly };
  if (compiledGlobs.size > 1000) compiledGlobs.clear();
  compiledGlobs.set(pattern, compiled);
  return compiled;
}

/** Whether `glob` matches `path` (repository-relative, `/`-separated), or a folder containing it. */
export function globMatches(glob: string, path: string): boolean {
  const normalised = path.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/^\/+/, '');
  if (normalised === '') return false;
  const { regex, directoryOnly } = compileGlob(glob);
  const segments = normalised.split('/');
  // A folder matching the glob excludes everything under it, as in .gitignore.
  for (let length = 1; length <= segments.length; length += 1) {
    const isWholePath = length === segments.length;
    if (isWholePath && directoryOnly) continue;
    if (regex.test(segments.slice(0, length).join('/'))) return true;
  }
  return false;
}

/** Whether the repository's `exclude_paths` rule out this file (it is never suggested). */
export function pathExcluded(config: Pick<RepoConfig, 'exclude_paths'>, path: string): boolean {
  return config.exclude_paths.some((glob) => globMatches(glob, path));
}
