import { createHash } from 'node:crypto';
import type { Embedder } from './embedder.ts';

/** Where vectors of already-embedded texts are kept (the store's `embed_cache` table). */
export interface EmbeddingCache {
  get(keys: string[]): Promise<Map<string, Float32Array>>;
  put(entries: Array<{ key: string; vector: Float32Array }>): Promise<void>;
}

export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * Wraps a paid embedder so that the same text is never embedded twice, across commits and runs:
 * vectors are keyed by a hash of the model id and the text.
 */
export class CachedEmbedder implements Embedder {
  readonly id: string;
  /** How many texts were actually sent to the model (the rest came from the cache or were duplicates). */
  embeddedCount = 0;

  constructor(
    private readonly inner: Embedder,
    private readonly cache: EmbeddingCache,
  ) {
    this.id = inner.id;
  }

  /** Probes through the cache, so a paid model is asked its vector length once, not every run. */
  async dimension(): Promise<number> {
    const [probe] = await this.embed(['dimension probe']);
    return probe.length;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const keys = texts.map((text) => contentHash(`${this.inner.id}\n${text}`));
    const known = await this.cache.get([...new Set(keys)]);
    const missing = new Map<string, string>();
    keys.forEach((key, i) => {
      if (!known.has(key)) missing.set(key, texts[i]);
    });
    if (missing.size > 0) {
      const missingKeys = [...missing.keys()];
      const vectors = await this.inner.embed([...missing.values()]);
      this.embeddedCount += vectors.length;
      const entries = missingKeys.map((key, i) => ({ key, vector: vectors[i] }));
      await this.cache.put(entries);
      for (const entry of entries) known.set(entry.key, entry.vector);
    }
    return keys.map((key) => known.get(key) as Float32Array);
  }
}
