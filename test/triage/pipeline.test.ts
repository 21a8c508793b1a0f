import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';
import { OpenAIChatModel } from '../../src/ai/llm.ts';
import { indexRepository } from '../../src/index/indexer.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import { DEFAULT_STAGES, runPipeline, type PipelineOptions, type StageImplementations } from '../../src/triage/pipeline.ts';
import type { TriageState } from '../../src/triage/state.ts';
import { triage } from '../../src/triage/triage.ts';
import { FakeOpenAI } from '../helpers/fake-openai.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { SHOP_FILES } from '../fixtures/shop.ts';

const ADA = { name: 'Ada Lovelace', email: 'ada@example.com' };

const files: Record<string, string> = {
  ...SHOP_FILES,
  'tests/test_pricing.py': `from shop.pricing import cart_total


def test_total_without_coupon():
    assert cart_total([]) == 0
`,
};

const ISSUE = {
  repo: 'acme/shop',
  number: 7,
  title: 'cart_total goes negative with a big coupon',
  body: 'With SAVE500 on a 20 dollar cart, `cart_total` returns -480. The total should never be below zero.',
};

let repo: FixtureRepo;
let dataDir: string;
let store: RepoStore;
let head: string;

beforeAll(async () => {
  repo = await makeRepo([
    { files, message: 'Add the shop', author: ADA },
    { files: { 'shop/pricing.py': `${files['shop/pricing.py']}\n# totals are in dollars\n` }, message: 'Document totals (#3)', author: ADA },
  ]);
  head = repo.shas[1];
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-pipeline-'));
  await indexRepository({ repoPath: repo.dir, repoId: 'acme/shop', dataDir, lancedbUri: path.join(dataDir, 'lancedb'), limits: { maxFiles: 1000, maxFileBytes: 1e6, maxTotalBytes: 1e8 }, historyCommits: 100, embedder: new HashingEmbedder() });
  store = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
  const meta = await store.readMeta();
  await store.pinTo(meta!);
}, 60_000);

afterAll(async () => {
  store?.close();
  await repo?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Wraps the real stages so a test can count calls and make one throw. */
function countingStages(failOnce: Partial<Record<keyof StageImplementations, string>> = {}) {
  const calls: Record<string, number> = { understand: 0, locate: 0, related: 0, propose: 0 };
  const pendingFailures = { ...failOnce };
  const wrap = <K extends keyof StageImplementations>(name: K): StageImplementations[K] =>
    (async (arg: never) => {
      calls[name] += 1;
      const failure = pendingFailures[name];
      if (failure) {
        delete pendingFailures[name];
        throw new Error(failure);
      }
      return (DEFAULT_STAGES[name] as (a: never) => Promise<unknown>)(arg);
    }) as StageImplementations[K];
  const stages: StageImplementations = { understand: wrap('understand'), locate: wrap('locate'), related: wrap('related'), propose: wrap('propose') };
  return { calls, stages };
}

function options(extra: Partial<PipelineOptions>): PipelineOptions {
  return { store, repoPath: repo.dir, commit: head, issue: ISSUE, embedder: new HashingEmbedder(), ...extra };
}

describe('triage pipeline', () => {
  test('runs every stage, reports after each, and finds the file', async () => {
    const seen: TriageState[] = [];
    const { state, ran } = await runPipeline(options({ fresh: true, onProgress: (s) => void seen.push(s) }));
    expect(ran).toEqual(['understand', 'locate', 'related', 'propose']);
    expect(Object.values(state.stages).map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(state.files?.[0]?.path).toBe('shop/pricing.py');
    expect(state.files?.[0]).toMatchObject({ symbol: 'cart_total', startLine: expect.any(Number) });
    expect(state.experts?.[0]?.name).toBe('Ada Lovelace');
    expect(state.proposal?.source).toBe('offline');
    // One report per stage, each with one more stage finished.
    expect(seen.map((s) => Object.values(s.stages).filter((r) => r.status === 'done').length)).toEqual([1, 2, 3, 4]);
    expect(seen[1].files?.length).toBeGreaterThan(0);
    expect(seen[1].stages.related.status).toBe('pending');
    for (const record of Object.values(state.stages)) expect(record.ms).toBeGreaterThanOrEqual(0);
  });

  test('a stage that throws leaves earlier results standing; the re-run resumes without redoing them', async () => {
    const { calls, stages } = countingStages({ related: 'issues search unavailable' });
    const first = await runPipeline(options({ fresh: true, stages }));
    expect(first.state.stages.related).toMatchObject({ status: 'failed', error: 'issues search unavailable' });
    expect(first.state.stages.locate.status).toBe('done');
    expect(first.state.files?.[0]?.path).toBe('shop/pricing.py');
    // Propose needs files, not related issues: it still ran.
    expect(first.state.stages.propose.status).toBe('done');

    const second = await runPipeline(options({ stages }));
    expect(second.ran).toEqual(['related']);
    expect(second.reused).toEqual(['understand', 'locate', 'propose']);
    expect(calls).toEqual({ understand: 1, locate: 1, related: 2, propose: 1 });
    expect(second.state.stages.related.status).toBe('done');
    expect(second.state.files).toEqual(first.state.files);
  });

  test('re-running a finished run reports its state once, without running any stage', async () => {
    await runPipeline(options({ fresh: true }));
    const seen: TriageState[] = [];
    const { ran, state } = await runPipeline(options({ onProgress: (s) => void seen.push(s) }));
    expect(ran).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(state);
  });

  test('a changed issue text, a new index commit or --fresh starts over', async () => {
    const { calls, stages } = countingStages();
    await runPipeline(options({ fresh: true, stages }));
    await runPipeline(options({ stages }));
    expect(calls.locate).toBe(1);
    await runPipeline(options({ stages, issue: { ...ISSUE, body: `${ISSUE.body}\n\nEdit: also with SAVE30.` } }));
    expect(calls.locate).toBe(2);
    await runPipeline(options({ stages, commit: repo.shas[0] }));
    expect(calls.locate).toBe(3);
    await runPipeline(options({ stages, fresh: true }));
    expect(calls.locate).toBe(4);
  });

  test('when locate fails, propose is skipped with the reason and related still runs', async () => {
    const { stages } = countingStages({ locate: 'index unreadable' });
    const { state } = await runPipeline(options({ fresh: true, stages }));
    expect(state.stages.locate).toMatchObject({ status: 'failed', error: 'index unreadable' });
    expect(state.stages.related.status).toBe('done');
    expect(state.stages.propose).toMatchObject({ status: 'skipped', error: expect.stringContaining('locate failed') });
    expect(state.files).toBeUndefined();
  });

  test('guidance from /scout <hint> steers the search', async () => {
    const issue = { ...ISSUE, title: 'Postage is wrong', body: 'The cost is off for my parcel.', guidance: 'look at shipping_cost' };
    const { state } = await runPipeline(options({ fresh: true, issue }));
    expect(state.files?.[0]?.path).toBe('shop/shipping.py');
  });

  test('excluded paths are never suggested', async () => {
    const { state } = await runPipeline(options({ fresh: true, settings: { excludePath: (p) => p.startsWith('shop/pricing') } }));
    expect(state.files?.map((f) => f.path)).not.toContain('shop/pricing.py');
    expect(state.files?.length).toBeGreaterThan(0);
  });
});

describe('token budget', () => {
  let fake: FakeOpenAI;
  let baseUrl: string;
  beforeAll(async () => {
    fake = new FakeOpenAI();
    baseUrl = await fake.start();
  });
  afterAll(async () => fake.stop());

  test('a run never spends more than its budget; with none left it makes no model call and still finishes offline', async () => {
    fake.chat = () => ({ content: JSON.stringify({ queries: ['cart total coupon'], files: [], plan: ['Clamp the total at zero'], diff: '' }) });
    const chat = new OpenAIChatModel({ apiKey: 'test', baseUrl, fastModel: 'fast', strongModel: 'strong', timeoutMs: 5_000 });
    const before = fake.requests.length;
    const { state } = await runPipeline(options({ fresh: true, chat, tokenBudget: 0 }));
    expect(fake.requests.length).toBe(before);
    expect(state.tokens).toBe(0);
    expect(state.stages.propose.status).toBe('done');
    expect(state.files?.[0]?.path).toBe('shop/pricing.py');

    const spent = await runPipeline(options({ fresh: true, chat, tokenBudget: 3_000 }));
    expect(fake.requests.length).toBeGreaterThan(before);
    expect(spent.state.tokens).toBeGreaterThan(0);
    expect(spent.state.tokens).toBeLessThanOrEqual(3_000);
  });
});

describe('triage()', () => {
  test('indexes when needed, then runs the pipeline on the indexed commit', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'scout-triage-'));
    try {
      const outcome = await triage({
        repoPath: repo.dir,
        repoId: 'acme/shop',
        issue: { title: ISSUE.title, body: ISSUE.body },
        dataDir: other,
        lancedbUri: path.join(other, 'lancedb'),
        limits: { maxFiles: 1000, maxFileBytes: 1e6, maxTotalBytes: 1e8 },
        historyCommits: 100,
        embedder: new HashingEmbedder(),
        questionTokenBudget: 0,
      });
      expect(outcome.index.commit).toBe(head);
      expect(outcome.state.commit).toBe(head);
      expect(outcome.state.files?.[0]?.path).toBe('shop/pricing.py');
      const again = await triage({
        repoPath: repo.dir, repoId: 'acme/shop', issue: { title: ISSUE.title, body: ISSUE.body }, dataDir: other, lancedbUri: path.join(other, 'lancedb'),
        limits: { maxFiles: 1000, maxFileBytes: 1e6, maxTotalBytes: 1e8 }, historyCommits: 100, embedder: new HashingEmbedder(), questionTokenBudget: 0,
      });
      expect(again.reused).toEqual(['understand', 'locate', 'related', 'propose']);
      expect(again.ran).toEqual([]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 60_000);
});
