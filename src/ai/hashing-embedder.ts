import { tokenize } from '../index/tokenize.ts';
import type { Embedder } from './embedder.ts';
import { fnv1a } from '../fnv.ts';

/**
 * Offline default: feature hashing of code-aware tokens and token bigrams into a fixed-size,
 * L2-normalised vector. Deterministic, needs no weights, and is cheaper to recompute than to
 * look up, so it is not cached.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;

  constructor(private readonly dims = 256) {
    this.id = `hashing-v2-${dims}`;
  }

  async dimension(): Promise<number> {
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dims);
    const tokens = tokenize(text);
    // Features are counted by hash: bigrams hash their two tokens' hashes, so no bigram string is built.
    const counts = new Map<number, number>();
    let previous: number | undefined;
    for (const token of tokens) {
      const hash = tokenHash(token);
      counts.set(hash, (counts.get(hash) ?? 0) + 1);
      if (previous !== undefined) {
        // Bigrams carry word order ("bulk create" ≠ "create bulk") at half weight.
        const bigram = (Math.imul(previous ^ 0x9e3779b9, 0x85ebca6b) ^ hash) >>> 0;
        counts.set(bigram, (counts.get(bigram) ?? 0) + 0.5);
      }
      previous = hash;
    }
    for (const [hash, count] of counts) {
      const index = hash % this.dims;
      const sign = (hash >>> 31) === 1 ? -1 : 1;
      // Sublinear term frequency: a word repeated 50 times is not 50 times as telling.
      vector[index] += sign * (1 + Math.log(count));
    }
    return l2Normalise(vector);
  }
}

const hashCache = new Map<string, number>();

function tokenHash(token: string): number {
  let hash = hashCache.get(token);
  if (hash === undefined) {
    hash = fnv1a(token);
    if (hashCache.size > 200_000) hashCache.clear();
    hashCache.set(token, hash);
  }
  return hash;
}

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i += 1) vector[i] /= norm;
  return vector;
}
