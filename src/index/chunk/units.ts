/**
 * What parsing one piece of a file (a "unit": the whole file, or one segment of it) yields, and
 * how a file's result is assembled from its units. A unit's result depends on its text only, with
 * lines counted from the unit's first line, so it can be cached and reused wherever that text
 * appears; assembly shifts it to the unit's place in the file and derives what needs the whole
 * file (chunk text, the file's leading comment, top-level blocks).
 */
import type { ChunkedFile, WalkedFile } from '../types.ts';
import { byPosition, commentStyleOf, fileLeadingComment, markCovered, type MemberSpan, symbolChunks, type SymbolInput, topLevelBlocks } from './windows.ts';

/** A symbol found in a unit: everything its chunks need but the lines and the file. */
export type UnitSymbol = Omit<SymbolInput, 'path' | 'language'>;

export interface UnitResult {
  symbols: UnitSymbol[];
  /** Names of the file-level symbols, in order. */
  topSymbols: string[];
  /** Import specifiers, deduplicated, in document order. */
  imports: string[];
  /** Line ranges (1-based, inclusive) that belong to a symbol, an import or a docstring. */
  covered: Array<[number, number]>;
  /** The unit's first statement, when it is a string (the module docstring of a file's first unit). */
  docstring?: { text: string; startLine: number; endLine: number };
  /** `tokenString` of the unit's text (set by the caller that caches units: see `pieces`). */
  tokens?: string;
  /** The parse tree had errors: a file with such a unit is parsed whole. */
  hasError: boolean;
  /** A class header (a long class cut at its members): the index in `symbols` of the class, whose end and members the member units complete. */
  openClass?: number;
  /** A unit of class members: the members' spans, and the last line of the members' code. */
  spans?: MemberSpan[];
  end?: number;
}

/** A unit's result placed in the file: `offset` lines after the file's first line. */
export interface PlacedUnit {
  result: UnitResult;
  offset: number;
}

function shiftSpan(span: MemberSpan, by: number): void {
  span.startLine += by;
  span.endLine += by;
  span.bodyStartLine += by;
}

/** Moves every line of a unit's result by `by`, in place. */
export function shiftUnitResult(result: UnitResult, by: number): void {
  for (const symbol of result.symbols) {
    symbol.startLine += by;
    symbol.endLine += by;
    for (const span of symbol.members) shiftSpan(span, by);
  }
  for (const range of result.covered) {
    range[0] += by;
    range[1] += by;
  }
  for (const span of result.spans ?? []) shiftSpan(span, by);
  if (result.end !== undefined) result.end += by;
  if (result.docstring) {
    result.docstring.startLine += by;
    result.docstring.endLine += by;
  }
}

/**
 * The file's chunks, doc, symbols and imports from its units, in document order. Member units
 * follow the header unit of their class and extend it: the class ends where its last member
 * unit's code ends, and its members are all of theirs. The units' results are moved into the
 * file's (their lines shifted in place): pass results of their own, not shared ones.
 */
export function assembleUnits(file: WalkedFile, lines: string[], units: PlacedUnit[]): ChunkedFile {
  const style = commentStyleOf(file.language);
  const covered = new Uint8Array(lines.length + 2);
  const symbols: UnitSymbol[] = [];
  const topSymbols: string[] = [];
  const imports: string[] = [];
  const classes: UnitSymbol[] = [];
  let openClass: UnitSymbol | undefined;
  for (const { result, offset } of units) {
    shiftUnitResult(result, offset);
    for (const [start, end] of result.covered) markCovered(covered, start, end);
    topSymbols.push(...result.topSymbols);
    imports.push(...result.imports);
    symbols.push(...result.symbols);
    if (result.spans) {
      if (!openClass) throw new Error('a unit of class members without its class');
      openClass.members.push(...result.spans);
      if (result.end !== undefined) openClass.endLine = Math.max(openClass.endLine, result.end);
    } else {
      openClass = result.openClass === undefined ? undefined : result.symbols[result.openClass];
      if (openClass) classes.push(openClass);
    }
  }
  // A class cut at its members covers its lines up to its last member's.
  for (const symbol of classes) markCovered(covered, symbol.startLine, symbol.endLine);
  const chunks = symbols.flatMap((symbol) => symbolChunks(lines, { ...symbol, path: file.path, language: file.language }));

  let doc = '';
  const docstring = units[0]?.result.docstring;
  if (docstring) {
    doc = docstring.text;
    markCovered(covered, docstring.startLine, docstring.endLine);
  }
  const header = fileLeadingComment(lines, style);
  if (header) markCovered(covered, header.startLine, header.endLine);
  if (!doc) doc = header?.text ?? '';

  chunks.push(...topLevelBlocks(file, lines, covered));
  chunks.sort(byPosition);
  return { chunks, doc, symbols: topSymbols, imports: [...new Set(imports)] };
}
