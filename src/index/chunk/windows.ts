/**
 * Line-based chunking, plus the line helpers the parsers share.
 *
 * Docs and config (and any code file a parser could not handle) are cut into overlapping line
 * windows. The helpers below are here rather than in the parsers because both the ts-morph and the
 * tree-sitter chunkers need the same answers for comments, caps and leftover top-level code.
 */
import { fnv1a } from '../../fnv.ts';
import type { Chunk, ChunkedFile, ChunkKind, Language, WalkedFile } from '../types.ts';

/** Cap on a chunk's text: enough for a long function, small enough for a model prompt and an embedding. */
export const MAX_CHUNK_CHARS = 6000;
/** A window's own lines (before the overlap is added): cut at a boundary once it has the minimum, at the latest at the maximum. */
export const WINDOW_MIN_LINES = 28;
export const WINDOW_LINES = 40;
/** Lines of the previous window a window repeats at its start. */
export const WINDOW_OVERLAP = 8;
/** Past this many own lines without a blank one, about one text line in WINDOW_CUT_ONE_IN is a boundary too. */
const WINDOW_TEXT_CUT_LINES = 32;
const WINDOW_CUT_ONE_IN = 8;
/** A 5,000-line translation catalogue or CSV must not flood the index: later windows are dropped. */
export const MAX_WINDOWS_PER_FILE = 60;
export const MAX_BLOCKS_PER_FILE = 60;
/** An oversized symbol gets this many continuation chunks at most. */
export const MAX_PARTS_PER_SYMBOL = 20;
const BLOCK_MAX_LINES = 60;
const MAX_DOC_CHARS = 2000;
const MAX_SIGNATURE_CHARS = 300;
const MAX_COMMENT_LINES = 80;

export type CommentStyle = 'c' | 'hash' | 'c+hash';

export function commentStyleOf(language: Language): CommentStyle {
  switch (language) {
    case 'python':
    case 'ruby':
    case 'yaml':
    case 'toml':
    case 'text':
      return 'hash';
    case 'php':
      return 'c+hash';
    default:
      return 'c';
  }
}

/** Splits on `\n` only (as tree-sitter counts rows) and drops the `\r` of CRLF files. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  // A trailing newline does not start a line of its own.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Caps text at `max` characters, cutting at a line end when one is reasonably close. */
export function capText(text: string, max = MAX_CHUNK_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return cut > max / 2 ? text.slice(0, cut) : text.slice(0, max);
}

/** Lines `start..end` (1-based, inclusive) joined. */
export function sliceLines(lines: string[], start: number, end: number): string {
  return lines.slice(Math.max(0, start - 1), Math.max(0, end)).join('\n');
}

/** `sliceLines(lines, start, end).length`, without building the string. */
function slicedLength(lines: string[], start: number, end: number): number {
  const first = Math.max(0, start - 1);
  const last = Math.min(lines.length, Math.max(0, end));
  let length = last > first ? last - first - 1 : 0;
  for (let i = first; i < last; i += 1) length += lines[i]!.length;
  return length;
}

export function collapseSignature(raw: string): string {
  const flat = raw.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SIGNATURE_CHARS ? `${flat.slice(0, MAX_SIGNATURE_CHARS - 1)}…` : flat;
}

export function capDoc(doc: string): string {
  return doc.length > MAX_DOC_CHARS ? `${doc.slice(0, MAX_DOC_CHARS - 1)}…` : doc;
}

function isHashComment(trimmed: string): boolean {
  // `#!` is a shebang, `#[` a Rust/PHP attribute; neither is prose.
  return trimmed.startsWith('#') && !trimmed.startsWith('#!') && !trimmed.startsWith('#[');
}

export function isCommentLine(trimmed: string, style: CommentStyle): boolean {
  if (style !== 'hash' && (trimmed.startsWith('//') || trimmed.startsWith('/*') || trimmed.startsWith('*'))) return true;
  return style !== 'c' && isHashComment(trimmed);
}

/** Linter and compiler directives in comments are not documentation. */
const TOOL_DIRECTIVE =
  /^(eslint(-disable|-enable)?\b|@ts-|prettier-ignore|istanbul ignore|c8 ignore|jshint|global |noqa|type:\s*ignore|pylint:|pyright:|mypy:|nolint|NOSONAR|clang-format|rubocop:|fmt: (off|on)|pragma:? no cover|SAFETY:|TODO$)/i;

/** Removes comment markers (`//`, `///`, `#`, `/** *\/`, leading `*`) and the common indentation. */
export function stripCommentMarkers(raw: string[]): string {
  const out = raw.map((line) => {
    let t = line.trim();
    // C# `///` comments are XML: keep the prose, drop the tags.
    if (t.startsWith('///')) t = t.replace(/<\/?(summary|remarks|returns|value|para|example|c|code)\s*>/g, '').replace(/<(param|typeparam|exception|see|seealso)\b[^>]*>/g, '').replace(/<\/(param|typeparam|exception|see|seealso)>/g, '');
    if (t.startsWith('/*')) t = t.replace(/^\/\*+!?/, '');
    if (t.endsWith('*/')) t = t.slice(0, -2).replace(/\*+$/, '');
    if (t.startsWith('//')) t = t.replace(/^\/\/[/!]?/, '');
    else if (t.startsWith('#')) t = t.replace(/^#+:?/, '').replace(/\s+#+$/, '');
    else if (t.startsWith('*')) t = t.replace(/^\*+/, '');
    // Banner decoration (`#### CORE ####`, `// ------`) carries no words.
    t = t.replace(/\s*[#*=\-/~]{3,}\s*$/, '');
    if (/^[#*=\-_/~+.\s]*$/.test(t)) return '';
    return t.startsWith(' ') ? t.slice(1) : t;
  });
  const prose = out.filter((line) => !TOOL_DIRECTIVE.test(line.trim()));
  while (prose.length && !prose[0].trim()) prose.shift();
  while (prose.length && !prose[prose.length - 1].trim()) prose.pop();
  return capDoc(prose.join('\n').trimEnd());
}

export interface CommentSpan {
  /** 1-based first and last line of the comment. */
  startLine: number;
  endLine: number;
  text: string;
}

/**
 * The comment lines directly above `line` (1-based), without a blank line in between:
 * a run of `//` or `#` lines, or one `/* … *\/` block.
 */
export function leadingComment(lines: string[], line: number, style: CommentStyle): CommentSpan | undefined {
  const allowC = style !== 'hash';
  const allowHash = style !== 'c';
  let i = line - 2;
  let first = -1;
  // A JSDoc block separated from its declaration by one blank line (express's style) still documents it.
  if (allowC && i >= 1 && !lines[i].trim() && lines[i - 1].trim().endsWith('*/')) {
    let j = i - 1;
    while (j >= 0 && i - j < MAX_COMMENT_LINES && !lines[j].includes('/*')) j--;
    if (j >= 0 && lines[j].trim().startsWith('/**')) i--;
  }
  const end = i + 1;
  while (i >= 0 && line - 2 - i < MAX_COMMENT_LINES) {
    const t = lines[i].trim();
    if (!t) break;
    if ((allowC && t.startsWith('//')) || (allowHash && isHashComment(t))) {
      first = i;
      i--;
      continue;
    }
    if (allowC && t.endsWith('*/')) {
      let j = i;
      while (j >= 0 && i - j < MAX_COMMENT_LINES && !lines[j].includes('/*')) j--;
      if (j < 0 || !lines[j].trim().startsWith('/*')) break;
      first = j;
      i = j - 1;
      continue;
    }
    break;
  }
  if (first < 0) return undefined;
  const text = stripCommentMarkers(lines.slice(first, end));
  return { startLine: first + 1, endLine: line - 1, text };
}

const PRAGMA = /^(#!|<\?php|\?>|# ?-\*-|# ?(frozen_string_literal|encoding|coding|typed|vim?):|['"]use (strict|client|server)['"];?$|\/\/ ?@ts-|\/\/ ?eslint|\/\* ?eslint|\/\/go:build|\/\/ ?\+build|#!\[)/;
const LICENSE = /copyright|licen[cs]e|spdx-|all rights reserved|\(c\) \d{4}/i;
const DECLARATION_AFTER_DOC = /^(package |module |import |from |use |require|#include|namespace |library )/;

/**
 * The file's leading comment: the first comment block before any code that is not a licence
 * header. A block glued to the first declaration documents that declaration, not the file,
 * unless the declaration is a package/import line (Go's `// Package x`).
 */
export function fileLeadingComment(lines: string[], style: CommentStyle, code = true): CommentSpan | undefined {
  let i = 0;
  const n = Math.min(lines.length, 400);
  while (i < n) {
    const t = lines[i].trim();
    if (!t || PRAGMA.test(t)) {
      i++;
      continue;
    }
    let end: number;
    if ((style !== 'hash' && t.startsWith('//')) || (style !== 'c' && isHashComment(t))) {
      end = i;
      while (end + 1 < n) {
        const next = lines[end + 1].trim();
        if ((style !== 'hash' && next.startsWith('//')) || (style !== 'c' && isHashComment(next))) end++;
        else break;
      }
    } else if (style !== 'hash' && t.startsWith('/*')) {
      end = i;
      while (end < n && !lines[end].includes('*/')) end++;
      if (end >= n) return undefined;
    } else {
      return undefined;
    }
    const raw = lines.slice(i, end + 1);
    const next = lines[end + 1]?.trim() ?? '';
    // In config files (`code` false) there are no declarations to document: the top comment is the file's.
    const glued = code && next !== '' && !isCommentLine(next, style) && !DECLARATION_AFTER_DOC.test(next);
    if (!LICENSE.test(raw.join('\n')) && !glued) {
      const text = stripCommentMarkers(raw);
      if (text) return { startLine: i + 1, endLine: end + 1, text };
    }
    if (glued) return undefined;
    i = end + 1;
  }
  return undefined;
}

/** Label for a file in block names: `settings` for `settings.py`, the package for `__init__.py` / `index.ts`. */
export function moduleLabel(path: string): string {
  const parts = path.split('/');
  const base = parts[parts.length - 1] ?? path;
  const stem = base.replace(/\.d\.ts$/, '').replace(/\.[^.]+$/, '') || base;
  if ((stem === '__init__' || stem === 'index' || stem === 'mod') && parts.length > 1) return parts[parts.length - 2];
  return stem;
}

/** A symbol nested in another, so the outer chunk can show it as a signature when it is too big. */
export interface MemberSpan {
  startLine: number;
  endLine: number;
  /** The line where the member's body starts; lines after it are elided in a skeleton. */
  bodyStartLine: number;
}

export interface TextPart {
  startLine: number;
  endLine: number;
  text: string;
}

/**
 * The text of a symbol spanning `start..end`. If it fits the cap it is returned whole. Otherwise
 * the bodies of members that are chunks of their own are elided (a class keeps its fields and
 * method signatures) and what remains is cut into parts of at most MAX_CHUNK_CHARS, so the tail of
 * a 400-line function is still findable.
 */
export function symbolParts(lines: string[], start: number, end: number, members: MemberSpan[]): TextPart[] {
  // Measured before it is joined: a long class's whole text would be built only to be cut up.
  if (slicedLength(lines, start, end) <= MAX_CHUNK_CHARS) return [{ startLine: start, endLine: end, text: sliceLines(lines, start, end) }];
  const entries: Array<{ line: number; text: string }> = [];
  const sorted = [...members].sort((a, b) => a.startLine - b.startLine);
  let m = 0;
  for (let line = start; line <= end; line++) {
    while (m < sorted.length && sorted[m].endLine < line) m++;
    const member = sorted[m];
    if (member && line > member.bodyStartLine && line <= member.endLine && member.startLine >= start) {
      if (line === member.bodyStartLine + 1) {
        const indent = /^\s*/.exec(lines[line - 1] ?? '')?.[0] ?? '';
        entries.push({ line, text: `${indent}…` });
      }
      continue;
    }
    entries.push({ line, text: (lines[line - 1] ?? '').slice(0, MAX_CHUNK_CHARS) });
  }
  const parts: TextPart[] = [];
  let current: Array<{ line: number; text: string }> = [];
  let size = 0;
  const flush = () => {
    if (!current.length) return;
    parts.push({ startLine: current[0].line, endLine: current[current.length - 1].line, text: current.map((e) => e.text).join('\n') });
    current = [];
    size = 0;
  };
  for (const entry of entries) {
    if (size + entry.text.length + 1 > MAX_CHUNK_CHARS && current.length) flush();
    if (parts.length > MAX_PARTS_PER_SYMBOL) break;
    current.push(entry);
    size += entry.text.length + 1;
  }
  flush();
  return parts.slice(0, MAX_PARTS_PER_SYMBOL + 1);
}

export interface SymbolInput {
  path: string;
  language: Language;
  name: string;
  kind: ChunkKind;
  startLine: number;
  endLine: number;
  doc: string;
  signature: string;
  members: MemberSpan[];
}

/**
 * The chunk of a symbol, with the full line range and capped text, followed by continuation
 * chunks (same name and kind, their own line range) when the symbol is larger than the cap.
 */
export function symbolChunks(lines: string[], input: SymbolInput): Chunk[] {
  const parts = symbolParts(lines, input.startLine, input.endLine, input.members);
  const base = { path: input.path, language: input.language, name: input.name, kind: input.kind, signature: input.signature };
  const chunks: Chunk[] = [
    { ...base, startLine: input.startLine, endLine: input.endLine, text: capText(parts[0]?.text ?? ''), doc: input.doc },
  ];
  for (const part of parts.slice(1)) {
    chunks.push({ ...base, startLine: part.startLine, endLine: part.endLine, text: part.text, doc: '' });
  }
  return chunks;
}

/** Source order; an enclosing symbol before the members that share its first line. */
export function byPosition(a: Chunk, b: Chunk): number {
  return a.startLine - b.startLine || b.endLine - a.endLine || a.name.length - b.name.length;
}

/** Marks lines `start..end` (1-based) as belonging to something already chunked. */
export function markCovered(covered: Uint8Array, start: number, end: number): void {
  for (let line = Math.max(1, start); line <= end && line < covered.length; line++) covered[line] = 1;
}

/**
 * Top-level code that belongs to no symbol (settings, constants, registration calls, test
 * suites written as calls): every run of at least three non-blank uncovered lines becomes a
 * `block` chunk named `<module>:L<a>-L<b>`, so nothing in a file is unfindable.
 * `covered` is indexed by 1-based line number.
 */
export function topLevelBlocks(file: Pick<WalkedFile, 'path' | 'language'>, lines: string[], covered: Uint8Array): Chunk[] {
  const style = commentStyleOf(file.language);
  const label = moduleLabel(file.path);
  const blocks: Chunk[] = [];
  const n = lines.length;
  let line = 1;
  while (line <= n && blocks.length < MAX_BLOCKS_PER_FILE) {
    if (covered[line]) {
      line++;
      continue;
    }
    let end = line;
    while (end + 1 <= n && !covered[end + 1]) end++;
    for (const piece of splitRun(lines, line, end)) {
      if (blocks.length >= MAX_BLOCKS_PER_FILE) break;
      const block = makeBlock(file, lines, piece.start, piece.end, label, style);
      if (block) blocks.push(block);
    }
    line = end + 1;
  }
  return blocks;
}

function splitRun(lines: string[], start: number, end: number): Array<{ start: number; end: number }> {
  const pieces: Array<{ start: number; end: number }> = [];
  let s = start;
  while (s <= end) {
    while (s <= end && !lines[s - 1].trim()) s++;
    if (s > end) break;
    let e = s;
    let size = lines[s - 1].length + 1;
    let lastBlank = -1;
    while (e + 1 <= end) {
      const next = lines[e].length + 1;
      if (size + next > MAX_CHUNK_CHARS || e + 1 - s + 1 > BLOCK_MAX_LINES) break;
      e++;
      size += next;
      if (!lines[e - 1].trim() && e - s >= 10) lastBlank = e;
    }
    // Prefer to cut at a blank line so a statement is not split between two blocks.
    if (e < end && lastBlank > s) e = lastBlank;
    pieces.push({ start: s, end: e });
    s = e + 1;
  }
  return pieces;
}

function makeBlock(
  file: Pick<WalkedFile, 'path' | 'language'>,
  lines: string[],
  start: number,
  end: number,
  label: string,
  style: CommentStyle,
): Chunk | undefined {
  while (end > start && !lines[end - 1].trim()) end--;
  let nonBlank = 0;
  let code = 0;
  let firstCode = '';
  const docLines: string[] = [];
  for (let i = start; i <= end; i++) {
    const t = lines[i - 1].trim();
    if (!t) continue;
    nonBlank++;
    if (isCommentLine(t, style)) {
      if (!code) docLines.push(t);
    } else {
      code++;
      if (!firstCode) firstCode = t;
    }
  }
  if (nonBlank < 3 || code === 0) return undefined;
  return {
    path: file.path,
    language: file.language,
    name: `${label}:L${start}-L${end}`,
    kind: 'block',
    startLine: start,
    endLine: end,
    text: capText(sliceLines(lines, start, end)),
    doc: docLines.length ? stripCommentMarkers(docLines) : '',
    signature: collapseSignature(firstCode),
  };
}

interface Section {
  title: string;
  level: number;
  start: number;
  end: number;
}

const ATX = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/** Markdown sections split at ATX and setext headings, ignoring `#` lines inside fenced code. */
function markdownSections(lines: string[]): Section[] {
  const sections: Section[] = [];
  let current: Section = { title: '', level: 0, start: 1, end: 0 };
  let fence: string | undefined;
  const open = (title: string, level: number, start: number) => {
    current.end = start - 1;
    if (current.end >= current.start) sections.push(current);
    current = { title, level, start, end: 0 };
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      if (!fence) fence = fenceMatch[1];
      else if (fenceMatch[1] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const atx = ATX.exec(line);
    if (atx) {
      open(atx[2].trim(), atx[1].length, i + 1);
      continue;
    }
    const next = lines[i + 1];
    const prevBlank = i === 0 || !lines[i - 1].trim();
    if (
      next !== undefined &&
      line.trim() &&
      prevBlank &&
      !/^\s*([-*+>|]|\d+\.)/.test(line) &&
      (/^ {0,3}=+\s*$/.test(next) || /^ {0,3}-{3,}\s*$/.test(next))
    ) {
      open(line.trim(), next.trim().startsWith('=') ? 1 : 2, i + 1);
      i++;
    }
  }
  current.end = lines.length;
  if (current.end >= current.start) sections.push(current);
  return sections;
}

interface RawWindow {
  start: number;
  end: number;
  title: string;
  /** Where the window's own lines start, after those it repeats of the window before it. */
  ownStart: number;
}

/**
 * Overlapping windows over lines `from..to`. Where a window ends depends on the text there, not on
 * how far the file's start is: at the first blank line once it has WINDOW_MIN_LINES lines of its
 * own (or, past WINDOW_TEXT_CUT_LINES, at a line its hash picks: text without blank lines), at
 * the latest after WINDOW_LINES lines or when the next line would pass the text cap. So lines
 * added or removed move the windows around them only: the others keep their text (and with it
 * their names, tokens, vectors and questions) at other line numbers. Each window but the first
 * starts with up to WINDOW_OVERLAP lines of the one before it (at most a quarter of the text cap).
 */
function lineWindows(lines: string[], from: number, to: number, title: string, out: RawWindow[]): void {
  let start = from;
  while (start <= to && out.length < MAX_WINDOWS_PER_FILE) {
    const overlap = overlapBefore(lines, from, start);
    let end = start;
    let size = overlap.chars + lines[start - 1]!.length + 1;
    while (end < to && end - start + 1 < WINDOW_LINES && !isWindowBoundary(lines[end - 1]!, end - start + 1)) {
      const next = lines[end]!.length + 1;
      if (size + next > MAX_CHUNK_CHARS) break;
      end++;
      size += next;
    }
    if (sliceLines(lines, start, end).trim()) out.push({ start: start - overlap.lines, ownStart: start, end, title });
    start = end + 1;
  }
}

/**
 * The lines before `start` (down to `from`) a window repeats, and their characters with newlines:
 * up to WINDOW_OVERLAP lines, and no more than a quarter of the text cap.
 */
function overlapBefore(lines: string[], from: number, start: number): { lines: number; chars: number } {
  let overlap = 0;
  let chars = 0;
  while (overlap < WINDOW_OVERLAP && start - overlap - 1 >= from) {
    const next = lines[start - overlap - 2]!.length + 1;
    if (chars + next > MAX_CHUNK_CHARS / 4) break;
    chars += next;
    overlap++;
  }
  return { lines: overlap, chars };
}

/** Whether a window with `own` lines ends at `line`. */
function isWindowBoundary(line: string, own: number): boolean {
  if (own < WINDOW_MIN_LINES) return false;
  const text = line.trim();
  return text === '' || (own >= WINDOW_TEXT_CUT_LINES && fnv1a(text) % WINDOW_CUT_ONE_IN === 0);
}

/** Three letters or digits, whatever lies between them. */
const SAYS_SOMETHING = /[\p{L}\p{N}][^\p{L}\p{N}]*[\p{L}\p{N}][^\p{L}\p{N}]*[\p{L}\p{N}]/u;

/**
 * A window without a heading is named by the first of its own lines (not the overlap) that says
 * something, as the comment shows it next to the file's link; by its path when none does.
 */
function windowName(path: string, lines: string[], w: RawWindow): string {
  if (w.title) return w.title;
  for (let line = w.ownStart; line <= w.end; line++) {
    const text = lines[line - 1] ?? '';
    if (!SAYS_SOMETHING.test(text)) continue;
    const label = text.trim().replace(/\s+/g, ' ');
    return label.length > 80 ? `${label.slice(0, 79)}…` : label;
  }
  return path;
}

function markdownDoc(lines: string[], sections: Section[]): string {
  const first = sections.find((s) => s.title);
  if (!first) return '';
  const para: string[] = [];
  let fence = false;
  for (let i = first.start; i < first.end && para.length < 8; i++) {
    const t = lines[i].trim();
    if (FENCE.test(t)) fence = !fence;
    if (fence || /^(=+|-+)$/.test(t) || t.startsWith('<') || t.startsWith('[!') || t.startsWith('![')) continue;
    if (!t) {
      if (para.length) break;
      continue;
    }
    if (t.startsWith('#')) break;
    para.push(t);
  }
  return capDoc([first.title, para.join(' ')].filter(Boolean).join('\n'));
}

/**
 * Line windows for a whole file: Markdown cut at headings (small sections merged, long ones
 * windowed, each window named by its heading), anything else in plain overlapping windows, named
 * by their first telling line. No window's name holds line numbers, so a window whose text an
 * edit elsewhere leaves alone keeps its id (`path#name`).
 */
export function windowChunks(file: WalkedFile): ChunkedFile {
  const text = typeof file.text === 'string' ? file.text : '';
  const lines = splitLines(text);
  const raw: RawWindow[] = [];
  let doc: string;
  let symbols: string[] = [];
  if (file.language === 'markdown') {
    const sections = markdownSections(lines);
    doc = markdownDoc(lines, sections);
    symbols = sections.filter((s) => s.title && s.level <= 2).map((s) => s.title).slice(0, 100);
    let pending: RawWindow | undefined;
    let pendingSize = 0;
    const flush = () => {
      if (pending) raw.push(pending);
      pending = undefined;
      pendingSize = 0;
    };
    for (const section of sections) {
      if (raw.length >= MAX_WINDOWS_PER_FILE) break;
      const lineCount = section.end - section.start + 1;
      const size = sliceLines(lines, section.start, section.end).length + 1;
      if (lineCount > WINDOW_LINES || size > MAX_CHUNK_CHARS) {
        flush();
        lineWindows(lines, section.start, section.end, section.title, raw);
        continue;
      }
      // A window ends with a section once it has the minimum: an edit regroups the sections around it only.
      if (pending && (pending.end - pending.start + 1 >= WINDOW_MIN_LINES || section.end - pending.start + 1 > WINDOW_LINES || pendingSize + size > MAX_CHUNK_CHARS)) flush();
      if (pending) {
        pending.end = section.end;
        if (!pending.title) pending.title = section.title;
      } else {
        pending = { start: section.start, ownStart: section.start, end: section.end, title: section.title };
      }
      pendingSize += size;
    }
    flush();
  } else {
    const isCode = !['yaml', 'toml', 'json', 'text'].includes(file.language);
    const comment = fileLeadingComment(lines, commentStyleOf(file.language), isCode);
    doc = comment?.text ?? '';
    lineWindows(lines, 1, lines.length, '', raw);
  }
  const chunks: Chunk[] = raw
    .slice(0, MAX_WINDOWS_PER_FILE)
    .filter((w) => sliceLines(lines, w.start, w.end).trim())
    .map((w) => {
      const body = sliceLines(lines, w.start, w.end);
      return {
        path: file.path,
        language: file.language,
        name: windowName(file.path, lines, w),
        kind: 'window',
        startLine: w.start,
        endLine: w.end,
        text: capText(body),
        doc: '',
        signature: collapseSignature(body.split('\n').find((l) => l.trim()) ?? ''),
      };
    });
  return { chunks, doc, symbols, imports: [] };
}
