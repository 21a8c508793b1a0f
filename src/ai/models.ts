import type { Env } from '../config/env.ts';
import type { Embedder } from './embedder.ts';
import { HashingEmbedder } from './hashing-embedder.ts';
import { createChatModel, type ChatModel } from './llm.ts';
import { OpenAIEmbedder } from './openai-embedder.ts';

export interface Models {
  embedder: Embedder;
  chat?: ChatModel;
  /** Names the chat models for cache keys and settings hashes. */
  chatModelId?: string;
}

/** The models the environment asks for; offline (hashing embedder, no chat) when none is configured. */
export function modelsFromEnv(config: Env['model'], options: { offline?: boolean } = {}): Models {
  if (!config || options.offline) return { embedder: new HashingEmbedder() };
  const embedder = config.embeddingModel
    ? new OpenAIEmbedder({ ...config, embeddingModel: config.embeddingModel })
    : new HashingEmbedder();
  const chat = createChatModel(config);
  return {
    embedder,
    chat,
    chatModelId: chat ? `${config.baseUrl ?? 'openai'}:${config.fastModel ?? ''}:${config.strongModel ?? ''}` : undefined,
  };
}
