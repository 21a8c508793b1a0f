import { describe, expect, test } from 'vitest';
import { HashingEmbedder, l2Normalise } from '../../src/ai/hashing-embedder.ts';
import { fnv1a } from '../../src/fnv.ts';
import { tokenize } from '../../src/index/tokenize.ts';

/** The embedding written plainly (tokens, a Map of counts in first-seen order): what the embedder must give, to the bit. */
function reference(text: string, dims: number): Float32Array {
  const vector = new Float32Array(dims);
  const counts = new Map<number, number>();
  let previous: number | undefined;
  for (const token of tokenize(text)) {
    const hash = fnv1a(token);
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
    if (previous !== undefined) {
      const bigram = (Math.imul(previous ^ 0x9e3779b9, 0x85ebca6b) ^ hash) >>> 0;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 0.5);
    }
    previous = hash;
  }
  for (const [hash, count] of counts) vector[hash % dims] += ((hash >>> 31) === 1 ? -1 : 1) * (1 + Math.log(count));
  return l2Normalise(vector);
}

/** Words from a small vocabulary (repeats), identifiers in every case style, numbers and punctuation. */
function randomText(seed: number, words: number): string {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const vocabulary = ['bulk_create', 'QuerySet', 'batchSize', 'the', 'raise', 'ValueError', 'HTTPServer', '__init__', 'x1', '42', 'naïve', 'ünïcode', 'getHTTPResponseCode'];
  const parts: string[] = [];
  for (let i = 0; i < words; i += 1) {
    // One word in three is new, so long texts have thousands of distinct features.
    parts.push(next() < 0.33 ? `word${Math.floor(next() * 1e6)}` : vocabulary[Math.floor(next() * vocabulary.length)]!);
    parts.push(['(', ') ', '.', ', ', '\n', ' = ', ' '][Math.floor(next() * 7)]!);
  }
  return parts.join('');
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += a[i] * b[i];
  return dot;
}

describe('HashingEmbedder', () => {
  test('deterministic, L2-normalised, of the stated dimension', async () => {
    const embedder = new HashingEmbedder(128);
    const [a, b] = await embedder.embed(['bulk_create ignores batch_size', 'bulk_create ignores batch_size']);
    expect(a).toHaveLength(128);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(await embedder.dimension()).toBe(128);
  });

  test('related code and prose are closer than unrelated text', async () => {
    const embedder = new HashingEmbedder();
    const [issue, code, other] = await embedder.embed([
      'bulk create ignores the batch size argument',
      'def bulk_create(self, objs, batch_size=None): """Insert each of the instances into the database."""',
      'render the repository card with a theme and border colour',
    ]);
    expect(cosine(issue, code)).toBeGreaterThan(cosine(issue, other) + 0.1);
  });

  test('gives exactly the vectors of the plain computation, for short and long texts alike', async () => {
    for (const dims of [16, 256]) {
      const embedder = new HashingEmbedder(dims);
      const texts = ['', 'bulk_create', 'a a a a', ...Array.from({ length: 60 }, (_, i) => randomText(i + 1, 1 + i * 40))];
      const vectors = await embedder.embed(texts);
      texts.forEach((text, i) => expect({ i, vector: Array.from(vectors[i]!) }).toEqual({ i, vector: Array.from(reference(text, dims)) }));
    }
  });

  test('empty text gives a zero vector, not NaN', async () => {
    const [v] = await new HashingEmbedder(16).embed(['']);
    expect(Array.from(v).every((x) => x === 0)).toBe(true);
  });
});
