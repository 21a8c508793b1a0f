import { describe, expect, test } from 'vitest';
import { fileQuestions, identifierWords, offlineChunkQuestions, raisedMessages } from '../../src/index/questions.ts';
import type { Chunk } from '../../src/index/types.ts';

const chunk = (overrides: Partial<Chunk>): Chunk => ({
  path: 'shop/pricing.py',
  language: 'python',
  name: 'Cart.apply_discount',
  kind: 'method',
  startLine: 10,
  endLine: 20,
  text: '',
  doc: '',
  signature: 'def apply_discount(self, coupon, stacked=False):',
  ...overrides,
});

describe('raisedMessages', () => {
  test('finds what code raises, throws, logs and warns, in several languages', () => {
    const python = `raise ValueError("Coupons cannot be stacked more than %d times" % n)\nlogger.warning('Discount %s ignored', c)\nraise ValidationError(_("Enter a valid coupon code."))`;
    expect(raisedMessages(python)).toEqual(['Coupons cannot be stacked more than … times', 'Discount … ignored', 'Enter a valid coupon code.']);
    expect(raisedMessages('throw new TypeError(`Invalid theme ${name} given`);')).toEqual(['Invalid theme … given']);
    expect(raisedMessages('return fmt.Errorf("unknown flag: %s", f)')).toEqual(['unknown flag: …']);
    expect(raisedMessages('panic!("index out of bounds in buffer")')).toEqual(['index out of bounds in buffer']);
    expect(raisedMessages('console.error("Failed to fetch user data")')).toEqual(['Failed to fetch user data']);
    expect(raisedMessages('x = "just a string literal here"')).toEqual([]);
  });
});

describe('offline questions', () => {
  test('a chunk gets questions from its messages, doc and name, at most five', () => {
    const questions = offlineChunkQuestions(
      chunk({
        doc: 'Apply a coupon to the cart total. Coupons may stack.',
        text: 'def apply_discount(self, coupon, stacked=False):\n    raise ValueError("Coupon already applied to this cart")',
      }),
      'shop/pricing.py#Cart.apply_discount',
    );
    const texts = questions.map((q) => q.text);
    expect(texts).toContain('Coupon already applied to this cart');
    expect(texts).toContain('Apply a coupon to the cart total.');
    expect(texts).toContain('How does cart apply discount work?');
    expect(questions.length).toBeGreaterThanOrEqual(3);
    expect(questions.length).toBeLessThanOrEqual(5);
    expect(questions.every((q) => q.chunkId === 'shop/pricing.py#Cart.apply_discount' && q.path === 'shop/pricing.py')).toBe(true);
    expect(questions.find((q) => q.text.startsWith('Coupon already'))?.source).toBe('message');
  });

  test('a file gets questions from its path, doc and symbols', () => {
    const texts = fileQuestions({ path: 'src/cards/repo-card.js', doc: 'Renders the pinned repository card.', symbols: ['renderRepoCard'] }).map((q) => q.text);
    expect(texts).toEqual([
      'Where is src cards repo card handled?',
      'Renders the pinned repository card.',
      'src cards repo card: render repo card',
    ]);
  });

  test('identifierWords', () => {
    expect(identifierWords('QuerySet.bulk_create')).toBe('query set bulk create');
    expect(identifierWords('parseHTTPResponse')).toBe('parse http response');
  });
});

describe('model questions under a token budget', () => {
  test('batches stop when the budget would be exceeded; the rest keep offline questions', async () => {
    const { FakeOpenAI } = await import('../helpers/fake-openai.ts');
    const { OpenAIChatModel, TokenBudget } = await import('../../src/ai/llm.ts');
    const { modelChunkQuestions } = await import('../../src/index/questions.ts');
    const { log } = await import('../../src/log.ts');
    const server = new FakeOpenAI();
    const baseUrl = await server.start();
    try {
      server.chat = (body) => {
        const ids = [...String((body.messages as Array<{ content: string }>)[1].content).matchAll(/### id: (c\d+)/g)].map((m) => m[1]);
        return { content: JSON.stringify({ items: ids.map((id) => ({ id, questions: [`question for ${id}`] })) }) };
      };
      const chunks = Array.from({ length: 35 }, (_, i) => chunk({ name: `fn_${i}`, startLine: i * 10 + 1, text: `def fn_${i}():\n    return ${i}\n` }));
      const memory = new Map<string, string[]>();
      const cache = {
        get: async (keys: string[]) => new Map(keys.filter((k) => memory.has(k)).map((k) => [k, memory.get(k)!])),
        put: async (entries: Array<{ key: string; questions: string[] }>) => {
          for (const entry of entries) memory.set(entry.key, entry.questions);
        },
      };
      const model = new OpenAIChatModel({ apiKey: 'k', baseUrl, fastModel: 'fast', timeoutMs: 2_000 });
      // A batch of 10 is estimated at ~1,500 tokens before the call and costs 150 (the fake's usage): room for two.
      const budget = new TokenBudget(1_750);
      const result = await modelChunkQuestions(chunks, { model, modelId: 'fast', budget, cache, logger: log });
      expect(server.count('/chat/completions')).toBe(2);
      expect(result.byChunk.size).toBe(20);
      expect(result.warnings.join()).toMatch(/budget reached/);
      expect(budget.spent).toBe(300);
      // A second run asks nothing for what it already has.
      const again = await modelChunkQuestions(chunks.slice(0, 20), { model, modelId: 'fast', budget: new TokenBudget(100_000), cache, logger: log });
      expect(again.fromCache).toBe(20);
      expect(server.count('/chat/completions')).toBe(2);
    } finally {
      await server.stop();
    }
  });
});
