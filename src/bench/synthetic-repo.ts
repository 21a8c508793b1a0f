import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Random, seedFrom } from './random.ts';
import { allFunctions, planCode, renderFile, type CallSite, type FileKind, type PlannedFile } from './synthetic-code.ts';
import { writeIssues, type SyntheticIssue } from './synthetic-issues.ts';
import { ADJECTIVES, AUTHORS, DOMAINS, NOUNS, SUBPACKAGES, VERBS, capitalize, plural } from './vocabulary.ts';

/**
 * A realistic repository for `scout bench`, generated deterministically from a seed: Python and
 * TypeScript packages importing one another, tests, docs and config, a few files the indexer
 * must skip, and a history of PR-style commits by several authors. Commits are written with
 * `git fast-import` (one process for the whole history), then the work tree is checked out.
 */

export interface SyntheticRepoOptions {
  /** Files at HEAD, including the few the indexer skips. */
  files: number;
  /** Commits of history, the first one included. */
  commits: number;
  issues: number;
  seed?: number;
  authors?: number;
  /** An empty or missing folder to create the repository in (default: a new temporary folder). */
  dir?: string;
}

export interface Author {
  name: string;
  email: string;
}

/** Files the indexer is expected to leave out (lockfile, binary, vendored bundle). */
const SKIPPED_FIXTURES: Array<{ path: string; content: string }> = [
  { path: 'web/package-lock.json', content: `${JSON.stringify({ name: 'web', lockfileVersion: 3, requires: true, packages: {} }, null, 2)}\n` },
  { path: 'web/public/logo.png', content: '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\u0000\u0000\u0000\u0010' },
  { path: 'web/vendor/charts.min.js', content: `!function(){var a=${'1,'.repeat(400)}0;window.charts=a}();\n` },
];

const EPOCH = 1_677_628_800; // 2023-03-01T00:00:00Z
const HOUR = 3600;

interface PlannedCommit {
  author: Author;
  date: number;
  message: string;
  added: string[];
  changed: string[];
}

export class SyntheticRepo {
  private constructor(
    /** Work tree; the git directory is `dir/.git`. */
    readonly dir: string,
    private readonly plan: Map<string, PlannedFile>,
    readonly issues: SyntheticIssue[],
    /** Files at HEAD that the indexer should skip, by design. */
    readonly expectedSkipped: string[],
    readonly commitCount: number,
    /** The source file `commitOneFileChange` edits; no issue is about it. */
    private readonly changeTarget: PlannedFile,
    private nextPr: number,
    private lastDate: number,
    private readonly authors: Author[],
    private readonly ownsDir: boolean,
  ) {}

  get files(): string[] {
    return [...this.plan.keys()];
  }

  static async generate(options: SyntheticRepoOptions): Promise<SyntheticRepo> {
    if (options.files < 10) throw new Error('a synthetic repository needs at least 10 files');
    if (options.commits < 1) throw new Error('a synthetic repository needs at least 1 commit');
    const seed = options.seed ?? 1;
    const rng = new Random(seed);
    const authors = AUTHORS.slice(0, Math.max(1, Math.min(options.authors ?? 8, AUTHORS.length))).map((a) => ({ ...a }));
    const files = planFiles(options.files, rng, seed);
    const plan = new Map(files.map((file) => [file.path, file]));
    const { commits: history, nextPr } = planHistory(files, options.commits, rng, authors);

    const ownsDir = !options.dir;
    const dir = options.dir ? path.resolve(options.dir) : await mkdtemp(path.join(os.tmpdir(), 'scout-synthetic-'));
    try {
      await mkdir(dir, { recursive: true });
      if ((await readdir(dir)).length > 0) throw new Error(`${dir} is not empty; give an empty or new folder`);
      await git(dir, ['init', '-q', '--initial-branch=main', dir]);
      const head = new Map<string, { raiseLines: Map<string, number>; calls: CallSite[] }>();
      // Rendered lazily, commit by commit: a changed file is rendered at its next revision.
      const render = (filePath: string, changed: boolean) => {
        const file = plan.get(filePath)!;
        if (changed) file.revision += 1;
        const rendered = renderFile(file, plan);
        head.set(filePath, rendered);
        return { path: filePath, text: rendered.text };
      };
      await fastImport(dir, (function* () {
        for (const commit of history) {
          yield {
            ...commit,
            contents: [...commit.added.map((p) => render(p, false)), ...commit.changed.map((p) => render(p, true))],
          };
        }
      })());
      await git(dir, ['-c', 'core.autocrlf=false', 'reset', '-q', '--hard']);

      const changeTarget = files.find((file) => file.kind === 'python' || file.kind === 'typescript')!;
      const issues = writeIssues(files, head, {
        count: options.issues,
        rng: new Random(seedFrom('issues', seed)),
        firstNumber: nextPr,
        exclude: new Set([changeTarget.path]),
      });
      return new SyntheticRepo(
        dir,
        plan,
        issues,
        SKIPPED_FIXTURES.map((f) => f.path).filter((p) => plan.has(p)),
        history.length,
        changeTarget,
        nextPr + options.issues,
        history[history.length - 1].date,
        authors,
        ownsDir,
      );
    } catch (error) {
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Commits a change to one source file that no synthetic issue is about (what a typical push
   * looks like) and checks it out; returns the changed path and the new commit.
   */
  async commitOneFileChange(): Promise<{ path: string; commit: string }> {
    const file = this.changeTarget;
    file.revision += 1;
    const fn = allFunctions(file)[0];
    this.lastDate += 5 * HOUR;
    const pr = this.nextPr;
    this.nextPr += 1;
    await fastImport(
      this.dir,
      [{
        author: this.authors[0],
        date: this.lastDate,
        message: `Raise the ${fn?.noun ?? file.nouns[0]} retry limit in ${path.posix.basename(file.path)} (#${pr})`,
        contents: [{ path: file.path, text: renderFile(file, this.plan).text }],
      }],
      'refs/heads/main^0',
    );
    await git(this.dir, ['-c', 'core.autocrlf=false', 'reset', '-q', '--hard']);
    const commit = (await git(this.dir, ['rev-parse', 'HEAD'])).trim();
    return { path: file.path, commit };
  }

  /** Removes the repository when it lives in a folder this class created. */
  async cleanup(): Promise<void> {
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

// --- Planning ---------------------------------------------------------------------------------

function planFiles(total: number, rng: Random, seed: number): PlannedFile[] {
  const files: PlannedFile[] = [];
  const paths = new Set<string>();
  const usedMessages = new Set<string>();
  const base = (kind: FileKind, filePath: string, domain: string, sub: string, nouns: [string, string], doc: string): PlannedFile => ({
    path: filePath,
    kind,
    domain,
    sub,
    nouns,
    doc,
    functions: [],
    classes: [],
    imports: [],
    revision: 0,
  });
  const add = (file: PlannedFile) => {
    files.push(file);
    paths.add(file.path);
  };

  add({ ...base('fixed', 'README.md', '', '', ['shop', 'service'], ''), fixed: readme() });
  add({ ...base('fixed', '.github/workflows/ci.yml', '', '', ['ci', 'workflow'], ''), fixed: ciWorkflow() });
  for (const fixture of SKIPPED_FIXTURES) add({ ...base('fixed', fixture.path, '', '', ['skip', 'me'], ''), fixed: fixture.content });

  const sources = (kind: FileKind) => files.filter((f) => f.kind === kind);
  while (files.length < total) {
    const domain = rng.pick(DOMAINS);
    const sub = rng.pick(SUBPACKAGES);
    const nouns: [string, string] = [rng.pick(NOUNS), rng.pick(NOUNS)];
    if (nouns[0] === nouns[1]) continue;
    const verb = rng.pick(VERBS);
    const doc = `${capitalize(domain)} ${sub}: ${verb.ing} ${plural(nouns[0])} and their ${plural(nouns[1])} for the ${domain} service.`;
    const roll = rng.next();
    let file: PlannedFile;
    if (roll < 0.5) {
      file = base('python', `server/${domain}/${sub}/${nouns[0]}_${nouns[1]}.py`, domain, sub, nouns, doc);
      // Package markers first, so the module resolves as `server.<domain>.<sub>.<name>`.
      for (const dir of ['server', `server/${domain}`, `server/${domain}/${sub}`]) {
        const init = `${dir}/__init__.py`;
        if (!paths.has(init) && files.length < total - 1) add(base('python-init', init, domain, sub, nouns, `the ${dir.split('/').pop()} package.`));
      }
    } else if (roll < 0.82) {
      file = base('typescript', `web/src/${domain}/${sub}/${nouns[0]}-${nouns[1]}.ts`, domain, sub, nouns, doc);
    } else if (roll < 0.9) {
      const python = rng.chance(0.55);
      const candidates = sources(python ? 'python' : 'typescript');
      if (candidates.length === 0) continue;
      const subject = rng.pick(candidates);
      const testPath = python
        ? `tests/${subject.domain}/test_${path.posix.basename(subject.path)}`
        : subject.path.replace(/\.ts$/, '.test.ts');
      file = { ...base(python ? 'python-test' : 'typescript-test', testPath, subject.domain, subject.sub, subject.nouns, ''), subject: subject.path };
    } else if (roll < 0.96) {
      const candidates = [...sources('python'), ...sources('typescript')];
      if (candidates.length === 0) continue;
      const subject = rng.pick(candidates);
      file = { ...base('markdown', `docs/${subject.domain}/${nouns[0]}-${nouns[1]}.md`, subject.domain, subject.sub, nouns, `How the ${subject.domain} service handles ${plural(nouns[0])} and ${plural(nouns[1])}.`), subject: subject.path };
    } else {
      file = base('yaml', `config/${domain}/${sub}-${nouns[0]}.yml`, domain, sub, nouns, '');
    }
    if (paths.has(file.path)) continue;
    if (file.kind === 'python' || file.kind === 'typescript') {
      // Each file has its own stream of random choices, so re-planning one never shifts another.
      planCode(file, new Random(seedFrom(file.path, seed)), usedMessages, rng.int(32, 262));
    }
    add(file);
  }
  planImports(files, rng);
  return files;
}

/** Each module imports a few top-level functions of earlier modules (same language, mostly same domain). */
function planImports(files: PlannedFile[], rng: Random): void {
  const earlier: Record<'python' | 'typescript', PlannedFile[]> = { python: [], typescript: [] };
  for (const file of files) {
    if (file.kind !== 'python' && file.kind !== 'typescript') continue;
    const pool = earlier[file.kind];
    const wanted = pool.length === 0 ? 0 : rng.int(0, 3);
    const taken = new Set(file.functions.map((fn) => fn.name));
    for (let i = 0; i < wanted * 3 && file.imports.length < wanted; i += 1) {
      const sameDomain = pool.filter((f) => f.domain === file.domain);
      const target = rng.pick(sameDomain.length > 0 && rng.chance(0.7) ? sameDomain : pool);
      if (target.functions.length === 0) continue;
      const symbol = rng.pick(target.functions).name;
      if (taken.has(symbol)) continue;
      taken.add(symbol);
      file.imports.push({ path: target.path, symbol });
    }
    pool.push(file);
  }
}

function planHistory(
  files: PlannedFile[],
  commitCount: number,
  rng: Random,
  authors: Author[],
): { commits: PlannedCommit[]; nextPr: number } {
  const owners = new Map<string, Author[]>();
  for (const domain of DOMAINS) owners.set(domain, rng.sample(authors, Math.min(2, authors.length)));
  const authorFor = (domain: string) => (rng.chance(0.75) && owners.get(domain)?.length ? rng.pick(owners.get(domain)!) : rng.pick(authors));

  // Files arrive in plan order (imports only point backwards), most of them in the first commit.
  const later = commitCount > 1 ? Math.floor(files.length * 0.3) : 0;
  let cursor = files.length - later;
  const addCommits = Math.min(later, Math.max(later > 0 ? 1 : 0, Math.round((commitCount - 1) * 0.25)));
  const addAt = new Set(rng.sample(Array.from({ length: commitCount - 1 }, (_, i) => i + 1), addCommits));
  const perAdd = addCommits > 0 ? Math.ceil(later / addCommits) : 0;

  let date = EPOCH;
  let pr = 12;
  const commits: PlannedCommit[] = [
    { author: authors[0], date, message: 'Initial import of the shop services', added: files.slice(0, cursor).map((f) => f.path), changed: [] },
  ];
  const present: PlannedFile[] = files.slice(0, cursor);
  for (let i = 1; i < commitCount; i += 1) {
    date += rng.int(2, 40) * HOUR;
    pr += rng.int(1, 4);
    if (addAt.has(i) && cursor < files.length) {
      const added = files.slice(cursor, cursor + perAdd);
      cursor += added.length;
      present.push(...added);
      const lead = added.find((f) => f.kind === 'python' || f.kind === 'typescript') ?? added[0];
      commits.push({
        author: authorFor(lead.domain),
        date,
        message: `Add ${lead.domain || 'shop'} ${lead.sub || 'support'} for ${plural(lead.nouns[0])} (#${pr})`,
        added: added.map((f) => f.path),
        changed: [],
      });
      continue;
    }
    const { message, paths } = changeCommit(present, rng, pr);
    const lead = present.find((f) => f.path === paths[0])!;
    commits.push({ author: authorFor(lead.domain), date, message, added: [], changed: paths });
  }
  // Whatever the add commits did not take arrives with the last commit (only when rounding left some).
  if (cursor < files.length) commits[commits.length - 1].added.push(...files.slice(cursor).map((f) => f.path));
  return { commits, nextPr: pr + 1 };
}

/** A fix, refactor, docs or config change to one to four files already in the repository. */
function changeCommit(present: PlannedFile[], rng: Random, pr: number): { message: string; paths: string[] } {
  const code = present.filter((f) => (f.kind === 'python' || f.kind === 'typescript') && f.functions.length > 0);
  const roll = rng.next();
  if (roll < 0.08 || code.length === 0) {
    const docs = present.filter((f) => f.kind === 'markdown' || f.kind === 'yaml');
    const file = docs.length > 0 ? rng.pick(docs) : rng.pick(present);
    const message = file.kind === 'yaml' ? `Bump ${file.nouns[0]} retry limits for ${file.domain} (#${pr})` : `Docs: explain ${file.nouns[0]} ${file.nouns[1]} settings (#${pr})`;
    return { message, paths: [file.path] };
  }
  const file = rng.pick(code);
  const fn = rng.pick(file.functions);
  const adjective = rng.pick(ADJECTIVES);
  const stem = path.posix.basename(file.path).replace(/\.\w+$/, '');
  const title = rng.pick([
    `Fix ${adjective} ${fn.noun} handling in ${fn.name}`,
    `Fix ${fn.verb.ing} ${adjective} ${plural(fn.noun)} in ${stem}`,
    `Handle an empty ${fn.noun2} list in ${fn.name}`,
    `Raise a clear error when the ${fn.noun} is ${adjective}`,
    `Refactor ${file.domain} ${file.sub} ${file.nouns[0]} helpers`,
    `Speed up ${fn.verb.ing} ${plural(fn.noun)} for large ${plural(fn.noun2)}`,
  ]);
  const body = rng.chance(0.5) ? `\n\n${capitalize(fn.clause)}.\n\nFixes #${rng.int(1, Math.max(1, pr - 1))}` : '';
  const paths = [file.path];
  // Real changes travel together: the file's test, a module it imports, its docs page.
  const companions = present.filter(
    (f) => f.subject === file.path || file.imports.some((imported) => imported.path === f.path),
  );
  for (const companion of rng.sample(companions, rng.int(0, 3))) paths.push(companion.path);
  return { message: `${title} (#${pr})${body}`, paths };
}

// --- Fixed files ------------------------------------------------------------------------------

function readme(): string {
  return [
    '# shop',
    '',
    'The shop platform: a Python service (`server/`) and a TypeScript web client (`web/`).',
    '',
    '## Layout',
    '',
    ...DOMAINS.map((domain) => `- \`${domain}\`: the ${domain} service, in \`server/${domain}\` and \`web/src/${domain}\`.`),
    '',
    '## Development',
    '',
    '```sh',
    'pip install -e .[dev] && pytest',
    'cd web && npm ci && npm test',
    '```',
    '',
  ].join('\n');
}

function ciWorkflow(): string {
  return [
    'name: ci',
    'on: [push, pull_request]',
    'jobs:',
    '  server:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-python@v5',
    '        with:',
    "          python-version: '3.12'",
    '      - run: pip install -e .[dev]',
    '      - run: pytest',
    '  web:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    '          node-version: 20',
    '      - run: npm ci',
    '        working-directory: web',
    '      - run: npm test',
    '        working-directory: web',
    '',
  ].join('\n');
}

// --- git --------------------------------------------------------------------------------------

/**
 * Runs git on the repository at `dir`. `--git-dir` and `--work-tree` are given explicitly, so an
 * ambient `GIT_DIR` (from a hook, say) cannot redirect it to another repository.
 */
function git(dir: string, args: string[], input?: AsyncIterable<Buffer>): Promise<string> {
  const fullArgs = args[0] === 'init' ? args : ['--git-dir', path.join(dir, '.git'), '--work-tree', dir, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, { cwd: dir, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`git ${args[0]} failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim().slice(0, 500)}`));
    });
    if (input && child.stdin) {
      const stdin = child.stdin;
      stdin.on('error', () => {}); // A dead git reports through its exit code.
      void (async () => {
        try {
          for await (const chunk of input) {
            if (!stdin.write(chunk)) await once(stdin, 'drain');
          }
        } finally {
          stdin.end();
        }
      })().catch(reject);
    }
  });
}

interface ImportCommit {
  author: Author;
  date: number;
  message: string;
  contents: Array<{ path: string; text: string }>;
}

/** Writes commits onto `main` with one `git fast-import` (far faster than a `git commit` per commit). */
async function fastImport(dir: string, commits: Iterable<ImportCommit>, from?: string): Promise<void> {
  async function* stream(): AsyncIterable<Buffer> {
    let first = true;
    for (const commit of commits) {
      const ident = `${commit.author.name} <${commit.author.email}> ${commit.date} +0000`;
      const message = Buffer.from(`${commit.message}\n`);
      const parts: Buffer[] = [
        Buffer.from(`commit refs/heads/main\nauthor ${ident}\ncommitter ${ident}\ndata ${message.length}\n`),
        message,
      ];
      if (first && from) parts.push(Buffer.from(`from ${from}\n`));
      first = false;
      for (const file of commit.contents) {
        const data = Buffer.from(file.text);
        parts.push(Buffer.from(`M 100644 inline ${file.path}\ndata ${data.length}\n`), data, Buffer.from('\n'));
      }
      parts.push(Buffer.from('\n'));
      yield Buffer.concat(parts);
    }
    yield Buffer.from('done\n');
  }
  await git(dir, ['fast-import', '--quiet', '--done'], stream());
}
