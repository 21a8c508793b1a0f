/**
 * Code-aware tokens shared by the index (full-text columns, hashing embedder) and retrieval,
 * so a query and a document are always cut the same way.
 *
 * `QuerySet.bulk_create` → `queryset`, `query`, `set`, `bulk_create`, `bulk`, `create`:
 * the whole identifier keeps exact matches strong, its parts let prose ("bulk create") match code.
 */
import { fnv1a } from '../fnv.ts';

const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does doing done for from had has have how i if in into is it its ' +
    'me my no not of on or our so such than that the their them then there these they this those to too up us was we ' +
    'were what when where which while who why will with would you your should shall may might must also just only very ' +
    'get got any all some more most other same own both each few here out over under again further once am being ' +
    // Code noise that matches everything.
    'self this return def var let const function new true false none null undefined'
  ).split(' '),
);

const CAMEL_PARTS = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;

/** Light suffix stripping so `raises`/`raised`/`raising` and `queries`/`query` meet; not a full stemmer. */
export function stem(word: string): string {
  if (word.length <= 4) return word;
  let base = word;
  if (base.endsWith('ies') && base.length > 5) base = `${base.slice(0, -3)}y`;
  else if (base.endsWith('sses')) base = base.slice(0, -2);
  else if (base.endsWith('ing') && base.length > 6) base = base.slice(0, -3);
  else if (base.endsWith('ed') && base.length > 5 && !base.endsWith('eed')) base = base.slice(0, -2);
  else if (/(?:ch|sh|x|z|ss)es$/.test(base)) base = base.slice(0, -2);
  else if (base.endsWith('s') && !/(?:ss|us|is)$/.test(base)) base = base.slice(0, -1);
  // A final `e` goes too, so `raise`, `raised`, `raising` and `raises` all meet at `rais`.
  if (base.length > 4 && base.endsWith('e')) base = base.slice(0, -1);
  return base;
}

function pushToken(out: string[], raw: string): void {
  const lower = raw.toLowerCase();
  if (lower.length < 2 || lower.length > 60 || STOPWORDS.has(lower)) return;
  out.push(stem(lower));
}

/**
 * What is known of a distinct word: its tokens, and once asked for (by the hashing embedder) their
 * FNV-1a hashes. Words repeat endlessly in code; splitting each distinct word once makes tokenizing
 * several times faster, and one cache serves both uses.
 */
interface WordEntry {
  readonly tokens: readonly string[];
  hashes?: readonly number[];
}

const wordCache = new Map<string, WordEntry>();
const WORD_CACHE_LIMIT = 200_000;

function wordEntry(word: string): WordEntry {
  const cached = wordCache.get(word);
  if (cached) return cached;
  const out: string[] = [];
  const trimmed = word.replace(/^_+|_+$/g, '');
  if (trimmed.length > 0) {
    const parts: string[] = [];
    for (const snakePart of trimmed.split(/_+/)) {
      if (!snakePart) continue;
      const camel = snakePart.match(CAMEL_PARTS);
      if (camel && camel.length > 1) parts.push(...camel);
      else parts.push(snakePart);
    }
    if (parts.length > 1) pushToken(out, trimmed);
    for (const part of parts) pushToken(out, part);
  }
  if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.clear();
  // Both fields from the start: one object shape for every entry.
  const entry: WordEntry = { tokens: out, hashes: undefined };
  wordCache.set(word, entry);
  return entry;
}

/** A word's tokens (see `tokenize`), the same array each time for the same word: never to be modified. */
export function wordTokens(word: string): readonly string[] {
  return wordEntry(word).tokens;
}

/** The FNV-1a hash of each of a word's tokens, the same array each time for the same word: never to be modified. */
export function wordTokenHashes(word: string): readonly number[] {
  const entry = wordEntry(word);
  entry.hashes ??= entry.tokens.map((token) => fnv1a(token));
  return entry.hashes;
}

const isWordStart = (code: number): boolean => (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/**
 * Calls `onWord` with each word of `text` in order: those of `WORD` (`[A-Za-z_][A-Za-z0-9_]*|[0-9]+`),
 * found by a scan over char codes (about twice as fast as `matchAll` on source files).
 */
export function forEachWord(text: string, onWord: (word: string) => void): void {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    let end: number;
    if (isWordStart(code)) {
      end = i + 1;
      while (end < length) {
        const next = text.charCodeAt(end);
        if (!isWordStart(next) && !isDigit(next)) break;
        end += 1;
      }
    } else if (isDigit(code)) {
      end = i + 1;
      while (end < length && isDigit(text.charCodeAt(end))) end += 1;
    } else {
      i += 1;
      continue;
    }
    onWord(text.slice(i, end));
    i = end;
  }
}

/** Splits text into code-aware tokens (lowercased, lightly stemmed, stopwords dropped), word by word. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  forEachWord(text, (word) => {
    // An indexed loop: see HashingEmbedder.embedOne.
    const tokens = wordTokens(word);
    for (let i = 0; i < tokens.length; i += 1) out.push(tokens[i]!);
  });
  return out;
}

/** Tokens joined by spaces: what the full-text columns hold, indexed with a whitespace tokenizer. */
export function tokenString(text: string): string {
  return tokenize(text).join(' ');
}
