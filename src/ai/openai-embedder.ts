import type { OpenAI } from 'openai';
import { lazyOpenAI } from './openai-client.ts';
import type { Env } from '../config/env.ts';
import { ModelError } from '../errors.ts';
import type { Embedder } from './embedder.ts';
import { l2Normalise } from './hashing-embedder.ts';

const BATCH_SIZE = 64;
/** Embedding inputs are cut to roughly 2,000 tokens; the head of a chunk says what it is. */
const MAX_INPUT_CHARS = 8000;

/** `SCOUT_EMBEDDING_MODEL` at `OPENAI_BASE_URL`, batched; the SDK retries 429/5xx with backoff. */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  private readonly client: () => Promise<OpenAI>;
  private knownDimension: number | undefined;

  constructor(config: NonNullable<Env['model']> & { embeddingModel: string }) {
    this.id = `openai-${config.embeddingModel}`;
    this.model = config.embeddingModel;
    this.client = lazyOpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl, timeout: config.timeoutMs, maxRetries: 3 });
  }

  private readonly model: string;

  async dimension(): Promise<number> {
    if (this.knownDimension === undefined) await this.embed(['dimension probe']);
    return this.knownDimension as number;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      const batch = texts.slice(start, start + BATCH_SIZE).map((text) => text.slice(0, MAX_INPUT_CHARS) || ' ');
      vectors.push(...(await this.embedBatch(batch)));
    }
    return vectors;
  }

  private async embedBatch(batch: string[]): Promise<Float32Array[]> {
    let response: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      response = await (await this.client()).embeddings.create({ model: this.model, input: batch, encoding_format: 'float' });
    } catch (error) {
      throw new ModelError(`Embedding model ${this.model} failed: ${(error as Error).message}`, { cause: error });
    }
    const data = Array.isArray(response?.data) ? response.data : [];
    if (data.length !== batch.length) {
      throw new ModelError(`Embedding model ${this.model} returned ${data.length} vectors for ${batch.length} inputs.`);
    }
    const ordered = [...data].sort((a, b) => a.index - b.index);
    return ordered.map((item) => {
      const values = item.embedding;
      if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new ModelError(`Embedding model ${this.model} returned a malformed vector.`);
      }
      this.knownDimension ??= values.length;
      if (values.length !== this.knownDimension) {
        throw new ModelError(`Embedding model ${this.model} changed vector length (${this.knownDimension} → ${values.length}).`);
      }
      return l2Normalise(Float32Array.from(values));
    });
  }
}
