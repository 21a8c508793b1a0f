import type { ClientOptions, OpenAI } from 'openai';

/**
 * An OpenAI SDK client made on first use: the SDK is imported then, not when the process starts
 * (0.1-0.25 s of every CLI run, most of which use no model).
 */
export function lazyOpenAI(options: ClientOptions): () => Promise<OpenAI> {
  let client: Promise<OpenAI> | undefined;
  return () => (client ??= import('openai').then(({ default: SDK }) => new SDK(options)));
}
