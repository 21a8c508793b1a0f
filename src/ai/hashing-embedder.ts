import { forEachWord, wordTokenHashes } from '../index/tokenize.ts';
import type { Embedder } from './embedder.ts';

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
    // Features are counted by hash: bigrams hash their two tokens' hashes, so no bigram string is built.
    const counts = featureCounts;
    counts.clear();
    let previous = -1;
    forEachWord(text, (word) => {
      // Indexed loops here and below: a short run executes this before V8 optimizes it, and an
      // iterator per word is then a real allocation.
      const hashes = wordTokenHashes(word);
      for (let i = 0; i < hashes.length; i += 1) {
        const hash = hashes[i]!;
        counts.add(hash, 1);
        if (previous >= 0) {
          // Bigrams carry word order ("bulk create" ≠ "create bulk") at half weight.
          counts.add((Math.imul(previous ^ 0x9e3779b9, 0x85ebca6b) ^ hash) >>> 0, 0.5);
        }
        previous = hash;
      }
    });
    // In the order features were first seen: the float32 sums below are then always the same.
    counts.forEach((hash, count) => {
      const index = hash % this.dims;
      const sign = (hash >>> 31) === 1 ? -1 : 1;
      // Sublinear term frequency: a word repeated 50 times is not 50 times as telling.
      vector[index] += sign * (1 + Math.log(count));
    });
    return l2Normalise(vector);
  }
}

/**
 * Counts per feature hash, in the order the hashes were first added: a Map<number, number> with
 * that order, as an open-addressing table in typed arrays reused from text to text (several
 * times faster than a Map for the few hundred features of a text).
 */
class FeatureCounts {
  private keys = new Uint32Array(1024);
  private values = new Float64Array(1024);
  /** 1 for a taken slot, 0 for an empty one. */
  private used = new Uint8Array(1024);
  private order: number[] = [];

  clear(): void {
    const order = this.order;
    for (let i = 0; i < order.length; i += 1) this.used[order[i]!] = 0;
    order.length = 0;
  }

  add(key: number, amount: number): void {
    if ((this.order.length + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    while (this.used[slot] !== 0) {
      if (this.keys[slot] === key) {
        this.values[slot] += amount;
        return;
      }
      slot = (slot + 1) & mask;
    }
    this.used[slot] = 1;
    this.keys[slot] = key;
    this.values[slot] = amount;
    this.order.push(slot);
  }

  forEach(visit: (key: number, value: number) => void): void {
    const order = this.order;
    for (let i = 0; i < order.length; i += 1) visit(this.keys[order[i]!]!, this.values[order[i]!]!);
  }

  private grow(): void {
    const entries = this.order.map((slot) => [this.keys[slot]!, this.values[slot]!] as const);
    const size = this.keys.length * 2;
    this.keys = new Uint32Array(size);
    this.values = new Float64Array(size);
    this.used = new Uint8Array(size);
    this.order = [];
    for (const [key, value] of entries) this.add(key, value);
  }
}

const featureCounts = new FeatureCounts();

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i += 1) vector[i] /= norm;
  return vector;
}
