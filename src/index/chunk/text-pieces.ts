/**
 * A file's text cut into pieces with the tokens of each, kept between index runs like parsed
 * Python segments (see unit-cache.ts): the file-level token column of a changed file is then
 * assembled from the tokens of its unchanged pieces and only the changed ones are tokenized again.
 * For every file the chunker gives no pieces of its own (docs, config, JavaScript, the tree-sitter
 * languages). On django's 50-commit push the changed docs and scripts took ~75 ms to tokenize whole.
 *
 * Pieces end where the text says, not where the piece began: after a blank line followed by a
 * line whose hash picks it (one in PIECE_CUT_ONE_IN), so an edit changes the pieces around it
 * only; at the latest after PIECE_MAX_LINES lines.
 */
import { fnv1a } from '../../fnv.ts';
import { tokenString } from '../tokenize.ts';
import type { TokenPiece } from '../types.ts';
import { unitKey, type UnitCache } from './unit-cache.ts';

const PIECE_CUT_ONE_IN = 6;
const PIECE_MAX_LINES = 300;

/** The lengths of the text's pieces, in order: each ends with a newline but the last; together they are the text. */
export function pieceLengths(text: string): number[] {
  const lengths: number[] = [];
  let start = 0;
  let lines = 0;
  let previousBlank = false;
  let at = 0;
  while (at < text.length) {
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline + 1;
    const line = text.slice(at, end);
    // A piece ends before this line when the line before it was blank and this one's hash says so.
    if (lines > 0 && ((previousBlank && fnv1a(line) % PIECE_CUT_ONE_IN === 0) || lines >= PIECE_MAX_LINES)) {
      lengths.push(at - start);
      start = at;
      lines = 0;
    }
    previousBlank = line.trim() === '';
    lines += 1;
    at = end;
  }
  if (at > start) lengths.push(at - start);
  return lengths;
}

/** The text's pieces and their tokens, each taken from `cache` when it holds it, and put there either way. */
export function textPieces(path: string, text: string, cache: UnitCache): TokenPiece[] {
  const pieces: TokenPiece[] = [];
  let at = 0;
  for (const chars of pieceLengths(text)) {
    const piece = text.slice(at, at + chars);
    at += chars;
    const key = unitKey('text', 'tokens', piece);
    const tokens = cache.get(key) ?? tokenString(piece);
    cache.put(path, key, tokens);
    pieces.push({ chars, tokens });
  }
  return pieces;
}
