import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HashingEmbedder } from '../../src/ai/hashing-embedder.ts';
import { indexRepository } from '../../src/index/indexer.ts';
import { RepoStore } from '../../src/store/repo-store.ts';
import { OpenAIChatModel, TokenBudget } from '../../src/ai/llm.ts';
import { isDocPath, locateFiles, subjectStem } from '../../src/triage/stages/locate.ts';
import { FakeOpenAI } from '../helpers/fake-openai.ts';
import { understandIssue } from '../../src/triage/stages/understand.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { SHOP_FILES } from '../fixtures/shop.ts';

const files: Record<string, string> = {
  ...SHOP_FILES,
  'shop/emails.py': `import logging

logger = logging.getLogger(__name__)


def send_receipt(order, mailer):
    """Email the customer a receipt after checkout."""
    if not order.email:
        logger.warning("Order has no email address; receipt not sent")
        return False
    mailer.send(order.email, render_receipt(order))
    return True


def render_receipt(order):
    return "Thanks for your order"
`,
  'shop/inventory.py': `def reserve_stock(product, quantity):
    """Hold stock for an order until payment arrives."""
    if product.stock < quantity:
        raise RuntimeError("Not enough stock to reserve")
    product.stock -= quantity
`,
  'web/src/currency.js': `/** Format an amount of money in the shop's currency for display. */
function formatPrice(amount, currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount);
}

module.exports = { formatPrice };
`,
  'web/src/checkout.js': `const { formatPrice } = require('./currency');

function renderCheckout(cart) {
  return '<p>Total: ' + formatPrice(cart.total, cart.currency) + '</p>';
}

module.exports = { renderCheckout };
`,
  'web/src/plugins/giftWrap/index.js': `module.exports = function (option, Cart) {
  Cart.prototype.wrap = function () {
    this.fees.push(option.fee);
    return this;
  };
};
`,
  'web/src/plugins/express/index.js': `module.exports = function (option, Cart) {
  Cart.prototype.fast = function () {
    this.days = 1;
    return this;
  };
};
`,
  'tests/test_coupons.py': `from shop.coupons import parse_coupon


def test_parse_coupon():
    assert parse_coupon("SAVE10").amount == 10
`,
  'README.md': '# Shop\n\nA small shop.\n',
  // Docs and a built bundle that repeat an issue's words: they must not outrank the code.
  'docs/shipping.md': '# Shipping\n\nParcels sent abroad pay postage by weight. Heavy parcels to another country cost more postage.\n',
  'dist/shop.js': '/* built */ function shipping_cost(weight_kg, country) { if (country === "home") return 5; return 5 + 2 * weight_kg; } // parcels abroad postage heavy\n',
};

let repo: FixtureRepo;
let dataDir: string;
let store: RepoStore;
const embedder = new HashingEmbedder(64);

beforeAll(async () => {
  repo = await makeRepo([
    { message: 'Initial shop', files },
    { message: 'Fix wrong postage for heavy parcels sent abroad (#7)', files: { 'shop/shipping.py': files['shop/shipping.py'].replace('2 * weight_kg', '3 * weight_kg') } },
    { message: 'Unrelated: tidy README', files: { 'README.md': '# Shop\n\nA small shop, tidied.\n' } },
  ]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-locate-'));
  await indexRepository({
    repoPath: repo.dir,
    repoId: 'acme/shop',
    dataDir,
    lancedbUri: path.join(dataDir, 'lancedb'),
    limits: { maxFiles: 1000, maxFileBytes: 1_000_000, maxTotalBytes: 10_000_000 },
    historyCommits: 100,
    embedder,
  });
  store = await RepoStore.open(path.join(dataDir, 'lancedb'), 'acme/shop');
  const meta = await store.readMeta();
  await store.pinTo(meta!);
});

afterAll(async () => {
  store?.close();
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function locate(title: string, body: string) {
  return locateFiles({ store, embedder, facts: understandIssue(title, body) });
}

describe('locateFiles', () => {
  test('a stack trace lands on the raising function', async () => {
    const result = await locate(
      'Crash when applying a coupon',
      'Traceback (most recent call last):\n  File "/srv/app/venv/lib/site-packages/shop/pricing.py", line 9, in cart_total\n  File "/srv/app/venv/lib/site-packages/shop/coupons.py", line 10, in parse_coupon\nValueError: boom',
    );
    expect(result.files[0].path).toBe('shop/coupons.py');
    expect(result.files[0].evidence.frame?.function).toBe('parse_coupon');
    expect(result.files.slice(0, 2).map((f) => f.path)).toContain('shop/pricing.py');
  });

  test('an issue quoting an error message lands on the file that raises it', async () => {
    const result = await locate('Weird warning at checkout', 'I keep seeing "Order has no email address; receipt not sent" in the logs even though I typed my email.');
    expect(result.files[0].path).toBe('shop/emails.py');
  });

  test('a request in user words finds the file through its questions and docs', async () => {
    const result = await locate('Parcels abroad cost too much postage', 'Sending a heavy parcel to another country charges far more than the post office does.');
    expect(result.files[0].path).toBe('shop/shipping.py');
    const paths = result.files.map((f) => f.path);
    expect(paths).toContain('docs/shipping.md');
    expect(paths.indexOf('docs/shipping.md')).toBeGreaterThan(0);
    const docsIssue = await locate('Docs: the shipping documentation is wrong about heavy parcels', 'The docs say parcels abroad pay by weight.');
    // An issue about the docs lifts the demotion: the page joins the code at the top.
    expect(docsIssue.files.slice(0, 2).map((f) => f.path)).toContain('docs/shipping.md');
  });

  test('an issue like a past fix lands via history', async () => {
    const result = await locate('Wrong postage for heavy parcels sent abroad again', 'Same as before.');
    expect(result.files[0].path).toBe('shop/shipping.py');
    expect(result.files[0].evidence.commit?.prs).toEqual([7]);
  });

  test('path and symbol mentions win, and tests rank below the code they test', async () => {
    const byPath = await locate('Display problem', 'Something is off in web/src/currency.js when the amount is large.');
    expect(byPath.files[0].path).toBe('web/src/currency.js');
    const bySymbol = await locate('formatPrice shows too many decimals', 'Calling `formatPrice(3.14159, "EUR")` prints all the digits.');
    expect(bySymbol.files[0].path).toBe('web/src/currency.js');
    expect(bySymbol.files[0].evidence.symbol?.name).toBe('formatPrice');
    const coupon = await locate('parse_coupon rejects lowercase codes', '`parse_coupon("save10")` fails.');
    const paths = coupon.files.map((f) => f.path);
    expect(paths[0]).toBe('shop/coupons.py');
    expect(paths.indexOf('tests/test_coupons.py')).toBeGreaterThan(0);
  });

  test("a test file named in the issue but not in the repository (the reporter's own) keeps tests demoted, twice when their subject is a candidate", async () => {
    const result = await locateFiles({
      store,
      embedder,
      facts: understandIssue('parse_coupon test_parse_coupon fails for lowercase codes', 'My test_sample.py calls `parse_coupon("save10")` and the assertion in test_parse_coupon style fails.'),
      debugSignals: true,
    });
    const paths = result.files.map((f) => f.path);
    expect(paths[0]).toBe('shop/coupons.py');
    expect(result.demotions?.['tests/test_coupons.py']).toBe(0.25);
    const aboutTheTest = await locateFiles({ store, embedder, facts: understandIssue('tests/test_coupons.py is flaky', 'It fails one run in ten.'), debugSignals: true });
    expect(aboutTheTest.files[0].path).toBe('tests/test_coupons.py');
    expect(aboutTheTest.demotions?.['tests/test_coupons.py']).toBeUndefined();
  });

  test('a word naming a plugin folder finds the plugin', async () => {
    const result = await locate('GiftWrap plugin charges the fee twice', 'Using the gift wrapping plugin with two items adds the fee two times.');
    expect(result.files[0].path).toBe('web/src/plugins/giftWrap/index.js');
  });

  test('evidence carries symbol line ranges and a confidence', async () => {
    const result = await locate('reserve_stock raises when stock is exactly the quantity', 'Reserving the last item fails with "Not enough stock to reserve".');
    expect(result.files[0]).toMatchObject({ path: 'shop/inventory.py', evidence: { symbol: { name: 'reserve_stock', startLine: 1, endLine: 5 } } });
    expect(['high', 'medium', 'low']).toContain(result.confidence);
    expect(result.confidenceScore).toBeGreaterThan(0);
  });
});

describe('locateFiles with a model (fake OpenAI-compatible server on 127.0.0.1)', () => {
  let server: FakeOpenAI;
  let baseUrl: string;
  beforeAll(async () => {
    server = new FakeOpenAI();
    baseUrl = await server.start();
  });
  afterAll(async () => server.stop());

  const model = (timeoutMs = 2_000) => new OpenAIChatModel({ apiKey: 'k', baseUrl, fastModel: 'fast', strongModel: 'strong', timeoutMs });
  const issue = understandIssue('Money shows too many digits', 'The amounts on the page look wrong.');
  const systemOf = (body: Record<string, unknown>) => String((body.messages as Array<{ content: string }>)[0].content);

  test('the fast model rewrites the issue into code words; the strong model reranks, validated', async () => {
    server.chat = (body) =>
      systemOf(body).includes('Rewrite the issue')
        ? { content: JSON.stringify({ queries: ['formatPrice currency NumberFormat'], snippet: 'function formatPrice(amount, currency) {}' }) }
        : { content: JSON.stringify({ files: ['shop/inventory.py', 'not/a/candidate.py', 'web/src/currency.js'] }) };
    const budget = new TokenBudget(100_000);
    const result = await locateFiles({ store, embedder, facts: issue, chat: model(), budget });
    expect(result.model).toMatchObject({ rewrite: true, rerank: true });
    expect(result.model!.tokens).toBe(budget.spent);
    expect(result.files[0].path).toBe('shop/inventory.py');
    expect(result.files[1].path).toBe('web/src/currency.js');
    expect(result.files.map((f) => f.path)).not.toContain('not/a/candidate.py');
    // The rewritten query ("formatPrice currency") is what finds the currency file's symbol.
    expect(result.files[1].evidence.symbol?.name).toBe('formatPrice');
  });

  test('garbage, errors and timeouts are ignored: the offline ranking stands', async () => {
    const offline = await locateFiles({ store, embedder, facts: issue });
    for (const behaviour of ['garbage', 'error', 'timeout'] as const) {
      server.chat = () => (behaviour === 'garbage' ? { content: '{"files": 42}' } : behaviour === 'error' ? { status: 500 } : { delayMs: 1_500, content: '{}' });
      const result = await locateFiles({ store, embedder, facts: issue, chat: model(300), budget: new TokenBudget(100_000) });
      expect(result.model, behaviour).toMatchObject({ rewrite: false, rerank: false });
      expect(result.files.map((f) => f.path), behaviour).toEqual(offline.files.map((f) => f.path));
    }
  });

  test('an exhausted token budget means no model call at all', async () => {
    server.requests.length = 0;
    const result = await locateFiles({ store, embedder, facts: issue, chat: model(), budget: new TokenBudget(10) });
    expect(result.model).toMatchObject({ rewrite: false, rerank: false, tokens: 0 });
    expect(server.requests).toHaveLength(0);
  });
});

describe('subjectStem', () => {
  test('names the module a test file is named after', () => {
    expect(['testing/test_junitxml.py', 'src/junitxml.py', 'test/junitxml.test.js', 'lib/junitxml_test.go', 'spec/junitxml.spec.ts'].map(subjectStem)).toEqual(Array(5).fill('junitxml'));
  });
});

describe('isDocPath', () => {
  test('prose and extensionless changelogs are docs; code named like them is not', () => {
    for (const path of ['README.md', 'docs/usage.rst', 'CHANGES', 'ChangeLog', 'doc/HISTORY', 'NEWS']) expect(isDocPath(path)).toBe(true);
    for (const path of ['lib/history.py', 'src/changelog.js', 'news/models.py']) expect(isDocPath(path)).toBe(false);
  });
});
