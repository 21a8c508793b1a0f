import type { OpenAI } from 'openai';
import { lazyOpenAI } from './openai-client.ts';
import type { Env } from '../config/env.ts';
import { ModelError } from '../errors.ts';

/** Which model a call needs: the fast one for bulk work (questions, query rewriting), the strong one for judgement. */
export type ModelTier = 'fast' | 'strong';

export interface ChatRequest {
  tier: ModelTier;
  system: string;
  user: string;
  maxTokens: number;
  /** Ask for a JSON object (servers that ignore the hint are still parsed leniently by callers). */
  json?: boolean;
}

export interface ChatResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** The model that answered, when known (shown as the author of a proposal). */
  model?: string;
}

export interface ChatModel {
  /** Whether a model of this tier is configured. */
  has(tier: ModelTier): boolean;
  complete(request: ChatRequest): Promise<ChatResult>;
}

/** Rough token estimate (4 characters a token) for budgeting before a call; usage figures correct it after. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A spending cap for one run: callers check `canSpend` before a call and `record` what it cost. */
export class TokenBudget {
  spent = 0;

  constructor(readonly limit: number) {}

  canSpend(estimate: number): boolean {
    return this.spent + estimate <= this.limit;
  }

  record(tokens: number): void {
    this.spent += tokens;
  }
}

/** Any OpenAI-compatible chat endpoint (OpenAI, Azure, Ollama, vLLM). */
export class OpenAIChatModel implements ChatModel {
  private readonly client: () => Promise<OpenAI>;

  constructor(private readonly config: NonNullable<Env['model']>) {
    this.client = lazyOpenAI({
      apiKey: config.apiKey,
      baseURL: config.baseUrl,
      timeout: config.timeoutMs,
      maxRetries: 2,
    });
  }

  has(tier: ModelTier): boolean {
    return Boolean(this.modelFor(tier));
  }

  private modelFor(tier: ModelTier): string | undefined {
    // A single configured chat model serves both tiers.
    return tier === 'fast'
      ? (this.config.fastModel ?? this.config.strongModel)
      : (this.config.strongModel ?? this.config.fastModel);
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const model = this.modelFor(request.tier);
    if (!model) throw new ModelError(`No ${request.tier} model configured: set SCOUT_${request.tier.toUpperCase()}_MODEL.`);
    let response: OpenAI.Chat.Completions.ChatCompletion;
    try {
      response = await (await this.client()).chat.completions.create({
        model,
        max_tokens: request.maxTokens,
        temperature: 0,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
      });
    } catch (error) {
      throw new ModelError(`The ${request.tier} model (${model}) failed: ${(error as Error).message}`, { cause: error });
    }
    const text = response.choices?.[0]?.message?.content;
    if (typeof text !== 'string') throw new ModelError(`The ${request.tier} model (${model}) returned no message.`);
    return {
      text,
      promptTokens: response.usage?.prompt_tokens ?? estimateTokens(request.system + request.user),
      completionTokens: response.usage?.completion_tokens ?? estimateTokens(text),
      model,
    };
  }
}

export function createChatModel(config: Env['model']): ChatModel | undefined {
  if (!config || !(config.fastModel ?? config.strongModel)) return undefined;
  return new OpenAIChatModel(config);
}

/** Pulls the first JSON object out of a model's answer (models wrap JSON in prose or code fences). */
export function extractJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) throw new ModelError('The model answer holds no JSON object.');
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new ModelError(`The model answer is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
