import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RepositoryError } from '../errors.ts';
import { cleanEnv, type GitRepo } from './git.ts';
import { launch } from './launcher.ts';

/**
 * Checks a model-written unified diff against the indexed commit without a checkout: the files the
 * diff touches are written from git objects into a throwaway folder (a sparse stand-in for a work
 * tree, so a huge repository costs no more than a small one), and `git apply --check` runs there.
 *
 * The diff is untrusted text. Paths are validated before anything touches the disk, git runs
 * without a shell, without hooks or the machine's git config, and under a timeout; nothing from
 * the repository is ever executed.
 */

/** One file section of a unified diff; paths are repository-relative, without the `a/` `b/` prefixes. */
export interface DiffFileChange {
  /** Absent for a new file. */
  oldPath?: string;
  /** Absent for a deleted file. */
  newPath?: string;
  hunks: number;
}

export type DiffParse = { ok: true; files: DiffFileChange[]; paths: string[] } | { ok: false; reason: string };

/** `reason` is one short line for a comment; `detail` is git's whole error output, for a model to act on. */
export type ApplyCheck = { applies: true; paths: string[] } | { applies: false; reason: string; detail?: string };

export interface ApplyCheckOptions {
  /** Per git process; a hung git is killed. Default 15 s. */
  timeoutMs?: number;
  /** Where the throwaway folder is made (default: the OS temp folder). */
  tmpRoot?: string;
}

const MAX_FILES = 20;
const MAX_FILE_BYTES = 5_000_000;
const MAX_TOTAL_BYTES = 20_000_000;
const DEFAULT_TIMEOUT_MS = 15_000;

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const EXTENDED_HEADER =
  /^(?:old mode |new mode |deleted file mode |new file mode |index |similarity index |dissimilarity index |rename from |rename to |copy from |copy to )/;
const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)\s*$/;

/**
 * Repairs the mistakes models make around a diff without touching its hunks: a code fence around
 * it, prose before it, CRLF line ends, a missing final newline, and `---`/`+++` paths without the
 * `a/` `b/` prefixes `git apply` expects.
 */
export function normaliseDiff(text: string): string {
  let lines = text.replace(/\r\n?/g, '\n').split('\n');
  const fenced = fencedBody(lines);
  if (fenced) lines = fenced;
  const start = lines.findIndex((line, i) => line.startsWith('diff --git ') || (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')));
  if (start > 0) lines = lines.slice(start);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) return '';

  const prefixed = lines.every((line, i) => {
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const from = headerPath(line);
      const to = headerPath(lines[i + 1]);
      return (from === '/dev/null' || from.startsWith('a/')) && (to === '/dev/null' || to.startsWith('b/'));
    }
    return true;
  });
  if (!prefixed) lines = addPrefixes(lines);
  return `${lines.join('\n')}\n`;
}

/** The body of the first fenced block that holds a diff header, if the text has fences. */
function fencedBody(lines: string[]): string[] | undefined {
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const marker = open[1];
    // A closing fence starts the line: an indented one (` ``` `) is a context line of a Markdown file.
    const closes = (line: string) => {
      const text = line.trimEnd();
      return text.length >= marker.length && text === marker[0].repeat(text.length);
    };
    let end = i + 1;
    while (end < lines.length && !closes(lines[end])) end += 1;
    const body = lines.slice(i + 1, end);
    if (body.some((line) => line.startsWith('--- ') || line.startsWith('diff --git ') || line.startsWith('@@ '))) return body;
    i = end;
  }
  return undefined;
}

/** The path of a `---`/`+++` line, without a trailing tab-separated timestamp. */
function headerPath(line: string): string {
  const rest = line.slice(4);
  const tab = rest.indexOf('\t');
  return (tab >= 0 ? rest.slice(0, tab) : rest).trimEnd();
}

function addPrefixes(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const from = headerPath(line);
      const to = headerPath(lines[i + 1]);
      const oldPath = from === '/dev/null' ? from : `a/${from.replace(/^a\//, '')}`;
      const newPath = to === '/dev/null' ? to : `b/${to.replace(/^b\//, '')}`;
      // A `diff --git` line written with the same unprefixed names is rebuilt to match.
      const previous = out[out.length - 1];
      if (previous?.startsWith('diff --git ') && !previous.startsWith('diff --git a/')) {
        const left = oldPath === '/dev/null' ? `a/${newPath.slice(2)}` : oldPath;
        const right = newPath === '/dev/null' ? `b/${oldPath.slice(2)}` : newPath;
        out[out.length - 1] = `diff --git ${left} ${right}`;
      }
      out.push(`--- ${oldPath}`, `+++ ${newPath}`);
      i += 1;
      continue;
    }
    out.push(line);
  }
  return out;
}

/** Why a diff path may not be used, or undefined when it is a plain path inside the repository. */
export function unsafePathReason(file: string): string | undefined {
  if (file === '') return 'an empty path';
  if (file.length > 1000) return 'a path longer than 1000 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(file)) return `a path with control characters (${JSON.stringify(file)})`;
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file) || file.startsWith('~')) return `an absolute path (${file})`;
  if (file.includes('\\')) return `a path with a backslash (${file})`;
  const segments = file.split('/');
  if (segments.includes('..')) return `a path outside the repository (${file})`;
  if (segments.some((segment) => segment === '' || segment === '.')) return `a malformed path (${file})`;
  if (segments.some((segment) => segment.toLowerCase() === '.git')) return `a path inside .git (${file})`;
  return undefined;
}

/** Strips `a/` or `b/` from a header path; `/dev/null` → undefined. */
function diffPath(raw: string, prefix: 'a/' | 'b/'): { path?: string; error?: string } {
  if (raw === '/dev/null') return {};
  if (raw.startsWith('"')) return { error: `a quoted file name (${raw}); only plain paths are supported` };
  if (!raw.startsWith(prefix)) return { error: `the path ${raw} lacks the ${prefix} prefix` };
  const file = raw.slice(2);
  const unsafe = unsafePathReason(file);
  return unsafe ? { error: `the diff touches ${unsafe}` } : { path: file };
}

/**
 * Reads a unified diff (as `git diff` writes it, with or without `diff --git` lines) and checks its
 * structure: file headers, hunk headers, hunk bodies matching their line counts, and safe paths.
 * It does not check that hunks match any file: `git apply --check` does that.
 */
export function parseUnifiedDiff(diff: string): DiffParse {
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const files: DiffFileChange[] = [];
  /** `headerOnly`: a change that needs no hunk (rename, mode change, empty new file); `named`: its ---/+++ lines were read. */
  let current: (DiffFileChange & { headerOnly: boolean; named?: boolean }) | undefined;
  const fail = (reason: string): DiffParse => ({ ok: false, reason });
  const finish = (): string | undefined => {
    if (!current) return undefined;
    if (!current.oldPath && !current.newPath) return 'a file section names no file';
    if (current.hunks === 0 && !current.headerOnly) return `the change to ${current.newPath ?? current.oldPath} has no hunks`;
    files.push({ oldPath: current.oldPath, newPath: current.newPath, hunks: current.hunks });
    current = undefined;
    return undefined;
  };

  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const lineNo = i + 1;
    if (line.startsWith('diff --git ')) {
      const problem = finish();
      if (problem) return fail(problem);
      const rest = line.slice('diff --git '.length);
      if (!rest.startsWith('a/')) return fail(`line ${lineNo}: a diff --git header without a/ b/ paths`);
      // `a/<x> b/<y>`: every split point is checked, so no reading of the line hides a bad path.
      for (const match of rest.matchAll(/ b\//g)) {
        for (const candidate of [rest.slice(2, match.index), rest.slice(match.index + 3)]) {
          const unsafe = unsafePathReason(candidate);
          if (unsafe && /outside|absolute|\.git|control/.test(unsafe)) return fail(`the diff touches ${unsafe}`);
        }
      }
      current = { hunks: 0, headerOnly: false };
      const plain = /^a\/(.+) b\/\1$/.exec(rest);
      if (plain) {
        current.oldPath = plain[1];
        current.newPath = plain[1];
      }
      continue;
    }
    if (line.startsWith('GIT binary patch') || /^Binary files .* differ$/.test(line)) return fail('binary changes are not supported');
    if (EXTENDED_HEADER.test(line) && current && current.hunks === 0) {
      const [, key, value] = /^(rename from|rename to|copy from|copy to|new file mode|deleted file mode|old mode|new mode)?\s*(.*)$/.exec(line) ?? [];
      if (key === 'rename from' || key === 'copy from' || key === 'rename to' || key === 'copy to') {
        const unsafe = unsafePathReason(value ?? '');
        if (unsafe) return fail(`the diff touches ${unsafe}`);
        if (key.endsWith('from')) current.oldPath = value;
        else current.newPath = value;
        current.headerOnly = true;
      } else if (key === 'old mode' || key === 'new mode') {
        current.headerOnly = true;
      } else if (key === 'new file mode') {
        current.oldPath = undefined;
        current.headerOnly = true; // an empty new file has no hunk
      } else if (key === 'deleted file mode') {
        current.newPath = undefined;
      }
      continue;
    }
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      if (current && (current.hunks > 0 || current.named)) {
        const problem = finish();
        if (problem) return fail(problem);
      }
      if (!current) current = { hunks: 0, headerOnly: false };
      const from = diffPath(headerPath(line), 'a/');
      const to = diffPath(headerPath(lines[i + 1]), 'b/');
      if (from.error) return fail(from.error);
      if (to.error) return fail(to.error);
      current.oldPath = from.path;
      current.newPath = to.path;
      current.headerOnly = false;
      current.named = true;
      i += 1;
      continue;
    }
    const hunk = HUNK_HEADER.exec(line);
    if (hunk) {
      if (!current || (!current.oldPath && !current.newPath)) return fail(`line ${lineNo}: a hunk before any file header (--- a/… +++ b/…)`);
      let oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      let newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      const name = current.newPath ?? current.oldPath;
      current.hunks += 1;
      while (oldLeft > 0 || newLeft > 0) {
        i += 1;
        const body = lines[i];
        if (body === undefined || body.startsWith('@@ ') || body.startsWith('diff --git ')) {
          return fail(`hunk ${current.hunks} of ${name} (${hunk[0]}) ends before the lines its header counts`);
        }
        // An empty line is an empty context line whose leading space was lost (git reads it so too).
        const kind = body === '' ? ' ' : body[0];
        if (kind === ' ') {
          oldLeft -= 1;
          newLeft -= 1;
        } else if (kind === '-') oldLeft -= 1;
        else if (kind === '+') newLeft -= 1;
        else if (kind === '\\') continue;
        else return fail(`line ${i + 1}: "${body.slice(0, 60)}" is not a hunk line (hunk lines start with a space, + or -)`);
        if (oldLeft < 0 || newLeft < 0) return fail(`hunk ${current.hunks} of ${name} has more lines than its header ${hunk[0]} counts`);
      }
      if (lines[i + 1]?.startsWith('\\')) i += 1;
      continue;
    }
    if (line.trim() === '') continue;
    if (current && current.hunks > 0 && /^[ +-]/.test(line)) {
      return fail(`hunk ${current.hunks} of ${current.newPath ?? current.oldPath} has more lines than its header counts`);
    }
    return fail(`line ${lineNo}: "${line.slice(0, 60)}" is not part of a unified diff`);
  }
  const problem = finish();
  if (problem) return fail(problem);
  if (files.length === 0) return fail('no file changes found');
  if (files.length > MAX_FILES) return fail(`the diff changes ${files.length} files (at most ${MAX_FILES})`);
  const paths = [...new Set(files.flatMap((file) => [file.oldPath, file.newPath].filter((p): p is string => Boolean(p))))];
  return { ok: true, files, paths };
}

interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs git without a shell. `isolated` also shuts out the machine's global and system config (the
 * throwaway folder must not pick up anyone's aliases, filters or templates); reads of the real
 * repository keep them, as `git.ts` does, so settings such as `safe.directory` still apply.
 */
function runGit(cwd: string, args: string[], options: { timeoutMs: number; input?: string; isolated?: boolean }): Promise<GitRun> {
  const env = cleanEnv();
  if (options.isolated) {
    env.GIT_CONFIG_NOSYSTEM = '1';
    env.GIT_CONFIG_GLOBAL = os.devNull;
  }
  return new Promise((resolve, reject) => {
    const child = launch('git', ['-c', `core.hooksPath=${os.devNull}`, ...args], { cwd, env, stdin: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new RepositoryError(`Could not run git (${error.message}). Install git and make sure it is on PATH.`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (timedOut) resolve({ code: -1, stdout: Buffer.concat(out), stderr: `git ${args.find((a) => !a.startsWith('-')) ?? ''} timed out after ${options.timeoutMs} ms` });
      else resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
  });
}

export interface FileAtCommit {
  path: string;
  /** `100644`, `100755`, `120000` (symlink), `160000` (submodule), `040000` (folder). */
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
}

/** The tree entries of exactly these paths at `commit` (`git ls-tree` with literal pathspecs); absent paths are left out. */
export async function entriesAt(repo: GitRepo, commit: string, paths: string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Map<string, FileAtCommit>> {
  const found = new Map<string, FileAtCommit>();
  if (paths.length === 0) return found;
  const sha = await repo.resolveCommit(commit);
  const result = await runGit(repo.gitDir, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', sha, '--', ...paths], { timeoutMs });
  if (result.code !== 0) throw new RepositoryError(`git ls-tree failed in ${repo.gitDir}: ${result.stderr || `exit code ${result.code}`}`);
  const wanted = new Set(paths);
  for (const record of result.stdout.toString('utf8').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, objectSha] = record.slice(0, tab).split(' ');
    const file = record.slice(tab + 1);
    if (wanted.has(file) && mode && type && objectSha) found.set(file, { path: file, mode, type: type as FileAtCommit['type'], sha: objectSha });
  }
  return found;
}

/** The contents of these files at `commit` (regular files only; absent ones are left out). */
export async function readFilesAt(repo: GitRepo, commit: string, paths: string[], options: { timeoutMs?: number } = {}): Promise<Map<string, Buffer>> {
  const entries = [...(await entriesAt(repo, commit, paths, options.timeoutMs)).values()].filter(
    (entry) => entry.type === 'blob' && entry.mode !== '120000',
  );
  const bySha = new Map<string, string[]>();
  for (const entry of entries) bySha.set(entry.sha, [...(bySha.get(entry.sha) ?? []), entry.path]);
  const contents = new Map<string, Buffer>();
  await repo.readBlobs([...bySha.keys()], (blob) => {
    for (const file of bySha.get(blob.sha) ?? []) contents.set(file, blob.data);
  });
  return contents;
}

/** git's error output, shortened for a comment: the first lines, without the `error: ` prefixes. */
export function briefGitError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^(?:error|fatal):\s*/, '').trim())
    .filter((line) => line && !line.startsWith('warning:') && !/^Checking patch /.test(line));
  // "patch failed: f:6" already says what "f: patch does not apply" repeats.
  const failed = new Set(lines.flatMap((line) => /^patch failed: (.+):\d+$/.exec(line)?.[1] ?? []));
  const kept = lines.filter((line) => !(line.endsWith(': patch does not apply') && failed.has(line.slice(0, -': patch does not apply'.length))));
  const brief = kept.slice(0, 2).join('; ');
  return brief.length > 200 ? `${brief.slice(0, 199)}…` : brief || 'git apply failed';
}

/**
 * Whether `diff` applies cleanly to `commit` of `repo`. The diff should already be normalised
 * (`normaliseDiff`). Never throws for a bad diff: the reason comes back in words git or we chose.
 */
export async function checkDiffApplies(repo: GitRepo, commit: string, diff: string, options: ApplyCheckOptions = {}): Promise<ApplyCheck> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const parsed = parseUnifiedDiff(diff);
  if (!parsed.ok) return { applies: false, reason: parsed.reason };
  const entries = await entriesAt(repo, commit, parsed.paths, timeoutMs);
  for (const entry of entries.values()) {
    if (entry.mode === '120000') return { applies: false, reason: `${entry.path} is a symbolic link; changes to links are not proposed` };
    if (entry.type === 'commit') return { applies: false, reason: `${entry.path} is a submodule; changes to submodules are not proposed` };
  }

  const tmp = await mkdtemp(path.join(options.tmpRoot ?? os.tmpdir(), 'scout-apply-'));
  try {
    const tree = path.join(tmp, 'tree');
    await mkdir(tree);
    const target = (file: string) => {
      const resolved = path.resolve(tree, file);
      // Paths were validated above; this guards the invariant where the disk is written.
      if (!resolved.startsWith(tree + path.sep)) throw new RepositoryError(`refusing to write outside the check folder: ${file}`);
      return resolved;
    };
    const blobs = [...entries.values()].filter((entry) => entry.type === 'blob');
    for (const entry of entries.values()) if (entry.type === 'tree') await mkdir(target(entry.path), { recursive: true });
    const bySha = new Map<string, FileAtCommit[]>();
    for (const entry of blobs) bySha.set(entry.sha, [...(bySha.get(entry.sha) ?? []), entry]);
    let total = 0;
    let tooLarge: string | undefined;
    await repo.readBlobs([...bySha.keys()], async (blob) => {
      total += blob.size;
      for (const entry of bySha.get(blob.sha) ?? []) {
        if (blob.size > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES) {
          tooLarge ??= entry.path;
          continue;
        }
        const file = target(entry.path);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, blob.data);
        if (entry.mode === '100755') await chmod(file, 0o755);
      }
    });
    if (tooLarge) return { applies: false, reason: `${tooLarge} is too large to check a change against` };

    const init = await runGit(tree, ['init', '-q', '--template='], { timeoutMs, isolated: true });
    if (init.code !== 0) throw new RepositoryError(`git init failed in ${tree}: ${init.stderr || `exit code ${init.code}`}`);
    const check = await runGit(tree, ['-c', 'core.autocrlf=false', 'apply', '--check', '-'], { timeoutMs, input: diff, isolated: true });
    if (check.code === 0) return { applies: true, paths: parsed.paths };
    return { applies: false, reason: briefGitError(check.stderr), detail: check.stderr.slice(0, 4000) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
