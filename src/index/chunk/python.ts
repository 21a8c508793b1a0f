/**
 * Python chunking by segments: the file is cut into top-level segments (long classes further at
 * their members, see python-segments.ts), each parsed on its own, and the file's result is
 * assembled from theirs. A full and an incremental run do exactly this; the incremental one takes
 * the results of unchanged segments from a cache instead of parsing them again. A file the lexer
 * cannot follow, or with a segment that does not parse cleanly, is parsed whole.
 */
import { tokenString } from '../tokenize.ts';
import type { ChunkedFile, TokenPiece, WalkedFile } from '../types.ts';
import { pythonSegments } from './python-segments.ts';
import { chunkWhole, parseUnit, type UnitOptions, type UnitParser, unitParser } from './tree-sitter.ts';
import { unitKey, type UnitCache } from './unit-cache.ts';
import { assembleUnits, type PlacedUnit, type UnitResult } from './units.ts';
import { splitLines } from './windows.ts';

/** How much of the file a unit's text is. */
interface Piece {
  chars: number;
  lines: number;
}

/** A file with fewer lines than this is parsed whole: re-parsing it costs little, cutting it more than that saves. */
const SEGMENT_MIN_FILE_LINES = 100;

function modeOf(options: UnitOptions): string {
  if (options.membersOf !== undefined) return `members:${options.membersOf}`;
  return options.classHeader ? 'class-header' : 'top';
}

/** A unit's result, from the cache when it holds the unit's key. */
function unitResult(unit: UnitParser, path: string, text: string, options: UnitOptions, cache: UnitCache | undefined): UnitResult | undefined {
  if (!cache) return parseUnit(unit, text, options);
  const key = unitKey(unit.language, modeOf(options), text);
  const cached = cache.get(key);
  if (cached !== undefined) {
    cache.put(path, key, cached);
    return JSON.parse(cached) as UnitResult;
  }
  const result = parseUnit(unit, text, options);
  if (result) {
    // Tokenized once with the parse: later runs assemble the file's token column from the pieces.
    result.tokens = tokenString(text);
    cache.put(path, key, JSON.stringify(result));
  }
  return result;
}

/** The file's units in order (with the length of each one's text), or undefined when one did not parse cleanly (the file is then parsed whole). */
function segmentUnits(unit: UnitParser, file: WalkedFile, cache: UnitCache | undefined): Array<PlacedUnit & Piece> | undefined {
  const lines = file.text.split('\n');
  if (lines.length < SEGMENT_MIN_FILE_LINES) return undefined;
  const segments = pythonSegments(lines);
  // One segment is the whole file.
  if (!segments || (segments.length === 1 && !segments[0].members)) return undefined;
  const placed: Array<PlacedUnit & Piece> = [];
  for (const segment of segments) {
    const header = unitResult(unit, file.path, segment.text, { classHeader: segment.members !== undefined }, cache);
    if (!header || header.hasError) return undefined;
    placed.push({ result: header, offset: segment.startLine - 1, chars: segment.text.length, lines: segment.endLine - segment.startLine + 1 });
    if (!segment.members) continue;
    const open = header.openClass === undefined ? undefined : header.symbols[header.openClass];
    if (!open) return undefined;
    for (const member of segment.members) {
      const result = unitResult(unit, file.path, member.text, { membersOf: open.name }, cache);
      if (!result || result.hasError) return undefined;
      placed.push({ result, offset: member.startLine - 1, chars: member.text.length, lines: member.endLine - member.startLine + 1 });
    }
  }
  return placed;
}

/** Chunks a Python file; undefined when the grammar is unavailable. */
export async function chunkPython(file: WalkedFile, cache?: UnitCache): Promise<ChunkedFile | undefined> {
  const unit = await unitParser('python');
  if (!unit) return undefined;
  // Synchronous from here on: the parser is shared.
  const units = segmentUnits(unit, file, cache);
  if (!units) return chunkWhole(unit, file);
  const pieces = tokenPieces(units, file.text.length);
  // Before assembly, which takes the units' results over.
  const chunked = assembleUnits(file, splitLines(file.text), units);
  return pieces ? { ...chunked, pieces } : chunked;
}

/** The units' texts and tokens as pieces of the file, when every unit has its tokens and together they are the whole text. */
function tokenPieces(units: Array<PlacedUnit & Piece>, length: number): TokenPiece[] | undefined {
  const pieces: TokenPiece[] = [];
  let chars = 0;
  let line = 0;
  for (const { result, offset, chars: unitChars, lines } of units) {
    if (result.tokens === undefined || offset !== line) return undefined;
    pieces.push({ chars: unitChars, tokens: result.tokens });
    chars += unitChars;
    line += lines;
  }
  return chars === length ? pieces : undefined;
}
