import { describe, expect, test } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';

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

  test('empty text gives a zero vector, not NaN', async () => {
    const [v] = await new HashingEmbedder(16).embed(['']);
    expect(Array.from(v).every((x) => x === 0)).toBe(true);
  });
});
