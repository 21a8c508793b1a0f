/**
 * Splits a walked file into chunks: symbols for code (ts-morph for TS/JS, tree-sitter for the
 * other languages), line windows for docs and config. Never throws: whatever goes wrong with a
 * parser, the file is still indexed as line windows.
 */
import { log } from '../../log.ts';
import type { ChunkedFile, Language, WalkedFile } from '../types.ts';
import { chunkPython } from './python.ts';
import { chunkTreeSitter, isTreeSitterLanguage, loadGrammar } from './tree-sitter.ts';
import { textPieces } from './text-pieces.ts';
import { chunkTypeScript, loadTypeScriptCompiler } from './typescript.ts';
import type { UnitCache } from './unit-cache.ts';
import { windowChunks } from './windows.ts';

export { MAX_CHUNK_CHARS } from './windows.ts';

const EMPTY: ChunkedFile = { chunks: [], doc: '', symbols: [], imports: [] };

const TYPESCRIPT_LANGUAGES = new Set<Language>(['typescript', 'tsx', 'javascript']);

async function parseCode(file: WalkedFile, cache: UnitCache | undefined): Promise<ChunkedFile | undefined> {
  switch (file.language) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return chunkTypeScript(file);
    case 'python':
      return chunkPython(file, cache);
    default:
      if (isTreeSitterLanguage(file.language)) return chunkTreeSitter({ ...file, language: file.language });
      return undefined;
  }
}

/** Starts loading the parsers these languages need, so loading them overlaps other work (git, reads). */
export function warmParsers(languages: Iterable<Language>): void {
  for (const language of new Set(languages)) {
    if (isTreeSitterLanguage(language)) void loadGrammar(language);
    // The TypeScript compiler (~0.1 s with its code cache, ~0.3 s without) loads on the next turn,
    // once the caller's git and LanceDB work has started. A failed load surfaces (and is handled)
    // when a file needs the chunker.
    else if (TYPESCRIPT_LANGUAGES.has(language)) {
      setImmediate(() => {
        try {
          loadTypeScriptCompiler();
        } catch {
          // See above.
        }
      });
    }
  }
}

/**
 * Chunks a file. `cache` holds parsed segments of earlier runs (Python) and the tokens of pieces of
 * other files' text: those whose text is unchanged are taken from it rather than parsed or
 * tokenized again, and every segment or piece of the file is put in it.
 */
export async function chunkFile(file: WalkedFile, cache?: UnitCache): Promise<ChunkedFile> {
  const safe: WalkedFile = typeof file.text === 'string' ? file : { ...file, text: String(file.text ?? '') };
  let parsed: ChunkedFile | undefined;
  try {
    parsed = await parseCode(safe, cache);
  } catch (error) {
    log.debug({ path: safe.path, language: safe.language, err: error }, 'parser failed; indexing the file as line windows');
  }
  try {
    let chunked = parsed ?? windowChunks(safe);
    // A file with content but no symbol or block (a few imports, a two-line script) still gets
    // one findable chunk; its doc and imports from the parse are kept.
    if (parsed && !parsed.chunks.length && safe.text.trim()) chunked = { ...parsed, chunks: windowChunks(safe).chunks };
    // The text's tokens in cached pieces, where the chunker kept none of its own (see text-pieces.ts).
    if (cache && !chunked.pieces) chunked = { ...chunked, pieces: textPieces(safe.path, safe.text, cache) };
    return chunked;
  } catch (error) {
    log.warn({ path: safe.path, err: error }, 'could not chunk file');
    return { ...EMPTY, chunks: [] };
  }
}
