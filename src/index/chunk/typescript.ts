/**
 * TypeScript / TSX / JavaScript chunking with the TypeScript parser that ts-morph bundles.
 *
 * Only that compiler is loaded, with V8's code cache (see code-cache.ts), and files are parsed with
 * `ts.createSourceFile`, exactly what a ts-morph Project would call for an in-memory file: ts-morph
 * itself and its lib files take another ~0.15-0.2 s to load, and its node wrappers are much slower;
 * we only read syntax. CommonJS matters as much as ES modules: express, axios and dayjs define
 * most of their API as `proto.format = function …` or `module.exports = { … }`.
 */
import { createRequire } from 'node:module';
import type { ts } from 'ts-morph';

import type { Chunk, ChunkedFile, ChunkKind, WalkedFile } from '../types.ts';
import { requireWithCodeCache, type CachedModule } from './code-cache.ts';
import {
  byPosition,
  collapseSignature,
  fileLeadingComment,
  leadingComment,
  markCovered,
  type MemberSpan,
  splitLines,
  symbolChunks,
  topLevelBlocks,
} from './windows.ts';

/**
 * The TypeScript compiler ts-morph bundles (the same file its `ts` export is), loaded on first use
 * (or by `loadTypeScriptCompiler`): this module itself is cheap to import.
 */
let compiler: CachedModule<typeof ts> | undefined;
let loadError: unknown;
let tsc: typeof ts;

/** Loads the compiler once; a failure is remembered and thrown again (files then become line windows). */
export function loadTypeScriptCompiler(): void {
  if (compiler) return;
  if (loadError !== undefined) throw loadError;
  try {
    const loaded = requireWithCodeCache<typeof ts>(
      createRequire(createRequire(import.meta.url).resolve('ts-morph')).resolve('@ts-morph/common/dist/typescript.js'),
    );
    tsc = loaded.exports;
    compiler = loaded;
  } catch (error) {
    loadError = error;
    throw error;
  }
}

function virtualFile(file: WalkedFile): { name: string; kind: ts.ScriptKind } {
  if (file.language === 'tsx') return { name: '/chunk/file.tsx', kind: tsc.ScriptKind.TSX };
  if (file.language === 'typescript') {
    if (file.path.endsWith('.d.ts')) return { name: '/chunk/file.d.ts', kind: tsc.ScriptKind.TS };
    return { name: '/chunk/file.ts', kind: tsc.ScriptKind.TS };
  }
  // Plain .js files often hold JSX (React); the JSX grammar is a superset for practical purposes.
  return { name: '/chunk/file.jsx', kind: tsc.ScriptKind.JSX };
}

type FunctionLike = ts.ArrowFunction | ts.FunctionExpression;

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return tsc.isArrowFunction(node) || tsc.isFunctionExpression(node);
}

/**
 * What a value expression defines, looking through parentheses, casts and wrapper calls such as
 * `memo(forwardRef((props, ref) => …))` or `asyncHandler(async (req, res) => …)`.
 */
function unwrapValue(expr: ts.Expression, depth = 0): FunctionLike | ts.ClassExpression | ts.ObjectLiteralExpression | undefined {
  if (depth > 4) return undefined;
  if (isFunctionLike(expr) || tsc.isClassExpression(expr) || tsc.isObjectLiteralExpression(expr)) return expr;
  if (
    tsc.isParenthesizedExpression(expr) ||
    tsc.isAsExpression(expr) ||
    tsc.isSatisfiesExpression(expr) ||
    tsc.isTypeAssertionExpression(expr) ||
    tsc.isNonNullExpression(expr)
  ) {
    return unwrapValue(expr.expression, depth + 1);
  }
  if (tsc.isBinaryExpression(expr) && expr.operatorToken.kind === tsc.SyntaxKind.EqualsToken) return unwrapValue(expr.right, depth + 1);
  if (tsc.isCallExpression(expr)) {
    for (let i = expr.arguments.length - 1; i >= 0; i--) {
      const arg = expr.arguments[i];
      if (isFunctionLike(arg)) return arg;
    }
    for (const arg of expr.arguments) {
      if (tsc.isCallExpression(arg)) {
        const inner = unwrapValue(arg, depth + 1);
        if (inner && !tsc.isObjectLiteralExpression(inner)) return inner;
      }
    }
  }
  return undefined;
}

/** `require('x')`, `require('x').y`, `require('x')(app)` — a CommonJS import. */
function isRequireValue(expr: ts.Expression | undefined): boolean {
  let current = expr;
  for (let i = 0; current && i < 5; i++) {
    if (tsc.isCallExpression(current)) {
      if (tsc.isIdentifier(current.expression) && current.expression.text === 'require') return true;
      current = current.expression;
    } else if (tsc.isPropertyAccessExpression(current) || tsc.isParenthesizedExpression(current) || tsc.isAwaitExpression(current)) {
      current = current.expression;
    } else {
      return false;
    }
  }
  return false;
}

function stringArg(node: ts.Node | undefined): string | undefined {
  if (node && (tsc.isStringLiteral(node) || tsc.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

/** Dotted text of `a.b.c` / `a['b']`, or undefined for anything computed. */
function accessChain(expr: ts.Expression): string[] | undefined {
  if (tsc.isIdentifier(expr)) return [expr.text];
  if (expr.kind === tsc.SyntaxKind.ThisKeyword) return ['this'];
  if (tsc.isPropertyAccessExpression(expr)) {
    const left = accessChain(expr.expression);
    return left && [...left, expr.name.text];
  }
  if (tsc.isElementAccessExpression(expr)) {
    const key = stringArg(expr.argumentExpression);
    const left = accessChain(expr.expression);
    return left && key !== undefined ? [...left, key] : undefined;
  }
  return undefined;
}

/**
 * Name for the target of `X = value`: `Foo.prototype.bar` → `Foo.bar`, `exports.foo` and
 * `module.exports.foo` → `foo`, `module.exports` → undefined (the value's own name is used).
 */
function assignmentName(left: ts.Expression): { parts: string[]; isModuleExports: boolean } | undefined {
  const chain = accessChain(left);
  if (!chain) return undefined;
  let parts = chain.filter((p) => p !== 'prototype');
  let isModuleExports = false;
  if (parts[0] === 'module' && parts[1] === 'exports') {
    parts = parts.slice(2);
    isModuleExports = true;
  } else if (parts[0] === 'exports') {
    parts = parts.slice(1);
    isModuleExports = true;
  }
  if (parts[0] === 'this' || parts[0] === 'window' || parts[0] === 'globalThis') parts = parts.slice(1);
  return { parts, isModuleExports };
}

class TsChunker {
  readonly chunks: Chunk[] = [];
  readonly symbols: string[] = [];
  readonly covered: Uint8Array;
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly file: WalkedFile,
    private readonly sf: ts.SourceFile,
    private readonly text: string,
    private readonly lines: string[],
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    this.covered = new Uint8Array(lines.length + 2);
  }

  /** 1-based line of a position, counting `\n` only (TypeScript also counts `\r` and U+2028). */
  lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private startOf(node: ts.Node): number {
    return node.getStart(this.sf);
  }

  /** Position after decorators, where `async foo()` or `class X` starts. */
  private signatureStart(node: ts.Node): number {
    const decorators = tsc.canHaveDecorators(node) ? tsc.getDecorators(node) : undefined;
    if (decorators?.length) {
      let pos = decorators[decorators.length - 1].end;
      while (pos < this.text.length && /\s/.test(this.text[pos])) pos++;
      return pos;
    }
    return this.startOf(node);
  }

  private emit(
    name: string,
    kind: ChunkKind,
    rangeNode: ts.Node,
    signature: string,
    members: MemberSpan[],
    topLevel: boolean,
    bodyStart: number,
    rangeStart?: number,
  ): MemberSpan {
    const startLine = this.lineOf(rangeStart ?? this.startOf(rangeNode));
    const endLine = Math.max(startLine, this.lineOf(rangeNode.end));
    const comment = leadingComment(this.lines, startLine, 'c');
    if (comment) markCovered(this.covered, comment.startLine, comment.endLine);
    markCovered(this.covered, startLine, endLine);
    this.chunks.push(
      ...symbolChunks(this.lines, {
        path: this.file.path,
        language: this.file.language,
        name,
        kind,
        startLine,
        endLine,
        doc: comment?.text ?? '',
        signature,
        members,
      }),
    );
    if (topLevel) this.symbols.push(name);
    return { startLine, endLine, bodyStartLine: this.lineOf(bodyStart) };
  }

  private sig(from: number, to: number): string {
    return collapseSignature(this.text.slice(from, Math.max(from, to)).replace(/\s*[{=;]\s*$/, ''));
  }

  private qualify(scope: string[], name: string): string {
    return [...scope, name].join('.');
  }

  private memberName(name: ts.PropertyName | undefined): string | undefined {
    if (!name) return undefined;
    if (tsc.isIdentifier(name) || tsc.isPrivateIdentifier(name) || tsc.isStringLiteral(name) || tsc.isNumericLiteral(name)) return name.text;
    if (tsc.isComputedPropertyName(name)) return `[${name.expression.getText(this.sf)}]`;
    return undefined;
  }

  /** A function value (declaration, expression or arrow) whose chunk spans `rangeNode`. */
  private emitFunction(
    name: string,
    kind: ChunkKind,
    fn: ts.FunctionLikeDeclaration,
    rangeNode: ts.Node,
    topLevel: boolean,
    sigFrom?: number,
    rangeStart?: number,
  ): MemberSpan {
    const body = fn.body;
    const from = sigFrom ?? this.signatureStart(rangeNode);
    const to = body ? this.startOf(body) : fn.end;
    const members = topLevel && body && tsc.isBlock(body) ? this.assignedMethods(body.statements) : [];
    return this.emit(name, kind, rangeNode, this.sig(from, to), members, topLevel, to, rangeStart);
  }

  /**
   * `proto.utc = function () {…}` inside a top-level function: dayjs plugins and similar
   * factories define their whole API this way, so each assignment is a method chunk of its own.
   */
  private assignedMethods(statements: readonly ts.Statement[]): MemberSpan[] {
    const spans: MemberSpan[] = [];
    for (const statement of statements) {
      if (!tsc.isExpressionStatement(statement)) continue;
      const expr = statement.expression;
      if (!tsc.isBinaryExpression(expr) || expr.operatorToken.kind !== tsc.SyntaxKind.EqualsToken) continue;
      const target = assignmentName(expr.left);
      const value = unwrapValue(expr.right);
      if (!target || target.parts.length < 2 || !value || !isFunctionLike(value)) continue;
      spans.push(this.emitFunction(target.parts.join('.'), 'method', value, statement, false, this.startOf(statement)));
    }
    return spans;
  }

  private emitClass(name: string, cls: ts.ClassLikeDeclaration, rangeNode: ts.Node, scope: string[], topLevel: boolean): MemberSpan {
    const qualified = this.qualify(scope, name);
    const members: MemberSpan[] = [];
    for (const member of cls.members) {
      const span = this.classMember(member, [...scope, name]);
      if (span) members.push(span);
    }
    const from = rangeNode === cls ? this.signatureStart(cls) : this.startOf(rangeNode);
    return this.emit(qualified, 'class', rangeNode, this.sig(from, cls.members.pos), members, topLevel, cls.members.pos);
  }

  private classMember(member: ts.ClassElement, scope: string[]): MemberSpan | undefined {
    if (tsc.isConstructorDeclaration(member)) {
      return member.body ? this.emitFunction(this.qualify(scope, 'constructor'), 'method', member, member, false) : undefined;
    }
    if (tsc.isMethodDeclaration(member) || tsc.isGetAccessorDeclaration(member) || tsc.isSetAccessorDeclaration(member)) {
      const name = this.memberName(member.name);
      return name && member.body ? this.emitFunction(this.qualify(scope, name), 'method', member, member, false) : undefined;
    }
    if (tsc.isPropertyDeclaration(member) && member.initializer) {
      const name = this.memberName(member.name);
      const value = unwrapValue(member.initializer);
      if (name && value && isFunctionLike(value)) {
        return this.emitFunction(this.qualify(scope, name), 'method', value, member, false, this.signatureStart(member));
      }
    }
    return undefined;
  }

  /** Methods of an object literal (`module.exports = { a() {} }`, `const utils = { forEach: function … }`). */
  private objectMembers(obj: ts.ObjectLiteralExpression, scope: string[], topLevel: boolean, depth = 0): MemberSpan[] {
    const spans: MemberSpan[] = [];
    const kind: ChunkKind = scope.length ? 'method' : 'function';
    for (const prop of obj.properties) {
      const name = this.memberName(prop.name);
      if (!name) continue;
      if (tsc.isMethodDeclaration(prop) || tsc.isGetAccessorDeclaration(prop) || tsc.isSetAccessorDeclaration(prop)) {
        if (prop.body) spans.push(this.emitFunction(this.qualify(scope, name), kind, prop, prop, topLevel));
      } else if (tsc.isPropertyAssignment(prop)) {
        const value = unwrapValue(prop.initializer);
        if (!value) continue;
        if (isFunctionLike(value)) spans.push(this.emitFunction(this.qualify(scope, name), kind, value, prop, topLevel, this.startOf(prop)));
        else if (tsc.isClassExpression(value)) spans.push(this.emitClass(name, value, prop, scope, topLevel));
        else if (depth < 1) spans.push(...this.objectMembers(value, [...scope, name], topLevel, depth + 1));
      }
    }
    return spans;
  }

  /** Value assigned to `name` (a const, an export or a property): what it defines becomes chunks. */
  private emitValue(
    parts: string[],
    value: ReturnType<typeof unwrapValue>,
    rangeNode: ts.Node,
    scope: string[],
    topLevel: boolean,
    ownName?: string,
  ): void {
    if (!value) return;
    const name = parts.length ? parts.join('.') : ownName;
    if (isFunctionLike(value)) {
      const fnName = name ?? value.name?.text ?? 'default';
      const kind: ChunkKind = parts.length > 1 ? 'method' : 'function';
      this.emitFunction(this.qualify(scope, fnName), kind, value, rangeNode, topLevel, this.startOf(rangeNode));
    } else if (tsc.isClassExpression(value)) {
      this.emitClass(name ?? value.name?.text ?? 'default', value, rangeNode, scope, topLevel);
    } else {
      this.objectMembers(value, name ? [...scope, ...name.split('.')] : scope, topLevel);
    }
  }

  visitStatements(statements: readonly ts.Statement[], scope: string[], topLevel: boolean): MemberSpan[] {
    const spans: MemberSpan[] = [];
    let overloadStart: ts.Node | undefined;
    for (const statement of statements) {
      if (tsc.isFunctionDeclaration(statement)) {
        const name = statement.name?.text ?? 'default';
        const ambient = this.file.path.endsWith('.d.ts') || statement.modifiers?.some((m) => m.kind === tsc.SyntaxKind.DeclareKeyword);
        if (!statement.body && !ambient) {
          // An overload signature: the implementation's chunk starts here.
          overloadStart ??= statement;
          continue;
        }
        // The chunk of an overloaded function runs from its first signature to the implementation's end.
        const rangeStart = overloadStart ? this.startOf(overloadStart) : undefined;
        spans.push(this.emitFunction(this.qualify(scope, name), 'function', statement, statement, topLevel, undefined, rangeStart));
        overloadStart = undefined;
        continue;
      }
      overloadStart = undefined;
      if (tsc.isClassDeclaration(statement)) {
        spans.push(this.emitClass(statement.name?.text ?? 'default', statement, statement, scope, topLevel));
      } else if (tsc.isInterfaceDeclaration(statement)) {
        spans.push(this.emitDeclaration(statement.name.text, 'interface', statement, statement.members.pos, scope, topLevel));
      } else if (tsc.isTypeAliasDeclaration(statement)) {
        spans.push(this.emitDeclaration(statement.name.text, 'type', statement, statement.type.getStart(this.sf), scope, topLevel));
      } else if (tsc.isEnumDeclaration(statement)) {
        spans.push(this.emitDeclaration(statement.name.text, 'enum', statement, statement.members.pos, scope, topLevel));
      } else if (tsc.isModuleDeclaration(statement)) {
        spans.push(this.emitModule(statement, scope, topLevel));
      } else if (tsc.isVariableStatement(statement)) {
        const declarations = statement.declarationList.declarations;
        for (const decl of declarations) {
          if (!tsc.isIdentifier(decl.name) || !decl.initializer) continue;
          const value = unwrapValue(decl.initializer);
          if (!value) continue;
          const rangeNode = declarations.length === 1 ? statement : decl;
          this.emitValue([decl.name.text], value, rangeNode, scope, topLevel);
        }
      } else if (tsc.isExpressionStatement(statement)) {
        this.expressionStatement(statement, scope, topLevel);
      } else if (tsc.isExportAssignment(statement)) {
        const value = unwrapValue(statement.expression);
        if (value) this.emitValue(tsc.isObjectLiteralExpression(value) ? ['default'] : [], value, statement, scope, topLevel);
      } else if (tsc.isIfStatement(statement) || tsc.isBlock(statement) || tsc.isTryStatement(statement)) {
        // UMD wrappers and `if (typeof module !== 'undefined')` guards still hold top-level API.
        for (const block of this.nestedBlocks(statement)) spans.push(...this.visitStatements(block, scope, topLevel));
      }
    }
    return spans;
  }

  private nestedBlocks(statement: ts.Statement): Array<readonly ts.Statement[]> {
    if (tsc.isBlock(statement)) return [statement.statements];
    if (tsc.isTryStatement(statement)) {
      return [statement.tryBlock.statements, statement.catchClause?.block.statements ?? [], statement.finallyBlock?.statements ?? []];
    }
    if (tsc.isIfStatement(statement)) {
      const out: Array<readonly ts.Statement[]> = [[statement.thenStatement]];
      if (statement.elseStatement) out.push([statement.elseStatement]);
      return out;
    }
    return [];
  }

  private emitDeclaration(name: string, kind: ChunkKind, node: ts.Node, sigEnd: number, scope: string[], topLevel: boolean): MemberSpan {
    const from = this.signatureStart(node);
    // A type alias's signature is its first line: `export type Id = string | number`.
    const lineEnd = this.text.indexOf('\n', from);
    const signature = kind === 'type' ? this.sig(from, Math.min(node.end, lineEnd < 0 ? node.end : lineEnd)) : this.sig(from, sigEnd);
    return this.emit(this.qualify(scope, name), kind, node, signature, [], topLevel, sigEnd);
  }

  private emitModule(statement: ts.ModuleDeclaration, scope: string[], topLevel: boolean): MemberSpan {
    const names: string[] = [];
    let current: ts.ModuleDeclaration = statement;
    for (;;) {
      names.push(current.name.text);
      if (current.body && tsc.isModuleDeclaration(current.body)) current = current.body;
      else break;
    }
    const body = current.body;
    const inner = [...scope, ...names];
    const members = body && tsc.isModuleBlock(body) ? this.visitStatements(body.statements, inner, false) : [];
    const bodyStart = body ? this.startOf(body) : statement.end;
    return this.emit(inner.join('.'), 'module', statement, this.sig(this.signatureStart(statement), bodyStart), members, topLevel, bodyStart);
  }

  private expressionStatement(statement: ts.ExpressionStatement, scope: string[], topLevel: boolean): void {
    let expr = statement.expression;
    while (tsc.isParenthesizedExpression(expr)) expr = expr.expression;
    if (tsc.isBinaryExpression(expr) && expr.operatorToken.kind === tsc.SyntaxKind.EqualsToken) {
      const target = assignmentName(expr.left);
      if (!target) return;
      const value = unwrapValue(expr.right);
      if (!value) return;
      if (target.isModuleExports && target.parts.length === 0) {
        // `module.exports = function name() {}` is named after the function when it has a name.
        const own = (isFunctionLike(value) || tsc.isClassExpression(value)) && value.name ? value.name.text : undefined;
        if (tsc.isObjectLiteralExpression(value)) this.emitValue([], value, statement, scope, topLevel);
        else this.emitValue([], value, statement, scope, topLevel, own ?? 'module.exports');
        return;
      }
      if (target.parts.length) this.emitValue(target.parts, value, statement, scope, topLevel);
      return;
    }
    // An IIFE (`(function () { … })()`, `!function () {}()`, `(() => {}).call(this)`) wraps a whole module.
    if (tsc.isPrefixUnaryExpression(expr)) expr = expr.operand;
    if (tsc.isCallExpression(expr)) {
      let callee: ts.Expression = expr.expression;
      if (tsc.isPropertyAccessExpression(callee) && (callee.name.text === 'call' || callee.name.text === 'apply')) callee = callee.expression;
      while (tsc.isParenthesizedExpression(callee)) callee = callee.expression;
      if (isFunctionLike(callee) && callee.body && tsc.isBlock(callee.body)) {
        this.visitStatements(callee.body.statements, scope, topLevel);
      } else {
        // `(function (root, factory) {…})(this, function () { … })`: the factory is the module.
        for (const arg of expr.arguments) {
          if (isFunctionLike(arg) && tsc.isBlock(arg.body) && arg.body.statements.length > 3) this.visitStatements(arg.body.statements, scope, topLevel);
        }
      }
    }
  }

  /**
   * Lines of import statements (and directives such as `'use strict'`) count as covered: they are
   * the file's `imports`, not leftover code for a block.
   */
  markImportStatements(statements: readonly ts.Statement[]): void {
    for (const statement of statements) {
      const isImport =
        tsc.isImportDeclaration(statement) ||
        tsc.isImportEqualsDeclaration(statement) ||
        (tsc.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined) ||
        (tsc.isVariableStatement(statement) &&
          statement.declarationList.declarations.every((d) => isRequireValue(d.initializer))) ||
        (tsc.isExpressionStatement(statement) && (isRequireValue(statement.expression) || tsc.isStringLiteral(statement.expression)));
      if (isImport) markCovered(this.covered, this.lineOf(this.startOf(statement)), this.lineOf(statement.end));
    }
  }
}

/** Module specifiers as written: ES imports/exports, `import x = require()`, `require()`, `import()`. */
function collectImports(sf: ts.SourceFile, text: string): string[] {
  const out: string[] = [];
  const add = (spec: string | undefined) => {
    if (spec && !out.includes(spec)) out.push(spec);
  };
  for (const statement of sf.statements) {
    if (tsc.isImportDeclaration(statement) || tsc.isExportDeclaration(statement)) add(stringArg(statement.moduleSpecifier));
    else if (tsc.isImportEqualsDeclaration(statement) && tsc.isExternalModuleReference(statement.moduleReference)) {
      add(stringArg(statement.moduleReference.expression));
    }
  }
  if (/\b(require|import)\s*\(/.test(text)) {
    const visit = (node: ts.Node): void => {
      if (tsc.isCallExpression(node)) {
        const callee = node.expression;
        if ((callee.kind === tsc.SyntaxKind.ImportKeyword || (tsc.isIdentifier(callee) && callee.text === 'require')) && node.arguments.length >= 1) {
          add(stringArg(node.arguments[0]));
        }
      } else if (tsc.isImportTypeNode(node) && tsc.isLiteralTypeNode(node.argument)) {
        add(stringArg(node.argument.literal));
      }
      tsc.forEachChild(node, visit);
    };
    tsc.forEachChild(sf, visit);
  }
  return out;
}

export function chunkTypeScript(file: WalkedFile): ChunkedFile {
  loadTypeScriptCompiler();
  const text = file.text;
  const lines = splitLines(text);
  const { name, kind } = virtualFile(file);
  // What a ts-morph Project (target Latest, parents set) builds for an in-memory file.
  const sf = tsc.createSourceFile(name, text, tsc.ScriptTarget.Latest, true, kind);
  const chunker = new TsChunker(file, sf, text, lines);
  chunker.markImportStatements(sf.statements);
  chunker.visitStatements(sf.statements, [], true);
  const header = fileLeadingComment(lines, 'c');
  if (header) markCovered(chunker.covered, header.startLine, header.endLine);
  const chunks = [...chunker.chunks, ...topLevelBlocks(file, lines, chunker.covered)];
  chunks.sort(byPosition);
  const imports = collectImports(sf, text);
  // Once a file is parsed, the parser's functions are compiled too: cache them with the rest.
  compiler?.saveCache();
  return { chunks, doc: header?.text ?? '', symbols: chunker.symbols, imports };
}
