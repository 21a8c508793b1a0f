/** Turns texts into vectors. Two implementations: hashing (offline default) and OpenAI-compatible. */
export interface Embedder {
  /** Identifies the model and its settings; a change forces a full re-index. */
  readonly id: string;
  /** Vector length; known up front for hashing, after the first call for remote models. */
  dimension(): Promise<number>;
  embed(texts: string[]): Promise<Float32Array[]>;
}
