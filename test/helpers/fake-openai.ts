import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
}

export type ChatHandler = (body: Record<string, unknown>) => { status?: number; content?: string; raw?: string; delayMs?: number };
export type EmbeddingHandler = (inputs: string[]) => { status?: number; vectors?: number[][]; raw?: string; delayMs?: number };

/**
 * A real HTTP server on 127.0.0.1 standing in for an OpenAI-compatible API, so model paths are
 * tested over the wire (the openai SDK, retries, timeouts) without leaving the machine.
 */
export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  chat: ChatHandler = () => ({ content: '{}' });
  embeddings: EmbeddingHandler = (inputs) => ({ vectors: inputs.map((text) => simpleVector(text)) });
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path.endsWith(path)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const path = req.url ?? '';
    this.requests.push({ path, body });
    const send = (status: number, payload: string) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload);
    };
    if (path.endsWith('/chat/completions')) {
      const answer = this.chat(body);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (answer.raw !== undefined) return send(answer.status ?? 200, answer.raw);
      if (answer.status && answer.status >= 400) return send(answer.status, JSON.stringify({ error: { message: 'fake failure' } }));
      return send(
        200,
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 0,
          model: String(body.model),
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer.content ?? '' } }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        }),
      );
    }
    if (path.endsWith('/embeddings')) {
      const input = body.input;
      const inputs = Array.isArray(input) ? input.map(String) : [String(input)];
      const answer = this.embeddings(inputs);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (answer.raw !== undefined) return send(answer.status ?? 200, answer.raw);
      if (answer.status && answer.status >= 400) return send(answer.status, JSON.stringify({ error: { message: 'fake failure' } }));
      return send(
        200,
        JSON.stringify({
          object: 'list',
          model: String(body.model),
          data: (answer.vectors ?? []).map((embedding, index) => ({ object: 'embedding', index, embedding })),
          usage: { prompt_tokens: 10, total_tokens: 10 },
        }),
      );
    }
    send(404, JSON.stringify({ error: { message: `unexpected path ${path}` } }));
  }
}

/** A deterministic 8-dimensional vector so tests can tell texts apart. */
export function simpleVector(text: string): number[] {
  const vector = new Array<number>(8).fill(0);
  for (let i = 0; i < text.length; i += 1) vector[i % 8] += text.charCodeAt(i) / 1000;
  vector[0] += 1;
  return vector;
}
