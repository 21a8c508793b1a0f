/**
 * Splits a Python file into segments that can be parsed on their own: runs of whole lines, each
 * one long top-level `def`/`class` (with its decorators) or a few short top-level statements, with
 * the comment and blank lines just above a statement in that statement's segment. A long class is
 * split further at its members (grouped the same way), so a change to one method re-parses that
 * method and perhaps a few short neighbours only.
 *
 * A small lexer (strings, including triple-quoted and prefixed ones, comments, brackets and
 * backslash continuations) finds where logical lines start. It only decides where to cut; the
 * chunker defines its result from the segments, so a full and an incremental run, which cut the
 * same text the same way, agree whatever the lexer makes of odd code. A file it cannot follow
 * (an unterminated string or bracket) gets no segments and is parsed whole.
 */
import { fnv1a } from '../../fnv.ts';

/** Lines `startLine..endLine` (1-based, inclusive) of a file, and their exact text. */
export interface Segment {
  startLine: number;
  endLine: number;
  text: string;
}

/** A top-level segment; a long class has its members cut out (the header keeps the rest, up to the first member). */
export interface TopSegment extends Segment {
  members?: Segment[];
}

/** A class with fewer lines than this is parsed whole: splitting a small one saves less than its extra parses cost. */
export const SPLIT_CLASS_MIN_LINES = 60;
/**
 * Statements shorter than this are grouped, a few to a segment, since each parse has a cost of its
 * own. Where a group ends depends on the statements next to the cut only (their sizes, the text of
 * the one after it), so an edit moves the cuts near it and no others.
 */
export const SMALL_STATEMENT_LINES = 40;
const CUT_ONE_IN = 4;

type LineKind = 'blank' | 'comment' | 'code';

interface LineInfo {
  /** Whether the line starts a logical line (not inside a string, brackets or a `\` continuation). */
  starts: boolean[];
  kinds: LineKind[];
  /** The column of the line's first non-blank character (its indentation), -1 for a blank line. */
  firsts: number[];
}

const CONTINUATION = /^(else|elif|except|finally)\b/;
const DEF_LIKE = /^(@|def\b|async\s+def\b|class\b)/;

const NON_BLANK = /\S/;
/** Characters that matter to the lexer outside strings. */
const CODE_SPECIAL = /["'#()[\]{}\\]/g;
/** What ends (or escapes inside) a string of each quote. */
const STRING_END: Record<string, RegExp> = { '"': /\\|"/g, "'": /\\|'/g, '"""': /\\|"""/g, "'''": /\\|'''/g };

/** Where logical lines start; undefined when the file ends inside a string, brackets or a continuation. */
export function scanLines(lines: string[]): LineInfo | undefined {
  const starts: boolean[] = new Array<boolean>(lines.length);
  const kinds: LineKind[] = new Array<LineKind>(lines.length);
  const firsts: number[] = new Array<number>(lines.length);
  let quote = '';
  let depth = 0;
  let continued = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const end = line.endsWith('\r') ? line.length - 1 : line.length;
    starts[n] = !quote && depth === 0 && !continued;
    const first = line.search(NON_BLANK);
    firsts[n] = first;
    kinds[n] = first < 0 ? 'blank' : line.charCodeAt(first) === 35 /* # */ ? 'comment' : 'code';
    continued = false;
    let i = 0;
    while (i < end) {
      if (quote) {
        const pattern = STRING_END[quote];
        pattern.lastIndex = i;
        const match = pattern.exec(line);
        if (!match || match.index >= end) break;
        if (match[0] === '\\') {
          // An escape; a backslash ending the line continues a one-quote string on the next.
          if (match.index + 1 >= end) {
            continued = quote.length === 1;
            break;
          }
          i = match.index + 2;
        } else {
          i = match.index + quote.length;
          quote = '';
        }
        continue;
      }
      CODE_SPECIAL.lastIndex = i;
      const match = CODE_SPECIAL.exec(line);
      if (!match || match.index >= end) break;
      const c = match[0];
      i = match.index;
      if (c === '#') break;
      if (c === '"' || c === "'") {
        quote = line.startsWith(c + c + c, i) ? c + c + c : c;
        i += quote.length;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
      else if (i === end - 1) continued = true;
      i++;
    }
    // A one-quote string ends with its line unless a backslash continues it.
    if (quote.length === 1 && !continued) return undefined;
  }
  if (quote || depth > 0 || continued) return undefined;
  return { starts, kinds, firsts };
}

/**
 * Groups statements (the lines where they start, in order) into segments' first statements:
 * every `def`/`class` (decorators included) on its own, other statements in runs. Statements
 * continuing a compound one (`else:`, `except:`, …) are not statements here.
 */
function groupStarts(lines: string[], statements: number[], indent: number): number[] {
  const groups: number[] = [];
  let previousDecorator = false;
  let previousPlain = false;
  for (const n of statements) {
    const head = lines[n].slice(indent);
    if (CONTINUATION.test(head)) continue;
    const decorator = head.startsWith('@');
    const defLike = DEF_LIKE.test(head);
    if (!previousDecorator && !(previousPlain && !defLike)) groups.push(n);
    previousDecorator = decorator;
    previousPlain = !defLike;
  }
  return groups;
}

/**
 * A statement's segment starts with the blank lines and comments right above it, up to one
 * indented deeper than the statement: that one ends the block before (as the parser has it).
 */
function pullBack(lines: string[], info: LineInfo, line: number, floor: number, indent: number): number {
  let n = line;
  while (n - 1 >= floor && info.starts[n - 1]) {
    const kind = info.kinds[n - 1];
    if (kind === 'code' || (kind === 'comment' && info.firsts[n - 1] > indent)) break;
    n--;
  }
  return n;
}

/**
 * The starts (0-based) of segments from the groups' statement lines and starts, lines up to `end`
 * (exclusive): a big group is a segment of its own, small ones are merged between cuts chosen by
 * the text of the group after the cut.
 */
function mergeSmall(lines: string[], statements: number[], starts: number[], end: number): number[] {
  const size = (i: number) => (starts[i + 1] ?? end) - starts[i];
  const kept: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    if (i === 0 || size(i - 1) >= SMALL_STATEMENT_LINES || size(i) >= SMALL_STATEMENT_LINES || fnv1a(lines[statements[i]]) % CUT_ONE_IN === 0) kept.push(starts[i]);
  }
  return kept;
}

function segmentOf(lines: string[], first: number, last: number): Segment {
  return { startLine: first + 1, endLine: last + 1, text: lines.slice(first, last + 1).join('\n') + (last + 1 < lines.length ? '\n' : '') };
}

/**
 * The segments of a file's lines (split on `\n`, `\r` kept, the last line without its newline
 * if the text has none), in order and covering every line; undefined when the lexer cannot
 * follow the file.
 */
export function pythonSegments(lines: string[]): TopSegment[] | undefined {
  const info = scanLines(lines);
  if (!info) return undefined;
  const statements: number[] = [];
  for (let n = 0; n < lines.length; n++) {
    if (info.starts[n] && info.kinds[n] === 'code' && info.firsts[n] === 0) statements.push(n);
  }
  const groups = groupStarts(lines, statements, 0);
  const groupFirsts = groups.map((line, i) => (i === 0 ? 0 : pullBack(lines, info, line, 0, 0)));
  const starts = mergeSmall(lines, groups, groupFirsts, lines.length);
  if (starts.length === 0) starts.push(0);
  const segments: TopSegment[] = [];
  for (let i = 0; i < starts.length; i++) {
    const last = (starts[i + 1] ?? lines.length) - 1;
    // Only a statement of its own can be a class to cut, not a run of small ones.
    const alone = (groupFirsts[groupFirsts.indexOf(starts[i]) + 1] ?? lines.length) === last + 1;
    const members = alone ? classMembers(lines, info, starts[i], last) : undefined;
    const first = starts[i];
    segments.push(members ? { ...segmentOf(lines, first, members[0].startLine - 2), members } : segmentOf(lines, first, last));
  }
  return segments;
}

/**
 * The members of a long class segment (lines `first..last`, 0-based) past its first body
 * statement, each a segment; undefined when the segment is no such class.
 */
function classMembers(lines: string[], info: LineInfo, first: number, last: number): Segment[] | undefined {
  if (last - first + 1 < SPLIT_CLASS_MIN_LINES) return undefined;
  // The class line: the segment's first top-level statement that is not a decorator.
  let header = -1;
  for (let n = first; n <= last; n++) {
    if (!info.starts[n] || info.kinds[n] !== 'code') continue;
    if (info.firsts[n] !== 0 || lines[n].startsWith('@')) continue;
    if (/^class\b/.test(lines[n])) header = n;
    break;
  }
  if (header < 0) return undefined;
  let body = -1;
  for (let n = header + 1; n <= last; n++) {
    if (info.starts[n] && info.kinds[n] === 'code') {
      body = n;
      break;
    }
  }
  const indent = body >= 0 ? lines[body].slice(0, info.firsts[body]) : '';
  if (!indent) return undefined;
  const statements: number[] = [];
  for (let n = body; n <= last; n++) {
    if (info.starts[n] && info.kinds[n] === 'code' && info.firsts[n] === indent.length && lines[n].startsWith(indent)) statements.push(n);
  }
  const groups = groupStarts(lines, statements, indent.length);
  // The first body statement stays with the class line: a class needs a body to parse.
  const members = groups.filter((line) => line > body);
  const starts = mergeSmall(lines, members, members.map((line) => pullBack(lines, info, line, body + 1, indent.length)), last + 1);
  if (starts.length === 0) return undefined;
  return starts.map((start, i) => segmentOf(lines, start, (starts[i + 1] ?? last + 1) - 1));
}
