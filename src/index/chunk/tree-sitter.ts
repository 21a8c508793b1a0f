/**
 * Chunking for Python, Go, Java, Rust, Ruby, PHP, C, C++, C#, Kotlin and Swift with
 * web-tree-sitter and the prebuilt grammars of `tree-sitter-wasms`.
 *
 * One parser is shared and each grammar is loaded once, on first use. Only declaration
 * containers are walked in JS (file, class/impl/module bodies, wrappers such as decorators and
 * `#ifdef`), never function bodies, because every node access crosses into wasm; imports are
 * found with `descendantsOfType`/queries, which run inside wasm.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { Language as Grammar, type Node, Parser, Query } from 'web-tree-sitter';

import { log } from '../../log.ts';
import type { ChunkedFile, ChunkKind, Language, WalkedFile } from '../types.ts';
import { assembleUnits, shiftUnitResult, type UnitResult, type UnitSymbol } from './units.ts';
import { capDoc, collapseSignature, type CommentStyle, commentStyleOf, leadingComment, type MemberSpan, splitLines } from './windows.ts';

export type TreeSitterLanguage = 'python' | 'go' | 'java' | 'rust' | 'ruby' | 'php' | 'c' | 'cpp' | 'csharp' | 'kotlin' | 'swift';

const GRAMMAR_FILES: Record<TreeSitterLanguage, string> = {
  python: 'python',
  go: 'go',
  java: 'java',
  rust: 'rust',
  ruby: 'ruby',
  php: 'php',
  c: 'c',
  cpp: 'cpp',
  csharp: 'c_sharp',
  kotlin: 'kotlin',
  swift: 'swift',
};

export function isTreeSitterLanguage(language: Language): language is TreeSitterLanguage {
  return Object.hasOwn(GRAMMAR_FILES, language);
}

interface LoadedGrammar {
  grammar: Grammar;
  importQuery?: Query;
}

let parserPromise: Promise<Parser> | undefined;
const grammars = new Map<TreeSitterLanguage, Promise<LoadedGrammar | undefined>>();

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('tree-sitter-wasms/package.json')), 'out');
}

function getParser(): Promise<Parser> {
  parserPromise ??= Parser.init().then(() => new Parser());
  return parserPromise;
}

/** Ruby requires are plain method calls: a query keeps the scan inside wasm. */
const RUBY_IMPORT_QUERY = `((call method: (identifier) @method arguments: (argument_list . (string) @path))
  (#match? @method "^(require|require_relative|load|autoload)$"))`;

export function loadGrammar(language: TreeSitterLanguage): Promise<LoadedGrammar | undefined> {
  let pending = grammars.get(language);
  if (!pending) {
    pending = (async () => {
      try {
        // Grammars can only be instantiated once the runtime is initialised.
        await getParser();
        const bytes = await readFile(path.join(wasmDir(), `tree-sitter-${GRAMMAR_FILES[language]}.wasm`));
        const grammar = await Grammar.load(new Uint8Array(bytes));
        const importQuery = language === 'ruby' ? new Query(grammar, RUBY_IMPORT_QUERY) : undefined;
        return { grammar, importQuery };
      } catch (error) {
        log.warn({ language, err: error }, 'tree-sitter grammar failed to load; files of this language are indexed as line windows');
        return undefined;
      }
    })();
    grammars.set(language, pending);
  }
  return pending;
}

/** What a node means for chunking. */
type Role =
  | {
      role: 'symbol';
      /** `callable` becomes `method` inside a type and `function` elsewhere. */
      kind: ChunkKind | 'callable';
      name: string;
      /** The node whose range is the chunk's (a Go `type` declaration around its single spec). */
      range?: Node;
      /** Walk the body for members (classes, traits, modules). */
      container?: boolean;
      /** Qualifies the name (a Go method's receiver type). */
      owner?: string;
    }
  /** No chunk, but members are qualified with `name` (Rust `impl Foo`, Ruby `class << self`). */
  | { role: 'qualifier'; name: string | undefined }
  /** No chunk; children are walked as if they were in the parent (namespaces, `#ifdef`, `if` at top level). */
  | { role: 'transparent' }
  /** A decorator/template wrapper: its definition child's chunk starts at the wrapper. */
  | { role: 'wrapper' }
  /** Rust `#[attr]` sibling: the next item's chunk starts here. */
  | { role: 'attribute' };

interface Ctx {
  language: TreeSitterLanguage;
  lines: string[];
  text: string;
  style: CommentStyle;
  symbols: UnitSymbol[];
  topSymbols: string[];
  covered: Array<[number, number]>;
  /** Set for a class header unit: the file-level class is left open for its member units. */
  classHeader: boolean;
  openClass?: number;
}

function field(node: Node, name: string): Node | null {
  return node.childForFieldName(name);
}

function firstNamedOfType(node: Node, types: ReadonlySet<string> | string): Node | undefined {
  for (let i = 0; i < node.namedChildCount; i++) {
    const child = node.namedChild(i);
    if (child && (typeof types === 'string' ? child.type === types : types.has(child.type))) return child;
  }
  return undefined;
}

function hasChildOfType(node: Node, type: string): boolean {
  for (let i = 0; i < node.childCount; i++) if (node.child(i)?.type === type) return true;
  return false;
}

function nameText(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const text = node.text.replace(/::/g, '.').replace(/\s+/g, '');
  return text || undefined;
}

/** Strips generics and paths from a type (`Bar<T>` → `Bar`, `fmt::Display` → `Display`, `*Server` → `Server`). */
function bareTypeName(node: Node | null): string | undefined {
  if (!node) return undefined;
  const text = node.text.replace(/<[^]*$/, '').replace(/\[[^]*$/, '').replace(/^[*&\s]+|mut\s+/g, '');
  const parts = text.split(/::|\./);
  return parts[parts.length - 1]?.trim() || undefined;
}

/** The identifier inside a C/C++ declarator chain (`*name(...)`, `Widget::count(...)`, `~Widget()`). */
function cDeclaratorName(declarator: Node | null): string | undefined {
  let current = declarator;
  for (let i = 0; current && i < 8; i++) {
    switch (current.type) {
      case 'identifier':
      case 'field_identifier':
      case 'destructor_name':
      case 'operator_name':
      case 'type_identifier':
        return current.text;
      case 'qualified_identifier':
      case 'scoped_identifier':
        return current.text.replace(/<[^>]*>/g, '').replace(/::/g, '.');
      default: {
        const inner = field(current, 'declarator');
        if (!inner) return undefined;
        current = inner;
      }
    }
  }
  return undefined;
}

const KOTLIN_NAME = new Set(['type_identifier', 'simple_identifier']);

function keywordKind(node: Node): ChunkKind {
  if (hasChildOfType(node, 'interface') || hasChildOfType(node, 'protocol')) return 'interface';
  if (hasChildOfType(node, 'enum') || firstNamedOfType(node, 'enum_class_body')) return 'enum';
  return 'class';
}

/** C/C++ `struct`/`class`/`enum`/`union` with a body, possibly inside a typedef or declaration. */
function cTypeRole(specifier: Node, range: Node, typedefName?: string): Role | undefined {
  if (!field(specifier, 'body')) return undefined;
  const name = nameText(field(specifier, 'name')) ?? typedefName;
  if (!name) return undefined;
  const kind: ChunkKind = specifier.type === 'enum_specifier' ? 'enum' : 'class';
  return { role: 'symbol', kind, name, range, container: specifier.type !== 'enum_specifier' };
}

const C_TYPE_SPECIFIERS = new Set(['struct_specifier', 'class_specifier', 'union_specifier', 'enum_specifier']);

function classify(node: Node, language: TreeSitterLanguage): Role | undefined {
  const type = node.type;
  // Declarations swallowed by a syntax error are still worth finding.
  if (type === 'ERROR') return { role: 'transparent' };
  switch (language) {
    case 'python':
      switch (type) {
        case 'function_definition':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'class_definition':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'decorated_definition':
          return { role: 'wrapper' };
        case 'if_statement':
        case 'else_clause':
        case 'elif_clause':
        case 'try_statement':
        case 'except_clause':
        case 'finally_clause':
        case 'with_statement':
        case 'block':
          return { role: 'transparent' };
      }
      return undefined;
    case 'go':
      switch (type) {
        case 'function_declaration':
          return { role: 'symbol', kind: 'function', name: nameText(field(node, 'name')) ?? '' };
        case 'method_declaration': {
          const receiver = field(node, 'receiver');
          const param = receiver ? firstNamedOfType(receiver, 'parameter_declaration') : undefined;
          const owner = bareTypeName(param ? field(param, 'type') : null);
          return { role: 'symbol', kind: 'method', name: nameText(field(node, 'name')) ?? '', owner };
        }
        case 'type_declaration':
          return { role: 'transparent' };
        case 'type_spec':
        case 'type_alias': {
          const typeNode = field(node, 'type');
          const kind: ChunkKind =
            type === 'type_alias' ? 'type' : typeNode?.type === 'struct_type' ? 'class' : typeNode?.type === 'interface_type' ? 'interface' : 'type';
          // A lone spec (`type Server struct {…}`) takes its declaration's range, `type` keyword included.
          const parent = node.parent;
          const range = parent && parent.type === 'type_declaration' && parent.namedChildCount === 1 ? parent : undefined;
          return { role: 'symbol', kind, name: nameText(field(node, 'name')) ?? '', range };
        }
      }
      return undefined;
    case 'java':
      switch (type) {
        case 'method_declaration':
        case 'constructor_declaration':
        case 'compact_constructor_declaration':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'class_declaration':
        case 'record_declaration':
        case 'annotation_type_declaration':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'interface_declaration':
          return { role: 'symbol', kind: 'interface', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'enum_declaration':
          return { role: 'symbol', kind: 'enum', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'enum_body_declarations':
          return { role: 'transparent' };
      }
      return undefined;
    case 'rust':
      switch (type) {
        case 'function_item':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'struct_item':
        case 'union_item':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '' };
        case 'enum_item':
          return { role: 'symbol', kind: 'enum', name: nameText(field(node, 'name')) ?? '' };
        case 'trait_item':
          return { role: 'symbol', kind: 'interface', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'type_item':
          return { role: 'symbol', kind: 'type', name: nameText(field(node, 'name')) ?? '' };
        case 'macro_definition':
          return { role: 'symbol', kind: 'function', name: nameText(field(node, 'name')) ?? '' };
        case 'mod_item':
          return field(node, 'body') ? { role: 'symbol', kind: 'module', name: nameText(field(node, 'name')) ?? '', container: true } : undefined;
        case 'impl_item':
          return { role: 'qualifier', name: bareTypeName(field(node, 'type')) };
        case 'attribute_item':
          return { role: 'attribute' };
        case 'foreign_mod_item':
          return { role: 'transparent' };
      }
      return undefined;
    case 'ruby':
      switch (type) {
        case 'method':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'singleton_method':
          return { role: 'symbol', kind: 'method', name: nameText(field(node, 'name')) ?? '' };
        case 'class':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'module':
          return { role: 'symbol', kind: 'module', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'singleton_class':
          return { role: 'qualifier', name: undefined };
        case 'body_statement':
          return { role: 'transparent' };
      }
      return undefined;
    case 'php':
      switch (type) {
        case 'function_definition':
        case 'method_declaration':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'class_declaration':
        case 'trait_declaration':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'interface_declaration':
          return { role: 'symbol', kind: 'interface', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'enum_declaration':
          return { role: 'symbol', kind: 'enum', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'namespace_definition':
        case 'compound_statement':
        case 'declaration_list':
          return { role: 'transparent' };
      }
      return undefined;
    case 'c':
    case 'cpp':
      switch (type) {
        case 'function_definition': {
          const name = cDeclaratorName(field(node, 'declarator'));
          if (!name) return undefined;
          return { role: 'symbol', kind: name.includes('.') ? 'method' : 'callable', name };
        }
        case 'struct_specifier':
        case 'class_specifier':
        case 'union_specifier':
        case 'enum_specifier':
          return cTypeRole(node, node);
        case 'type_definition':
        case 'declaration':
        case 'field_declaration': {
          const spec = field(node, 'type');
          if (!spec || !C_TYPE_SPECIFIERS.has(spec.type)) return undefined;
          const declarator = field(node, 'declarator');
          return cTypeRole(spec, node, type === 'type_definition' ? (declarator?.text ?? undefined) : undefined);
        }
        case 'template_declaration':
          return { role: 'wrapper' };
        case 'namespace_definition':
        case 'linkage_specification':
        case 'declaration_list':
        case 'preproc_if':
        case 'preproc_ifdef':
        case 'preproc_else':
        case 'preproc_elif':
          return { role: 'transparent' };
      }
      return undefined;
    case 'csharp':
      switch (type) {
        case 'method_declaration':
        case 'constructor_declaration':
        case 'destructor_declaration':
        case 'operator_declaration':
        case 'local_function_statement':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? (type === 'operator_declaration' ? 'operator' : '') };
        case 'class_declaration':
        case 'struct_declaration':
        case 'record_declaration':
        case 'record_struct_declaration':
          return { role: 'symbol', kind: 'class', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'interface_declaration':
          return { role: 'symbol', kind: 'interface', name: nameText(field(node, 'name')) ?? '', container: true };
        case 'enum_declaration':
          return { role: 'symbol', kind: 'enum', name: nameText(field(node, 'name')) ?? '' };
        case 'namespace_declaration':
        case 'file_scoped_namespace_declaration':
        case 'declaration_list':
          return { role: 'transparent' };
      }
      return undefined;
    case 'kotlin':
      switch (type) {
        case 'function_declaration':
          return { role: 'symbol', kind: 'callable', name: nameText(firstNamedOfType(node, 'simple_identifier')) ?? '' };
        case 'class_declaration':
          return { role: 'symbol', kind: keywordKind(node), name: nameText(firstNamedOfType(node, KOTLIN_NAME)) ?? '', container: true };
        case 'object_declaration':
          return { role: 'symbol', kind: 'class', name: nameText(firstNamedOfType(node, KOTLIN_NAME)) ?? '', container: true };
        case 'companion_object':
          return { role: 'qualifier', name: undefined };
        case 'secondary_constructor':
          return { role: 'symbol', kind: 'method', name: 'constructor' };
      }
      return undefined;
    case 'swift':
      switch (type) {
        case 'function_declaration':
          return { role: 'symbol', kind: 'callable', name: nameText(field(node, 'name')) ?? '' };
        case 'init_declaration':
          return { role: 'symbol', kind: 'callable', name: 'init' };
        case 'deinit_declaration':
          return { role: 'symbol', kind: 'callable', name: 'deinit' };
        case 'class_declaration':
          return { role: 'symbol', kind: keywordKind(node), name: bareTypeName(field(node, 'name')) ?? '', container: true };
        case 'protocol_declaration':
          return { role: 'symbol', kind: 'interface', name: nameText(field(node, 'name')) ?? '', container: true };
      }
      return undefined;
  }
}

const BODY_TYPES = new Set([
  'block',
  'class_body',
  'enum_class_body',
  'interface_body',
  'enum_body',
  'protocol_body',
  'declaration_list',
  'field_declaration_list',
  'body_statement',
  'compound_statement',
  'function_body',
  'constructor_body',
]);

function bodyOf(node: Node): Node | undefined {
  const body = field(node, 'body');
  if (body) return body;
  for (let i = node.namedChildCount - 1; i >= 0; i--) {
    const child = node.namedChild(i);
    if (child && BODY_TYPES.has(child.type)) return child;
  }
  return undefined;
}

/** 1-based last line; a node ending at column 0 ends on the previous line. */
function endLineOf(node: Node): number {
  const end = node.endPosition;
  const start = node.startPosition;
  return end.column === 0 && end.row > start.row ? end.row : end.row + 1;
}

const ANNOTATION_LINE = /^\s*(@|#\[|\[)/;

function signatureOf(node: Node, body: Node | undefined, text: string): string {
  let raw = body && body.startIndex > node.startIndex ? text.slice(node.startIndex, body.startIndex) : (node.text.split('\n')[0] ?? '');
  const lines = raw.split('\n');
  // Annotations/attributes on their own lines are not part of what a reader calls the signature,
  // nor are comments between the header and the body (Ruby keeps them inside the class node).
  while (lines.length > 1 && ANNOTATION_LINE.test(lines[0])) lines.shift();
  while (lines.length > 1 && (!lines[lines.length - 1].trim() || /^\s*(#|\/\/|\/\*|\*)/.test(lines[lines.length - 1]))) lines.pop();
  raw = lines.slice(0, 8).join(' ');
  return collapseSignature(raw.replace(/\s*[{:;=]?\s*$/, '').replace(/\s*(where\s*)?$/, ''));
}

/** `inspect.cleandoc` for a Python string literal: prefixes and quotes off, indentation removed. */
function cleanDocstring(literal: string): string {
  const match = /^[rRuUbBfF]{0,2}("""|'''|"|')([^]*?)\1$/.exec(literal.trim());
  const body = match ? match[2] : literal;
  const lines = body.replace(/\r/g, '').split('\n');
  let indent = Infinity;
  for (const line of lines.slice(1)) {
    if (line.trim()) indent = Math.min(indent, line.length - line.trimStart().length);
  }
  const out = [lines[0].trim(), ...lines.slice(1).map((line) => (indent === Infinity ? line : line.slice(indent)).trimEnd())];
  while (out.length && !out[0]) out.shift();
  while (out.length && !out[out.length - 1]) out.pop();
  return capDoc(out.join('\n'));
}

function pythonDocstring(block: Node | undefined | null): { text: string; node: Node } | undefined {
  if (!block) return undefined;
  for (let i = 0; i < block.namedChildCount; i++) {
    const statement = block.namedChild(i);
    if (!statement || statement.type === 'comment') continue;
    if (statement.type !== 'expression_statement') return undefined;
    const value = statement.namedChild(0);
    if (value && (value.type === 'string' || value.type === 'concatenated_string')) {
      const literal = value.type === 'string' ? value.text : (value.namedChild(0)?.text ?? '');
      return { text: cleanDocstring(literal), node: statement };
    }
    return undefined;
  }
  return undefined;
}

function emitSymbol(
  ctx: Ctx,
  node: Node,
  role: Extract<Role, { role: 'symbol' }>,
  scope: string[],
  inType: boolean,
  topLevel: boolean,
  startRow: number | undefined,
): MemberSpan | undefined {
  if (!role.name) return undefined;
  const range = role.range ?? node;
  const startLine = (startRow ?? range.startPosition.row) + 1;
  const endLine = Math.max(startLine, endLineOf(range));
  const kind: ChunkKind = role.kind === 'callable' ? (inType ? 'method' : 'function') : role.kind;
  const ownerScope = role.owner ? [role.owner] : scope;
  const name = [...ownerScope, role.name].join('.');
  const body = bodyOf(node);
  let members: MemberSpan[] = [];
  if (role.container && body) {
    const memberInType = kind === 'class' || kind === 'interface' || kind === 'enum';
    members = visitChildren(ctx, body, [...ownerScope, role.name], memberInType, false);
  }
  let doc = '';
  const comment = leadingComment(ctx.lines, startLine, ctx.style);
  if (ctx.language === 'python') doc = pythonDocstring(body)?.text ?? '';
  if (!doc && comment) doc = comment.text;
  if (comment) ctx.covered.push([comment.startLine, comment.endLine]);
  ctx.covered.push([startLine, endLine]);
  if (topLevel && ctx.classHeader && kind === 'class') ctx.openClass = ctx.symbols.length;
  ctx.symbols.push({ name, kind, startLine, endLine, doc, signature: signatureOf(role.range ?? node, role.range ? undefined : body, ctx.text), members });
  if (topLevel) ctx.topSymbols.push(name);
  const bodyStartLine = body ? body.startPosition.row + 1 : startLine;
  return { startLine, endLine, bodyStartLine };
}

function visitNode(ctx: Ctx, node: Node, scope: string[], inType: boolean, topLevel: boolean, startRow: number | undefined): MemberSpan[] {
  const role = classify(node, ctx.language);
  if (!role) return [];
  switch (role.role) {
    case 'symbol': {
      const span = emitSymbol(ctx, node, role, scope, inType, topLevel, startRow);
      return span ? [span] : [];
    }
    case 'qualifier': {
      const body = bodyOf(node) ?? node;
      return visitChildren(ctx, body, role.name ? [...scope, role.name] : scope, true, false);
    }
    case 'transparent':
      return visitChildren(ctx, node, scope, inType, topLevel);
    case 'wrapper':
      return visitChildren(ctx, node, scope, inType, topLevel, startRow ?? node.startPosition.row);
    case 'attribute':
      return [];
  }
}

function visitChildren(
  ctx: Ctx,
  container: Node,
  scope: string[],
  inType: boolean,
  topLevel: boolean,
  wrapperStartRow?: number,
): MemberSpan[] {
  const spans: MemberSpan[] = [];
  let attributeRow: number | undefined;
  let pendingWrapperRow = wrapperStartRow;
  for (let i = 0; i < container.namedChildCount; i++) {
    const child = container.namedChild(i);
    if (!child) continue;
    const type = child.type;
    if (type === 'attribute_item' && ctx.language === 'rust') {
      attributeRow ??= child.startPosition.row;
      continue;
    }
    if (type === 'comment' || type === 'line_comment' || type === 'block_comment') continue;
    const startRow = pendingWrapperRow ?? attributeRow;
    const found = visitNode(ctx, child, scope, inType, topLevel, startRow);
    if (found.length) pendingWrapperRow = undefined;
    attributeRow = undefined;
    spans.push(...found);
  }
  return spans;
}

// ---------------------------------------------------------------------------------------------
// Imports

function unquote(text: string): string {
  return text.replace(/^[`"'<]|[`"'>]$/g, '');
}

function stringContent(node: Node): string | undefined {
  const strings = node.type === 'string' || node.type === 'encapsed_string' ? [node] : node.descendantsOfType(['string', 'encapsed_string']);
  for (const s of strings) {
    if (!s) continue;
    const value = unquote(s.text.trim());
    if (value && !/[{$]/.test(value)) return value;
  }
  return undefined;
}

function rustUsePaths(node: Node | null, prefix: string, out: string[]): void {
  if (!node) return;
  switch (node.type) {
    case 'use_as_clause':
      rustUsePaths(field(node, 'path'), prefix, out);
      return;
    case 'scoped_use_list': {
      const base = field(node, 'path')?.text.replace(/\s+/g, '');
      const next = base ? `${prefix}${base}::` : prefix;
      rustUsePaths(field(node, 'list'), next, out);
      return;
    }
    case 'use_list':
      for (let i = 0; i < node.namedChildCount; i++) rustUsePaths(node.namedChild(i), prefix, out);
      return;
    case 'use_wildcard': {
      const text = node.text.replace(/\s+/g, '').replace(/::\*$/, '');
      if (text && text !== '*') out.push(prefix + text);
      else if (prefix) out.push(prefix.replace(/::$/, ''));
      return;
    }
    default: {
      const text = (prefix + node.text.replace(/\s+/g, '')).replace(/::self$/, '');
      if (text) out.push(text);
    }
  }
}

const IMPORT_TYPES: Partial<Record<TreeSitterLanguage, string[]>> = {
  python: ['import_statement', 'import_from_statement', 'future_import_statement'],
  go: ['import_spec'],
  java: ['import_declaration'],
  rust: ['use_declaration', 'mod_item'],
  php: ['namespace_use_declaration', 'require_expression', 'require_once_expression', 'include_expression', 'include_once_expression'],
  c: ['preproc_include'],
  cpp: ['preproc_include'],
  csharp: ['using_directive'],
  kotlin: ['import_header'],
  swift: ['import_declaration'],
};

function pythonImport(node: Node, out: string[]): void {
  const names: string[] = [];
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    const target = child.type === 'aliased_import' ? field(child, 'name') : child;
    if (target) names.push(target.text.replace(/\s+/g, ''));
  }
  if (node.type === 'future_import_statement') return;
  if (node.type === 'import_statement') {
    out.push(...names);
    return;
  }
  const module = field(node, 'module_name')?.text.replace(/\s+/g, '');
  if (!module || module === '__future__') return;
  out.push(module);
  // `from a import b`: b may be a submodule (a/b.py) rather than a name defined in a.
  for (const name of names) out.push(module.endsWith('.') ? module + name : `${module}.${name}`);
}

function collectImports(ctx: Ctx, root: Node, loaded: LoadedGrammar, importLines: (node: Node) => void): string[] {
  const out: string[] = [];
  if (ctx.language === 'ruby' && loaded.importQuery) {
    for (const match of loaded.importQuery.matches(root)) {
      const pathNode = match.captures.find((c) => c.name === 'path')?.node;
      const value = pathNode ? stringContent(pathNode) : undefined;
      if (!value) continue;
      const method = match.captures.find((c) => c.name === 'method')?.node.text;
      out.push(method === 'require_relative' && !value.startsWith('.') ? `./${value}` : value);
      const call = pathNode?.parent?.parent;
      if (call) importLines(call);
    }
    return dedupe(out);
  }
  const types = IMPORT_TYPES[ctx.language];
  if (!types) return [];
  for (const node of root.descendantsOfType(types)) {
    if (!node) continue;
    const before = out.length;
    switch (ctx.language) {
      case 'python':
        pythonImport(node, out);
        break;
      case 'go': {
        const spec = field(node, 'path');
        if (spec) out.push(unquote(spec.text));
        break;
      }
      case 'java': {
        const text = node.text.replace(/^import\s+(static\s+)?/, '').replace(/[;\s]/g, '');
        if (text) out.push(text);
        break;
      }
      case 'rust':
        if (node.type === 'mod_item') {
          if (!field(node, 'body')) out.push(`mod ${field(node, 'name')?.text ?? ''}`);
        } else {
          rustUsePaths(field(node, 'argument'), '', out);
        }
        break;
      case 'php':
        if (node.type === 'namespace_use_declaration') {
          const group = firstNamedOfType(node, 'namespace_use_group');
          const prefix = firstNamedOfType(node, 'namespace_name')?.text;
          if (group && prefix) {
            for (let i = 0; i < group.namedChildCount; i++) {
              const clause = group.namedChild(i);
              const name = clause ? firstNamedOfType(clause, new Set(['namespace_name', 'name', 'qualified_name'])) : undefined;
              if (name) out.push(`${prefix}\\${name.text}`);
            }
          } else {
            for (let i = 0; i < node.namedChildCount; i++) {
              const clause = node.namedChild(i);
              if (clause?.type !== 'namespace_use_clause') continue;
              const name = firstNamedOfType(clause, new Set(['qualified_name', 'name', 'namespace_name']));
              if (name) out.push(name.text.replace(/^\\/, ''));
            }
          }
        } else {
          const value = stringContent(node);
          if (value) out.push(value);
        }
        break;
      case 'c':
      case 'cpp': {
        const spec = field(node, 'path');
        // Only quoted includes can be files of this repository; `<…>` are system headers.
        if (spec && spec.type === 'string_literal') out.push(unquote(spec.text));
        break;
      }
      case 'csharp': {
        const text = node.text
          .replace(/^(global\s+)?using\s+(static\s+)?/, '')
          .replace(/^[\w.]+\s*=\s*/, '')
          .replace(/[;\s]/g, '');
        if (text) out.push(text);
        break;
      }
      case 'kotlin':
      case 'swift': {
        const id = firstNamedOfType(node, 'identifier');
        if (id) out.push(id.text.replace(/\s+/g, '') + (firstNamedOfType(node, 'wildcard_import') ? '.*' : ''));
        break;
      }
    }
    // `from __future__ import …` names no file but is still an import line, not leftover code.
    if (out.length > before || node.type === 'future_import_statement') importLines(node);
  }
  return dedupe(out);
}

function dedupe(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

const IMPORT_STATEMENT = /import|use|using|include|require|namespace_use/;

/**
 * Import lines outside any symbol are the file's `imports`, not leftover code for a block.
 * Imports inside a function or class stay part of that chunk.
 */
function markImportLines(ctx: Ctx, node: Node): void {
  let top = node;
  for (let parent = node.parent; parent; parent = parent.parent) {
    if (!parent.parent) break;
    const role = classify(parent, ctx.language);
    if (role?.role === 'symbol') return;
    top = parent;
  }
  ctx.covered.push([node.startPosition.row + 1, endLineOf(node)]);
  if (top !== node && IMPORT_STATEMENT.test(top.type)) ctx.covered.push([top.startPosition.row + 1, endLineOf(top)]);
}

// ---------------------------------------------------------------------------------------------

/** A grammar loaded and set on the shared parser, ready for `parseUnit`. */
export interface UnitParser {
  language: TreeSitterLanguage;
  parser: Parser;
  loaded: LoadedGrammar;
}

/**
 * The parser for a language, or undefined when its grammar is unavailable. Use it synchronously:
 * the parser is shared, and another file's chunking may re-target it at the next `await`.
 */
export async function unitParser(language: TreeSitterLanguage): Promise<UnitParser | undefined> {
  const loaded = await loadGrammar(language);
  const parser = await getParser();
  if (!loaded) return undefined;
  parser.setLanguage(loaded.grammar);
  return { language, parser, loaded };
}

export interface UnitOptions {
  /** The text is a class header (a long class cut at its members): its file-level class stays open. */
  classHeader?: boolean;
  /** The text is members of the class of this (qualified) name, at their own indentation. */
  membersOf?: string;
}

/** The line a member unit's text is parsed under, so its indented members parse as a class body. */
const MEMBERS_WRAPPER = 'class _:\n';

/**
 * Parses one unit: a whole file, or a segment of one. Lines in the result count from the unit's
 * first line; the result depends on the text and options only.
 */
export function parseUnit(unit: UnitParser, text: string, options: UnitOptions = {}): UnitResult | undefined {
  const wrapped = options.membersOf !== undefined;
  const source = wrapped ? MEMBERS_WRAPPER + text : text;
  const tree = unit.parser.parse(source);
  if (!tree) return undefined;
  try {
    const ctx: Ctx = {
      language: unit.language,
      lines: splitLines(source),
      text: source,
      style: commentStyleOf(unit.language),
      symbols: [],
      topSymbols: [],
      covered: [],
      classHeader: options.classHeader === true,
    };
    const root = tree.rootNode;
    const imports = collectImports(ctx, root, unit.loaded, (node) => markImportLines(ctx, node));
    const result: UnitResult = { symbols: ctx.symbols, topSymbols: ctx.topSymbols, imports, covered: ctx.covered, hasError: root.hasError };
    if (wrapped) {
      const wrapper = root.namedChild(0);
      const body = wrapper?.type === 'class_definition' ? bodyOf(wrapper) : undefined;
      if (!body || root.namedChildCount !== 1) return { ...result, hasError: true };
      result.spans = visitChildren(ctx, body, options.membersOf!.split('.'), true, false);
      result.end = endLineOf(wrapper!);
      // Lines count from the unit's own first line, not the wrapper's.
      shiftUnitResult(result, -1);
      return result;
    }
    visitChildren(ctx, root, [], false, true);
    if (ctx.openClass !== undefined) result.openClass = ctx.openClass;
    if (unit.language === 'python') {
      const docstring = pythonDocstring(root);
      if (docstring) result.docstring = { text: docstring.text, startLine: docstring.node.startPosition.row + 1, endLine: endLineOf(docstring.node) };
    }
    return result;
  } finally {
    tree.delete();
  }
}

/** Chunks a file of a tree-sitter language parsed whole, or undefined when the grammar is unavailable. */
export function chunkWhole(unit: UnitParser, file: WalkedFile): ChunkedFile | undefined {
  const result = parseUnit(unit, file.text);
  if (!result) return undefined;
  return assembleUnits(file, splitLines(file.text), [{ result, offset: 0 }]);
}

/**
 * Chunks a file of a tree-sitter language. Returns undefined when the grammar is unavailable
 * (the caller then falls back to line windows).
 */
export async function chunkTreeSitter(file: WalkedFile & { language: TreeSitterLanguage }): Promise<ChunkedFile | undefined> {
  const unit = await unitParser(file.language);
  return unit ? chunkWhole(unit, file) : undefined;
}
