import { describe, expect, test } from 'vitest';
import { parseStackFrames, understandIssue } from '../../src/triage/stages/understand.ts';

describe('understandIssue', () => {
  test('paths, modules, dotted names and identifiers from code spans', () => {
    const facts = understandIssue(
      'QuerySet.bulk_create ignores batch_size',
      'When calling `Model.objects.bulk_create(objs, batch_size=10)` in django/db/models/query.py the batch size from `django.db.models.query` is ignored.\nSee also `src/cards/repo-card.js`.',
    );
    expect(facts.paths).toEqual(expect.arrayContaining(['django/db/models/query.py', 'src/cards/repo-card.js']));
    expect(facts.modules).toContain('django.db.models.query');
    expect(facts.identifiers).toEqual(expect.arrayContaining(['QuerySet.bulk_create', 'batch_size', 'Model.objects.bulk_create']));
    expect(facts.codeIdentifiers).toContain('bulk_create');
  });

  test("module paths the issue's code imports (not bare packages, URLs or absolute paths)", () => {
    const facts = understandIssue(
      'Parsing fails',
      "```js\nimport dayjs from 'dayjs'\nimport customParseFormat from 'dayjs/plugin/customParseFormat'\nconst router = require('./lib/router')\nconst x = await import('https://cdn.example/x.js')\nconst y = require('/abs/y')\n```\nIn prose: from 'not/code' does not count.",
    );
    expect(facts.imports).toEqual(['dayjs/plugin/customParseFormat', './lib/router']);
  });

  test('template boilerplate, environment lines and images are cleaned out', () => {
    const facts = understandIssue(
      'Card overlaps',
      '**Describe the bug**\r\nThe language overlaps the stars.\r\n\r\n**Screenshots / Live demo link (paste the github-readme-stats link as markdown image)**\r\n![test](https://example.com/x.png)\r\n- OS: Windows 10\r\n- Python version: 3.8',
    );
    expect(facts.cleanBody).toBe('The language overlaps the stars.');
    expect(facts.versions).toContain('3.8');
  });

  test('error lines become messages', () => {
    const facts = understandIssue('crash', '```\nTraceback (most recent call last):\n  File "x.py", line 3, in <module>\nValueError: Coupons cannot be stacked\n```');
    expect(facts.errorMessages).toContain('ValueError: Coupons cannot be stacked');
  });
});

describe('parseStackFrames', () => {
  test('Python traceback', () => {
    const frames = parseStackFrames(
      'Traceback (most recent call last):\n  File "/usr/lib/python3/site-packages/django/db/models/query.py", line 512, in bulk_create\n    objs = list(objs)\n  File "/app/shop/pricing.py", line 40, in apply_discount\n',
    );
    expect(frames).toEqual([
      { file: '/usr/lib/python3/site-packages/django/db/models/query.py', line: 512, function: 'bulk_create', language: 'python' },
      { file: '/app/shop/pricing.py', line: 40, function: 'apply_discount', language: 'python' },
    ]);
  });

  test('IPython / Jupyter traceback', () => {
    const frames = parseStackFrames(
      'StopIteration                             Traceback (most recent call last)\nFile ~/envs/py310/lib/python3.10/site-packages/shop/pricing.py:40, in apply_discount(items, code)\n     38 total = 0\nFile /opt/shop/coupons.py:12, in Coupon.parse(self)\n',
    );
    expect(frames).toEqual([
      { file: '~/envs/py310/lib/python3.10/site-packages/shop/pricing.py', line: 40, function: 'apply_discount', language: 'python' },
      { file: '/opt/shop/coupons.py', line: 12, function: 'Coupon.parse', language: 'python' },
    ]);
  });

  test('Node, Java, Go and Rust traces', () => {
    const node = parseStackFrames('TypeError: x is undefined\n    at renderRepoCard (/app/src/cards/repo-card.js:61:20)\n    at /app/api/pin.js:12:5\n');
    expect(node.map((f) => [f.file, f.line, f.function])).toEqual([
      ['/app/src/cards/repo-card.js', 61, 'renderRepoCard'],
      ['/app/api/pin.js', 12, undefined],
    ]);
    const java = parseStackFrames('java.lang.NullPointerException\n\tat com.acme.shop.Pricing.apply(Pricing.java:40)\n');
    expect(java).toEqual([{ file: 'com/acme/shop/Pricing.java', line: 40, function: 'Pricing.apply', language: 'java' }]);
    const go = parseStackFrames('panic: boom\n\ngoroutine 1 [running]:\ngithub.com/acme/shop/pricing.(*Cart).Apply(0xc000)\n\t/home/u/shop/pricing/cart.go:42 +0x1d\n');
    expect(go).toEqual([{ file: '/home/u/shop/pricing/cart.go', line: 42, function: 'pricing.Cart.Apply', language: 'go' }]);
    const rust = parseStackFrames("thread 'main' panicked at src/pricing.rs:12:5:\nattempt to subtract with overflow");
    expect(rust).toEqual([{ file: 'src/pricing.rs', line: 12, language: 'rust' }]);
  });
});
