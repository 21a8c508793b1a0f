import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CachedEmbedder, type EmbeddingCache } from '../../src/ai/cached-embedder.ts';
import { OpenAIEmbedder } from '../../src/ai/openai-embedder.ts';
import { ModelError } from '../../src/errors.ts';
import { FakeOpenAI } from '../helpers/fake-openai.ts';

function memoryCache(): EmbeddingCache & { size(): number } {
  const map = new Map<string, Float32Array>();
  return {
    size: () => map.size,
    get: async (keys) => new Map(keys.filter((k) => map.has(k)).map((k) => [k, map.get(k)!])),
    put: async (entries) => {
      for (const entry of entries) map.set(entry.key, entry.vector);
    },
  };
}

describe('OpenAIEmbedder against a local OpenAI-compatible server', () => {
  let server: FakeOpenAI;
  let baseUrl: string;
  beforeEach(async () => {
    server = new FakeOpenAI();
    baseUrl = await server.start();
  });
  afterEach(async () => server.stop());

  const make = (timeoutMs = 5_000) =>
    new OpenAIEmbedder({ apiKey: 'k', baseUrl, embeddingModel: 'embed-small', timeoutMs });

  test('batches inputs, keeps order, normalises vectors', async () => {
    const embedder = make();
    const texts = Array.from({ length: 70 }, (_, i) => `text number ${i}`);
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(70);
    expect(server.count('/embeddings')).toBe(2);
    expect(server.requests[0].body).toMatchObject({ model: 'embed-small', encoding_format: 'float' });
    const norm = Math.hypot(...vectors[5]);
    expect(norm).toBeCloseTo(1, 5);
    expect(await embedder.dimension()).toBe(8);
  });

  test('a wrong number of vectors or garbage is a ModelError', async () => {
    server.embeddings = () => ({ vectors: [[1, 2, 3]] });
    await expect(make().embed(['a', 'b'])).rejects.toThrow(ModelError);
    server.embeddings = () => ({ raw: '<html>oops</html>' });
    await expect(make().embed(['a'])).rejects.toThrow(ModelError);
  });

  test('a server error is retried, then reported', async () => {
    let calls = 0;
    server.embeddings = (inputs) => {
      calls += 1;
      return calls === 1 ? { status: 500 } : { vectors: inputs.map(() => [1, 0, 0]) };
    };
    const vectors = await make().embed(['a']);
    expect(vectors[0][0]).toBeCloseTo(1);
    expect(calls).toBe(2);
  });

  test('the cache means the same text is never embedded twice', async () => {
    const cache = memoryCache();
    const embedder = new CachedEmbedder(make(), cache);
    await embedder.embed(['alpha', 'beta', 'alpha']);
    expect(embedder.embeddedCount).toBe(2);
    const again = new CachedEmbedder(make(), cache);
    const [beta, gamma] = await again.embed(['beta', 'gamma']);
    expect(again.embeddedCount).toBe(1);
    expect(beta).toHaveLength(8);
    expect(gamma).toHaveLength(8);
    const sent = server.requests.flatMap((r) => r.body.input as string[]);
    expect(sent.sort()).toEqual(['alpha', 'beta', 'gamma']);
  });
});
