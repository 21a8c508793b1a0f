import path from 'node:path';
import { Random } from './random.ts';
import { ADJECTIVES, CLAUSES, KEYS, NOUNS, RARE_WORDS, VERBS, camel, capitalize, pascal, plural, snake, withArticle, type Verb } from './vocabulary.ts';

/**
 * The content of the synthetic repository's files: planned once (names, docstrings, messages,
 * statements), then rendered at any revision. A revision changes a constant, so a commit that
 * touches a file changes its blob without reshuffling the rest of it.
 */

export type FileKind = 'python' | 'typescript' | 'python-init' | 'python-test' | 'typescript-test' | 'markdown' | 'yaml' | 'fixed';

export interface PlannedFunction {
  /** As written in the code (`settle_invoice`, `settleInvoice`). */
  name: string;
  /** The class holding it, for methods. */
  owner?: string;
  verb: Verb;
  noun: string;
  noun2: string;
  adjective: string;
  clause: string;
  doc: string;
  /** The message its guard raises: distinctive, so an issue quoting it can be traced here. */
  message: string;
  errorClass: string;
  params: [string, string];
  /** Filler statements (template, keys), fixed at planning so every revision renders them alike. */
  statements: Array<{ template: number; key: string; key2: string }>;
}

export interface PlannedClass {
  name: string;
  doc: string;
  methods: PlannedFunction[];
}

export interface PlannedFile {
  path: string;
  kind: FileKind;
  domain: string;
  sub: string;
  nouns: [string, string];
  doc: string;
  functions: PlannedFunction[];
  classes: PlannedClass[];
  /** The file's own error class (defined in it); some functions raise a builtin instead. */
  errorClass?: string;
  /** Top-level functions of earlier files this one imports (and calls). */
  imports: Array<{ path: string; symbol: string }>;
  /** The module a test or a documentation page is about. */
  subject?: string;
  revision: number;
  /** Content of files that are not generated from a plan (README, CI workflow, skipped files). */
  fixed?: string;
}

export interface CallSite {
  /** The called symbol and the file defining it. */
  symbol: string;
  target: string;
  /** The calling file, function and line (1-based). */
  caller: string;
  callerFunction: string;
  line: number;
  code: string;
}

export interface RenderedFile {
  text: string;
  /** `name` or `Class.name` → 1-based line of the statement raising its message. */
  raiseLines: Map<string, number>;
  calls: CallSite[];
}

const PYTHON_BUILTIN_ERRORS = ['ValueError', 'KeyError', 'RuntimeError', 'LookupError'];
const TS_BUILTIN_ERRORS = ['Error', 'RangeError', 'TypeError'];
const STATEMENT_TEMPLATES = 8;

export function qualifiedName(fn: PlannedFunction): string {
  return fn.owner ? `${fn.owner}.${fn.name}` : fn.name;
}

export function allFunctions(file: PlannedFile): PlannedFunction[] {
  return [...file.functions, ...file.classes.flatMap((c) => c.methods)];
}

/** Python module name of a path (`server/billing/models/invoice_ledger.py` → `server.billing.models.invoice_ledger`). */
export function pythonModule(filePath: string): string {
  return filePath.replace(/\/__init__\.py$/, '').replace(/\.py$/, '').replace(/\//g, '.');
}

/** Plans the functions and classes of a code file of roughly `targetLines` lines. */
export function planCode(file: PlannedFile, rng: Random, usedMessages: Set<string>, targetLines: number): void {
  file.errorClass = `${pascal(file.nouns)}Error`;
  const names = new Set<string>();
  let lines = 10;
  const planned: PlannedFunction[] = [];
  while (lines < targetLines || planned.length === 0) {
    const fn = planFunction(file, rng, usedMessages, names);
    planned.push(fn);
    lines += 10 + fn.statements.length * 2.4;
  }
  // About half the files hold a class: the last few functions become its methods.
  const methodCount = planned.length >= 3 && rng.chance(0.5) ? rng.int(2, Math.min(6, planned.length - 1)) : 0;
  file.functions = planned.slice(0, planned.length - methodCount);
  if (methodCount > 0) {
    const className = pascal([file.nouns[0], rng.pick(['manager', 'service', 'client', 'store', 'builder', 'registry'])]);
    const methods = planned.slice(planned.length - methodCount).map((fn) => ({ ...fn, owner: className }));
    file.classes = [{ name: className, doc: `Keeps ${file.nouns[0]} state for one ${file.nouns[1]} and ${methods[0].verb.ing} it on demand.`, methods }];
  }
}

function planFunction(file: PlannedFile, rng: Random, usedMessages: Set<string>, names: Set<string>): PlannedFunction {
  const python = file.kind === 'python';
  let verb = rng.pick(VERBS);
  let noun = rng.chance(0.5) ? file.nouns[rng.int(0, 1)] : rng.pick(NOUNS);
  let name = '';
  for (let attempt = 0; attempt < 20; attempt += 1) {
    name = python ? snake([verb.base, noun]) : camel([verb.base, noun]);
    if (!names.has(name)) break;
    verb = rng.pick(VERBS);
    noun = rng.pick(NOUNS);
  }
  if (names.has(name)) name = python ? `${name}_${names.size}` : `${name}${names.size}`;
  names.add(name);
  let noun2 = rng.pick(NOUNS);
  if (noun2 === noun) noun2 = NOUNS[(NOUNS.indexOf(noun2 as (typeof NOUNS)[number]) + 1) % NOUNS.length];
  const adjective = rng.pick(ADJECTIVES);
  const clause = rng.pick(CLAUSES);
  const message = distinctiveMessage(rng, usedMessages, verb, noun, noun2);
  const builtin = rng.chance(0.45);
  const errorClass = builtin ? rng.pick(python ? PYTHON_BUILTIN_ERRORS : TS_BUILTIN_ERRORS) : file.errorClass!;
  const statementCount = rng.int(2, 9);
  const statements = Array.from({ length: statementCount }, () => ({
    template: rng.int(0, STATEMENT_TEMPLATES - 1),
    key: rng.pick(KEYS),
    key2: rng.pick(KEYS),
  }));
  const params: [string, string] = python ? [noun, `${noun2}_items`] : [camel([noun]), `${camel([noun2])}Items`];
  return {
    name,
    verb,
    noun,
    noun2,
    adjective,
    clause,
    doc: `${capitalize(verb.base)} the ${noun} of ${withArticle(noun2)}, ${clause}.`,
    message,
    errorClass,
    params,
    statements,
  };
}

function distinctiveMessage(rng: Random, used: Set<string>, verb: Verb, noun: string, noun2: string): string {
  for (let attempt = 0; ; attempt += 1) {
    const adjective = rng.pick(ADJECTIVES);
    const rare = rng.pick(RARE_WORDS);
    const templates = [
      `cannot ${verb.base} ${adjective} ${noun} without ${withArticle(rare)} ${noun2}`,
      `${noun} ${rare} mismatch while ${verb.ing} ${adjective} ${noun2}`,
      `refusing to ${verb.base} ${noun}: the ${rare} of ${noun2} is ${adjective}`,
      `${adjective} ${noun} exceeds the ${rare} limit for ${noun2}`,
      `unknown ${rare} for ${noun} while ${verb.ing} ${noun2}`,
    ];
    let message = rng.pick(templates);
    if (attempt > 10) message = `${message} (${rng.pick(RARE_WORDS)} ${attempt})`;
    if (!used.has(message)) {
      used.add(message);
      return message;
    }
  }
}

class Lines {
  readonly lines: string[] = [];

  push(...lines: string[]): number {
    const first = this.lines.length + 1;
    this.lines.push(...lines);
    return first;
  }

  get next(): number {
    return this.lines.length + 1;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function constantName(file: PlannedFile): string {
  return `MAX_${file.nouns[0].toUpperCase()}_RETRIES`;
}

/** Which function calls each import: spread round-robin over the file's functions. */
function callsByFunction(file: PlannedFile): Map<string, Array<{ path: string; symbol: string }>> {
  const functions = allFunctions(file);
  const map = new Map<string, Array<{ path: string; symbol: string }>>();
  file.imports.forEach((imported, i) => {
    const fn = qualifiedName(functions[i % functions.length]);
    map.set(fn, [...(map.get(fn) ?? []), imported]);
  });
  return map;
}

export function renderFile(file: PlannedFile, files: ReadonlyMap<string, PlannedFile>): RenderedFile {
  const empty = (text: string): RenderedFile => ({ text, raiseLines: new Map(), calls: [] });
  switch (file.kind) {
    case 'fixed':
      return empty(file.fixed ?? '');
    case 'python':
      return renderPython(file);
    case 'typescript':
      return renderTypeScript(file);
    case 'python-init':
      return empty(`"""${capitalize(file.domain)} ${file.sub}: ${file.doc}"""\n`);
    case 'python-test':
      return empty(renderPythonTest(file, files.get(file.subject!)!));
    case 'typescript-test':
      return empty(renderTypeScriptTest(file, files.get(file.subject!)!));
    case 'markdown':
      return empty(renderMarkdown(file, files.get(file.subject!)!));
    case 'yaml':
      return empty(renderYaml(file));
  }
}

// --- Python -----------------------------------------------------------------------------------

function pythonStatement(fn: PlannedFunction, file: PlannedFile, s: PlannedFunction['statements'][number]): string[] {
  const [a, b] = fn.params;
  switch (s.template) {
    case 0:
      return [`total += len(${b} or [])`];
    case 1:
      return [`if total > ${constantName(file)}:`, `    total = ${constantName(file)}`];
    case 2:
      return [`for entry in ${b} or []:`, `    if getattr(entry, "${s.key}", None) is None:`, '        continue', '    items.append(entry)'];
    case 3:
      return [`logger.debug("${fn.verb.ing} ${fn.noun} %s by ${s.key}", ${a})`];
    case 4:
      return [`items = sorted(items, key=lambda entry: getattr(entry, "${s.key}", 0))`];
    case 5:
      return [`${s.key}_map = {"${s.key}": ${a}, "${s.key2}": total}`, `total += len(${s.key}_map)`];
    case 6:
      return ['if strict and not items:', `    logger.warning("no ${fn.noun} entries to ${fn.verb.base} for %s", ${a})`];
    default:
      return ['try:', `    total += int(getattr(${a}, "${s.key}", 0))`, 'except (TypeError, ValueError):', '    total = 0'];
  }
}

function renderPython(file: PlannedFile): RenderedFile {
  const out = new Lines();
  const raiseLines = new Map<string, number>();
  const calls: CallSite[] = [];
  out.push(`"""${file.doc}"""`, 'from __future__ import annotations', '', 'import logging');
  const byModule = new Map<string, string[]>();
  for (const imported of file.imports) byModule.set(imported.path, [...(byModule.get(imported.path) ?? []), imported.symbol]);
  if (byModule.size > 0) out.push('');
  for (const [modulePath, symbols] of [...byModule].sort(([x], [y]) => x.localeCompare(y))) {
    out.push(`from ${pythonModule(modulePath)} import ${symbols.join(', ')}`);
  }
  out.push('', 'logger = logging.getLogger(__name__)', '', `${constantName(file)} = ${3 + file.revision}`);
  if (allFunctions(file).some((fn) => fn.errorClass === file.errorClass)) {
    out.push('', '', `class ${file.errorClass}(Exception):`, `    """Raised when ${withArticle(file.nouns[0])} or its ${file.nouns[1]} cannot be processed."""`);
  }
  const callMap = callsByFunction(file);
  const renderFunction = (fn: PlannedFunction, indent: string) => {
    const [a, b] = fn.params;
    const self = fn.owner ? 'self, ' : '';
    // PEP 8: two blank lines before a top-level function, one between methods.
    out.push(...(fn.owner ? [''] : ['', '']), `${indent}def ${fn.name}(${self}${a}, ${b}=None, *, strict=False):`);
    out.push(`${indent}    """${fn.doc}"""`, `${indent}    if ${a} is None:`);
    raiseLines.set(qualifiedName(fn), out.push(`${indent}        raise ${fn.errorClass}("${fn.message}")`));
    out.push(`${indent}    total = 0`, `${indent}    items = []`);
    for (const statement of fn.statements) out.push(...pythonStatement(fn, file, statement).map((line) => `${indent}    ${line}`));
    for (const imported of callMap.get(qualifiedName(fn)) ?? []) {
      const code = `${imported.symbol}_result = ${imported.symbol}(${a})`;
      const line = out.push(`${indent}    ${code}`, `${indent}    total += len(${imported.symbol}_result or {})`);
      calls.push({ symbol: imported.symbol, target: imported.path, caller: file.path, callerFunction: fn.name, line, code });
    }
    out.push(`${indent}    return {"${fn.noun}": ${a}, "total": total, "items": items}`);
  };
  for (const fn of file.functions) renderFunction(fn, '');
  for (const cls of file.classes) {
    out.push('', '', `class ${cls.name}:`, `    """${cls.doc}"""`, '', '    def __init__(self, limit=None):', `        self.limit = limit or ${constantName(file)}`);
    for (const method of cls.methods) renderFunction(method, '    ');
  }
  return { text: out.text(), raiseLines, calls };
}

function renderPythonTest(file: PlannedFile, subject: PlannedFile): string {
  const out = new Lines();
  const tested = subject.functions.slice(0, 8);
  out.push(`"""Tests for ${pythonModule(subject.path)}."""`, 'import pytest', '');
  if (tested.length > 0) out.push(`from ${pythonModule(subject.path)} import ${tested.map((fn) => fn.name).join(', ')}`);
  for (const fn of tested) {
    out.push('', '', `def test_${fn.name}_rejects_missing_${fn.noun}():`, `    with pytest.raises(Exception, match="${fn.message}"):`, `        ${fn.name}(None)`);
    out.push('', '', `def test_${fn.name}_counts_${fn.noun2}_items():`, `    result = ${fn.name}({"amount": ${file.revision + 1}}, [])`, '    assert result["total"] >= 0');
  }
  return out.text();
}

// --- TypeScript -------------------------------------------------------------------------------

function tsStatement(fn: PlannedFunction, file: PlannedFile, s: PlannedFunction['statements'][number], index: number): string[] {
  const [a, b] = fn.params;
  const key = camel([s.key]);
  switch (s.template) {
    case 0:
      return [`total += (${b} ?? []).length;`];
    case 1:
      return [`if (total > ${constantName(file)}) {`, `  total = ${constantName(file)};`, '}'];
    case 2:
      return [`for (const entry of ${b} ?? []) {`, '  if (entry == null) continue;', '  items.push(entry);', '}'];
    case 3:
      return [`console.debug(\`${fn.verb.ing} ${fn.noun} \${String(${a})} by ${s.key}\`);`];
    case 4:
      return ['items.sort((x, y) => String(x).localeCompare(String(y)));'];
    case 5:
      return [`const ${key}Map${index} = { ${key}: ${a}, ${camel([s.key2])}: total };`, `total += Object.keys(${key}Map${index}).length;`];
    case 6:
      return ['if (options.strict && items.length === 0) {', `  console.warn('no ${fn.noun} entries to ${fn.verb.base}');`, '}'];
    default:
      return ['try {', `  total += Number(${a}.${key} ?? 0);`, '} catch {', '  total = 0;', '}'];
  }
}

function importPath(from: string, to: string): string {
  const relative = path.posix.relative(path.posix.dirname(from), to).replace(/\.ts$/, '');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

function renderTypeScript(file: PlannedFile): RenderedFile {
  const out = new Lines();
  const raiseLines = new Map<string, number>();
  const calls: CallSite[] = [];
  out.push('/**', ` * ${file.doc}`, ' */');
  const byModule = new Map<string, string[]>();
  for (const imported of file.imports) byModule.set(imported.path, [...(byModule.get(imported.path) ?? []), imported.symbol]);
  for (const [modulePath, symbols] of [...byModule].sort(([x], [y]) => x.localeCompare(y))) {
    out.push(`import { ${symbols.join(', ')} } from '${importPath(file.path, modulePath)}';`);
  }
  out.push('', `export const ${constantName(file)} = ${3 + file.revision};`);
  if (allFunctions(file).some((fn) => fn.errorClass === file.errorClass)) {
    out.push('', `export class ${file.errorClass} extends Error {`, '  constructor(message: string) {', '    super(message);', `    this.name = '${file.errorClass}';`, '  }', '}');
  }
  const callMap = callsByFunction(file);
  const renderFunction = (fn: PlannedFunction, indent: string) => {
    const [a, b] = fn.params;
    const head = fn.owner ? `${fn.name}(` : `export function ${fn.name}(`;
    out.push('', `${indent}/** ${fn.doc} */`);
    out.push(`${indent}${head}${a}: Record<string, number> | undefined, ${b}: unknown[] = [], options: { strict?: boolean } = {}): { total: number; items: unknown[] } {`);
    out.push(`${indent}  if (${a} === undefined) {`);
    raiseLines.set(qualifiedName(fn), out.push(`${indent}    throw new ${fn.errorClass}('${fn.message}');`));
    out.push(`${indent}  }`, `${indent}  let total = 0;`, `${indent}  const items: unknown[] = [];`);
    fn.statements.forEach((statement, i) => out.push(...tsStatement(fn, file, statement, i).map((line) => `${indent}  ${line}`)));
    for (const imported of callMap.get(qualifiedName(fn)) ?? []) {
      const code = `const ${imported.symbol}Result = ${imported.symbol}(${a});`;
      const line = out.push(`${indent}  ${code}`, `${indent}  total += Object.keys(${imported.symbol}Result).length;`);
      calls.push({ symbol: imported.symbol, target: imported.path, caller: file.path, callerFunction: qualifiedName(fn), line, code });
    }
    out.push(`${indent}  return { total, items };`, `${indent}}`);
  };
  for (const fn of file.functions) renderFunction(fn, '');
  for (const cls of file.classes) {
    out.push('', `/** ${cls.doc} */`, `export class ${cls.name} {`, `  constructor(private readonly limit = ${constantName(file)}) {}`);
    for (const method of cls.methods) renderFunction(method, '  ');
    out.push('}');
  }
  return { text: out.text(), raiseLines, calls };
}

function renderTypeScriptTest(file: PlannedFile, subject: PlannedFile): string {
  const out = new Lines();
  const tested = subject.functions.slice(0, 8);
  out.push("import { describe, expect, it } from 'vitest';");
  if (tested.length > 0) out.push(`import { ${tested.map((fn) => fn.name).join(', ')} } from '${importPath(file.path, subject.path)}';`);
  out.push('', `describe('${path.posix.basename(subject.path, '.ts')}', () => {`);
  for (const fn of tested) {
    out.push(`  it('${fn.name} rejects a missing ${fn.noun}', () => {`, `    expect(() => ${fn.name}(undefined)).toThrow('${fn.message}');`, '  });', '');
    out.push(`  it('${fn.name} counts ${fn.noun2} entries', () => {`, `    expect(${fn.name}({ amount: ${file.revision + 1} }, []).total).toBeGreaterThanOrEqual(0);`, '  });', '');
  }
  out.push('});');
  return out.text();
}

// --- Documentation and configuration ----------------------------------------------------------

function renderMarkdown(file: PlannedFile, subject: PlannedFile): string {
  const out = new Lines();
  out.push(`# ${capitalize(file.domain)} ${file.sub}: ${plural(file.nouns[0])} and ${plural(file.nouns[1])}`, '', file.doc, '', `The code lives in \`${subject.path}\`.`, '');
  out.push('## How it works', '');
  for (const fn of allFunctions(subject).slice(0, 6)) {
    out.push(`### \`${qualifiedName(fn)}\``, '', fn.doc, `It is used whenever ${withArticle(fn.noun)} is ${fn.verb.past} for ${withArticle(fn.noun2)}.`, '');
  }
  out.push('## Configuration', '', '| setting | default | meaning |', '| --- | --- | --- |');
  out.push(`| \`${constantName(subject).toLowerCase()}\` | ${3 + file.revision} | how often a failed ${file.nouns[0]} is retried |`);
  out.push(`| \`${file.nouns[1]}_window\` | 30s | how long ${plural(file.nouns[1])} are kept |`, '');
  const first = allFunctions(subject)[0];
  if (first) out.push('## Troubleshooting', '', `If the ${first.noun} is not ${first.verb.past}, check that its ${first.noun2} exists and is not ${first.adjective}.`, '');
  out.push(`_Last reviewed at revision ${file.revision + 1}._`);
  return out.text();
}

function renderYaml(file: PlannedFile): string {
  const rng = new Random(file.path.length * 7919 + file.nouns[0].length);
  const out = new Lines();
  out.push(`# ${capitalize(file.domain)} ${file.sub} settings: ${plural(file.nouns[0])} and ${plural(file.nouns[1])}`, `${file.domain}:`, `  ${file.sub}:`, '    enabled: true');
  out.push(`    max_${file.nouns[0]}_retries: ${3 + file.revision}`, `    ${rng.pick(RARE_WORDS)}_threshold: 0.${rng.int(10, 95)}`, `    ${plural(file.nouns[1])}:`);
  const entries = rng.int(6, 20);
  for (let i = 0; i < entries; i += 1) {
    out.push(`      - name: ${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}-${i}`, `        limit: ${rng.int(1, 500)}`, `        region: ${rng.pick(['eu-west-1', 'us-east-1', 'ap-south-1'])}`, `        ${rng.pick(KEYS)}: ${rng.int(0, 9)}`);
  }
  return out.text();
}
