import { describe, expect, test } from 'vitest';
import {
  codeSpan,
  COMMENT_LIMIT,
  escapeInline,
  fenceFor,
  isScoutComment,
  lineAnchor,
  linkText,
  MARKER,
  parseComment,
  permalink,
  renderComment,
} from '../../src/triage/comment.ts';
import { emptyStages, type TriageState } from '../../src/triage/state.ts';

const COMMIT = '3f2c1e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
const WJ = '\u2060';

/** A run on acme/shop where every stage finished: what most issues end up showing. */
function finishedState(): TriageState {
  return {
    version: 1,
    repo: 'acme/shop',
    issue: 57,
    commit: COMMIT,
    textHash: '9c1d2e3f4a5b6c7d',
    htmlBase: 'https://github.com/acme/shop',
    confidence: { level: 'high', score: 0.91 },
    files: [
      {
        path: 'shop/pricing.py',
        startLine: 40,
        endLine: 58,
        symbol: 'apply_discount',
        why: 'raises the error message quoted in the issue; changed in #41 "Cap stacked coupons"',
        score: 0.94,
      },
      { path: 'shop/coupons.py', startLine: 12, endLine: 30, symbol: 'parse_coupon', why: 'imported by or changed together with `shop/pricing.py`', score: 0.71 },
      { path: 'web/src/cart-total.ts', startLine: 5, endLine: 5, symbol: 'renderTotal', why: "shares the issue's vocabulary", score: 0.52 },
      { path: 'shop/templates/cart.html', why: 'its path matches words of the issue', score: 0.4 },
    ],
    related: [
      {
        kind: 'pull',
        number: 41,
        title: 'Cap stacked coupons',
        state: 'merged',
        url: 'https://github.com/acme/shop/pull/41',
        similarity: 0.64,
        duplicate: false,
        why: 'touched shop/pricing.py',
      },
      {
        kind: 'issue',
        number: 12,
        title: 'Negative total with two coupons',
        state: 'closed',
        url: 'https://github.com/acme/shop/issues/12',
        similarity: 0.823,
        duplicate: true,
      },
      { kind: 'commit', sha: 'b7e9a1c44d2f0e6a8b3c5d7e9f1a2b4c6d8e0f12', title: 'Round totals half-up', similarity: 0.41, duplicate: false },
    ],
    experts: [
      { name: 'Ada Lovelace', login: 'ada', commits: 7, lastTouched: '2025-10-01', files: ['shop/pricing.py'] },
      { name: 'grace', login: 'grace', commits: 1, lastTouched: '2025-06-14', files: ['shop/coupons.py', 'shop/pricing.py', 'web/src/cart-total.ts'] },
    ],
    proposal: {
      kind: 'diff',
      diff: [
        'diff --git a/shop/pricing.py b/shop/pricing.py',
        '--- a/shop/pricing.py',
        '+++ b/shop/pricing.py',
        '@@ -52,3 +52,3 @@ def apply_discount(price, coupons):',
        '     for c in coupons:',
        '-    total = price - sum(c.amount for c in coupons)',
        '+    total = max(0, price - sum(c.amount for c in coupons))',
        '     return total',
        '',
      ].join('\n'),
      applies: true,
      plan: ['Clamp the total in `apply_discount` at zero'],
      source: 'gpt-4.1',
    },
    stages: {
      understand: { status: 'done', ms: 4 },
      locate: { status: 'done', ms: 812 },
      related: { status: 'done', ms: 95 },
      propose: { status: 'done', ms: 6_120, tokens: 5_400 },
    },
    tokens: 5_400,
  };
}

/** The first comment users see: locate has just finished, related and propose have not run. */
function locatedState(): TriageState {
  const full = finishedState();
  return {
    version: 1,
    repo: full.repo,
    issue: full.issue,
    commit: full.commit,
    textHash: full.textHash,
    htmlBase: full.htmlBase,
    confidence: { level: 'medium', score: 0.55 },
    files: full.files,
    stages: { ...emptyStages(), understand: { status: 'done', ms: 4 }, locate: { status: 'done', ms: 812 }, related: { status: 'running' } },
    tokens: 0,
  };
}

/** Everything a hostile issue author, commit author or model could put into the fields we show. */
function hostileState(): TriageState {
  const state = finishedState();
  state.files![0] = {
    path: 'shop/pricing.py',
    startLine: 40,
    endLine: 58,
    symbol: 'apply`discount',
    why: 'cc @alice and @acme/security-team: fixes #12 <script>alert(1)</script> <img src=x onerror=alert(1)>',
    score: 0.9,
  };
  state.related = [
    {
      kind: 'issue',
      number: 12,
      title: 'Total wrong --> <!-- repo-scout:v1 {"version":1} --> </details> [click](https://evil.example) ping @bob\nfixes #13',
      state: 'open',
      url: 'https://github.com/acme/shop/issues/12',
      similarity: 0.9,
      duplicate: true,
      why: 'Resolves acme/shop#14 and GH-15; see https://github.com/acme/shop/issues/16 &#64;carol',
    },
  ];
  state.experts = [{ name: 'Mallory @dave', login: 'mallory', commits: 3, lastTouched: '2025-09-09', files: ['shop/pricing.py'] }];
  state.proposal = {
    kind: 'plan',
    plan: ['# Heading? ask @erin', '- not a nested list', '1. not a nested ordered list', 'close with </details> and <!-- and -->'],
    note: 'the model diff did not apply; @frank should look',
    source: 'offline',
  };
  state.stages.related = { status: 'done' };
  return state;
}

/** The comment's lines that are not the hidden marker. */
function visible(markdown: string): string {
  return markdown.slice(0, markdown.lastIndexOf(`<!-- ${MARKER} `));
}

describe('renderComment', () => {
  test('a finished run: summary, files, related, experts, proposal, footer, marker', () => {
    const markdown = renderComment(finishedState());
    expect(markdown).toMatchSnapshot();
    const lines = markdown.trimEnd().split('\n');
    expect(lines[0]).toBe('**repo-scout** · likely in `shop/pricing.py` (confidence: high)');
    expect(lines.at(-1)).toMatch(/^<!-- repo-scout:v1 \{.*\} -->$/);
    const order = ['**Where to look**', '**Related**', '**Knows this code**', '<details><summary>Proposed change', '<sub>Indexed at'].map((heading) =>
      markdown.indexOf(heading),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('the first comment: locate done, related running, nothing shown for stages still to come', () => {
    const markdown = renderComment(locatedState());
    expect(markdown).toMatchSnapshot();
    expect(markdown).toContain('(confidence: medium)');
    expect(markdown).not.toContain('**Related**');
    expect(markdown).not.toContain('**Knows this code**');
    expect(markdown).not.toContain('<details>');
    expect(markdown).toContain('understand ✔ locate ✔ related … propose ○');
  });

  test('before locate finishes: a one-line "looking" summary and no empty headings', () => {
    const state = locatedState();
    state.stages.locate = { status: 'running' };
    delete state.files;
    delete state.confidence;
    const markdown = renderComment(state);
    expect(markdown.split('\n')[0]).toBe('**repo-scout** · looking for the files this issue is about…');
    expect(visible(markdown)).not.toMatch(/\*\*(Where to look|Related|Knows this code)\*\*/);
    expect(markdown).toContain('understand ✔ locate … related … propose ○');
  });

  test('locate failed: says so and why', () => {
    const state = locatedState();
    state.stages.locate = { status: 'failed', error: 'the index for acme/shop is missing; run `scout index`' };
    const markdown = renderComment(state);
    expect(markdown.split('\n')[0]).toBe('**repo-scout** · could not look for the files this issue is about: the index for acme/shop is missing; run `scout index`');
    expect(markdown).not.toContain('**Where to look**');
    expect(markdown).toContain('locate ✖ (the index for acme/shop is missing; run `scout index`)');
  });

  test('locate found nothing: says so without a heading', () => {
    const state = locatedState();
    state.files = [];
    state.confidence = { level: 'low', score: 0 };
    const markdown = renderComment(state);
    expect(markdown.split('\n')[0]).toBe('**repo-scout** · found no files that clearly match this issue');
    expect(markdown).not.toContain('**Where to look**');
  });

  test('low confidence is said plainly', () => {
    const state = finishedState();
    state.confidence = { level: 'low', score: 0.2 };
    expect(renderComment(state).split('\n')[0]).toBe('**repo-scout** · maybe in `shop/pricing.py` (low confidence — these are guesses)');
  });

  test('related failed but propose done: the proposal shows, related is missing with its reason in the footer', () => {
    const state = finishedState();
    state.stages.related = { status: 'failed', error: 'GitHub search returned 502' };
    const markdown = renderComment(state);
    expect(markdown).not.toContain('**Related**');
    expect(markdown).not.toContain('**Knows this code**');
    expect(markdown).toContain('<details><summary>Proposed change (applies cleanly to 3f2c1e0)</summary>');
    expect(markdown).toContain('related ✖ (GitHub search returned 502) propose ✔');
  });

  test('related done with nothing found: no Related heading; skipped propose gives its reason', () => {
    const state = finishedState();
    state.related = [];
    state.experts = [];
    delete state.proposal;
    state.stages.propose = { status: 'skipped', error: 'no model configured' };
    const markdown = renderComment(state);
    expect(markdown).not.toContain('**Related**');
    expect(markdown).not.toContain('**Knows this code**');
    expect(markdown).not.toContain('<details>');
    expect(markdown).toContain('propose ⊘ (no model configured)');
  });

  test('lists the top maxFiles files, numbered, with symbol and why', () => {
    const markdown = renderComment(finishedState(), { maxFiles: 2 });
    const where = markdown.slice(markdown.indexOf('**Where to look**')).split('\n\n')[0].split('\n');
    expect(where).toEqual([
      '**Where to look**',
      `1. [\`shop/pricing.py#L40-L58\`](https://github.com/acme/shop/blob/${COMMIT}/shop/pricing.py#L40-L58) \`apply_discount\` — raises the error message quoted in the issue; changed in #${WJ}41 "Cap stacked coupons"`,
      `2. [\`shop/coupons.py#L12-L30\`](https://github.com/acme/shop/blob/${COMMIT}/shop/coupons.py#L12-L30) \`parse_coupon\` — imported by or changed together with \`shop/pricing.py\``,
    ]);
    expect(renderComment(finishedState())).toContain('4. [`shop/templates/cart.html`]');
  });

  test('related items: linked number and title, state, duplicate score, short sha for commits', () => {
    const markdown = renderComment(finishedState());
    expect(markdown).toContain('- [#41 Cap stacked coupons](https://github.com/acme/shop/pull/41) (merged PR) — touched shop/pricing.py');
    expect(markdown).toContain('- [#12 Negative total with two coupons](https://github.com/acme/shop/issues/12) (closed issue, possible duplicate, 0.82)');
    expect(markdown).toContain('- [`b7e9a1c`](https://github.com/acme/shop/commit/b7e9a1c44d2f0e6a8b3c5d7e9f1a2b4c6d8e0f12) Round totals half-up (commit)');
  });

  test('experts: name, unpingable login, commits, files, last date', () => {
    const markdown = renderComment(finishedState());
    expect(markdown).toContain(`- Ada Lovelace (@${WJ}ada) · 7 commits to \`shop/pricing.py\`, last 2025-10-01`);
    expect(markdown).toContain(`- @${WJ}grace · 1 commit to \`shop/coupons.py\`, \`shop/pricing.py\` and 1 more, last 2025-06-14`);
  });

  test('a plan proposal: numbered steps under "Suggested plan", with its note', () => {
    const state = finishedState();
    state.proposal = {
      kind: 'plan',
      plan: ['Clamp the total in `apply_discount` at zero', 'Add a test with two coupons worth more than the price'],
      note: "the model's diff did not apply; showing its plan",
      source: 'offline',
    };
    const markdown = renderComment(state);
    expect(markdown).toContain(
      [
        '<details><summary>Suggested plan</summary>',
        '',
        "the model's diff did not apply; showing its plan",
        '',
        '1. Clamp the total in `apply_discount` at zero',
        '2. Add a test with two coupons worth more than the price',
        '',
        '</details>',
      ].join('\n'),
    );
  });

  test('a diff that does not apply says so in its summary', () => {
    const state = finishedState();
    state.proposal!.applies = false;
    expect(renderComment(state)).toContain('<summary>Proposed change (does not apply cleanly to 3f2c1e0; review it by hand)</summary>');
  });

  test('a config can hide sections; the summary line stays', () => {
    const markdown = renderComment(finishedState(), { sections: { files: false, experts: false, proposal: false } });
    expect(markdown.split('\n')[0]).toContain('likely in `shop/pricing.py`');
    expect(markdown).not.toContain('**Where to look**');
    expect(markdown).not.toContain('**Knows this code**');
    expect(markdown).not.toContain('<details>');
    expect(markdown).toContain('**Related**');
  });

  test('a broken .github/scout.yml: a short visible note saying what is wrong and that defaults apply', () => {
    const markdown = renderComment(finishedState(), { configWarning: 'max_files: expected a number, got "ten"' });
    expect(markdown.split('\n\n')[1]).toBe('⚠️ `.github/scout.yml` could not be used, so the defaults apply: max\\_files: expected a number, got "ten"');
  });

  test('footer: indexed commit, a glyph per stage status, how to re-run and give feedback', () => {
    const state = finishedState();
    state.stages = {
      understand: { status: 'done' },
      locate: { status: 'done' },
      related: { status: 'running' },
      propose: { status: 'failed', error: 'model timed out after 60 s' },
    };
    const footer = renderComment(state).split('\n').find((line) => line.startsWith('<sub>Indexed'));
    expect(footer).toBe(
      '<sub>Indexed at 3f2c1e0 · understand ✔ locate ✔ related … propose ✖ (model timed out after 60 s) · `/scout` to re-run, `/scout <hint>` to steer · 👍/👎 to tell us if this helped</sub>',
    );
  });
});

describe('permalinks', () => {
  const base = 'https://github.com/acme/shop';
  test('a line range, a single line, no lines', () => {
    expect(permalink(base, 'abc1234', { path: 'a/b.py', startLine: 3, endLine: 9, why: '', score: 1 })).toBe(`${base}/blob/abc1234/a/b.py#L3-L9`);
    expect(permalink(base, 'abc1234', { path: 'a/b.py', startLine: 7, endLine: 7, why: '', score: 1 })).toBe(`${base}/blob/abc1234/a/b.py#L7`);
    expect(permalink(base, 'abc1234', { path: 'a/b.py', why: '', score: 1 })).toBe(`${base}/blob/abc1234/a/b.py`);
    expect(lineAnchor({ startLine: 12 })).toBe('#L12');
    expect(lineAnchor({ startLine: 12, endLine: 4 })).toBe('#L12');
  });

  test('paths are encoded so spaces, parentheses and # cannot end the link', () => {
    expect(permalink(`${base}/`, 'abc1234', { path: 'docs/my notes (draft)#1.md', startLine: 1, endLine: 2, why: '', score: 1 })).toBe(
      `${base}/blob/abc1234/docs/my%20notes%20%28draft%29%231.md#L1-L2`,
    );
  });

  test('no htmlBase (offline) or an unsafe one: a plain code span, no link', () => {
    expect(permalink(undefined, 'abc1234', { path: 'a.py', why: '', score: 1 })).toBeUndefined();
    expect(permalink('javascript:alert(1)', 'abc1234', { path: 'a.py', why: '', score: 1 })).toBeUndefined();
    const state = finishedState();
    delete state.htmlBase;
    const markdown = renderComment(state);
    expect(markdown).toContain('1. `shop/pricing.py#L40-L58` `apply_discount` — ');
    expect(markdown).toContain('3. `web/src/cart-total.ts#L5` `renderTotal` — ');
    expect(markdown).toContain('4. `shop/templates/cart.html` — ');
    const where = markdown.slice(markdown.indexOf('**Where to look**'), markdown.indexOf('**Related**'));
    expect(where).not.toContain('](');
    expect(markdown).toContain('- `b7e9a1c` Round totals half-up (commit)');
  });
});

describe('untrusted text', () => {
  test('nobody is pinged: no @login GitHub would link, anywhere in the comment', () => {
    const state = hostileState();
    state.stages.understand = { status: 'skipped', error: 'quota for @acme/bots exceeded' };
    const markdown = renderComment(state, { configWarning: 'unknown key "reviewers: @henry"' });
    // GitHub links @name when `@` is followed by a letter or digit; the word joiner prevents it.
    expect(markdown).not.toMatch(/@[A-Za-z0-9]/);
    for (const login of ['alice', 'acme/security-team', 'bob', 'dave', 'frank', 'acme/bots', 'henry', 'mallory']) {
      expect(markdown).toContain(`@${WJ}${login}`);
    }
    // An entity cannot smuggle one in either: it is shown as text, not decoded.
    expect(markdown).toContain(`&amp;#${WJ}64;carol`);
  });

  test('issue references and URLs in quoted text do not link or cross-reference', () => {
    const markdown = visible(renderComment(hostileState()));
    expect(markdown).not.toMatch(/(^|[^[])#\d/m); // only our own "[#12 …](url)" link text remains
    expect(markdown).toContain(`fixes #${WJ}12`);
    expect(markdown).toContain(`acme/shop#${WJ}14 and GH${WJ}-15`);
    expect(markdown).toContain(`https:${WJ}//github.com/acme/shop/issues/16`);
  });

  test('no HTML gets through, and quoted </details> or <!-- cannot break the comment', () => {
    const state = hostileState();
    const markdown = renderComment(state);
    expect(markdown).not.toMatch(/<script|<img|<\/script/i);
    expect(markdown).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markdown.match(/<\/details>/g)).toHaveLength(1);
    expect(markdown.match(/<!--/g)).toHaveLength(1);
    expect(markdown.match(/-->/g)).toHaveLength(1);
    expect(parseComment(markdown)).toEqual(state);
  });

  test('a newline in a title stays on its item line; ] and ) cannot end the link text', () => {
    const markdown = renderComment(hostileState());
    const item = markdown.split('\n').filter((line) => line.startsWith('- [#12 '));
    expect(item).toHaveLength(1);
    expect(item[0]).toContain('\\[click\\](https:');
    expect(item[0]).toMatch(/ fixes #\u206013\]\(https:\/\/github\.com\/acme\/shop\/issues\/12\) \(open issue, possible duplicate, 0\.90\)/);
    expect(markdown).not.toMatch(/^fixes/m);
  });

  test('a backtick in a symbol gets a longer code span fence', () => {
    expect(renderComment(hostileState())).toContain(' ``apply`discount`` — ');
  });

  test('plan steps cannot open headings, lists or rules of their own', () => {
    const markdown = renderComment(hostileState());
    expect(markdown).toContain(`1. \\# Heading? ask @${WJ}erin\n2. \\- not a nested list\n3. 1\\. not a nested ordered list\n4. close with &lt;/details&gt; and &lt;!-- and --&gt;`);
  });
});

describe('escape helpers', () => {
  test('escapeInline: markdown, HTML, mentions and references', () => {
    expect(escapeInline('*bold* _em_ [x](y) ~~s~~ $x$ a|b \\ <b>&amp;</b>')).toBe(
      '\\*bold\\* \\_em\\_ \\[x\\](y) \\~\\~s\\~\\~ \\$x\\$ a\\|b \\\\ &lt;b&gt;&amp;amp;&lt;/b&gt;',
    );
    expect(escapeInline('thanks @octocat, see #7')).toBe(`thanks @${WJ}octocat, see #${WJ}7`);
    expect(escapeInline('line one\n\nline two\r\n\tthree')).toBe('line one line two three');
    expect(escapeInline('> quote')).toBe('&gt; quote');
    expect(escapeInline('- item')).toBe('\\- item');
    expect(escapeInline('2) item')).toBe('2\\) item');
    expect(escapeInline('=== rule')).toBe('\\=== rule');
    expect(escapeInline('abc\u202Edef\u0007')).toBe('abcdef');
    expect(escapeInline('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  test('escapeInline keeps code spans as code (literal inside) and escapes around them', () => {
    expect(escapeInline('calls `@decorator <T>` from *here*')).toBe('calls `@decorator <T>` from \\*here\\*');
    expect(escapeInline('a `` x`y `` b')).toBe('a ``x`y`` b');
    expect(escapeInline('unmatched ` tick')).toBe('unmatched \\` tick');
  });

  test('codeSpan: fence longer than any run inside, padded when the text starts or ends with a backtick', () => {
    expect(codeSpan('src/a.ts')).toBe('`src/a.ts`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('a``b`')).toBe('``` a``b` ```');
    expect(codeSpan('two\nlines')).toBe('`two lines`');
    expect(codeSpan('')).toBe('');
  });

  test('linkText: brackets and links inside cannot end the text', () => {
    expect(linkText('a] (b) [c](d) ![i](j)')).toBe('a\\] (b) \\[c\\](d) !\\[i\\](j)');
  });

  test('fenceFor: longer than any backtick run, at least three', () => {
    expect(fenceFor('no ticks')).toBe('```');
    expect(fenceFor('```\ninner\n```')).toBe('````');
    expect(fenceFor('a `````` b')).toBe('```````');
  });

  test('a diff holding a fence line cannot end the diff block', () => {
    const state = finishedState();
    state.proposal!.diff = ['--- a/README.md', '+++ b/README.md', '@@ -1,3 +1,3 @@', ' ```', '-old', '+new', ' ````', '</details>', '<!-- x -->'].join('\n');
    const markdown = renderComment(state);
    const open = markdown.indexOf('`````diff\n');
    expect(open).toBeGreaterThan(0);
    const body = markdown.slice(open + '`````diff\n'.length, markdown.indexOf('\n`````\n', open));
    expect(body).toBe(state.proposal!.diff);
    expect(parseComment(markdown)).toEqual(state);
  });
});

describe('size', () => {
  test('a 200 kB diff: the shown diff is cut and says so, the marker drops its copy, and still parses', () => {
    const state = finishedState();
    const hunk = Array.from({ length: 4_000 }, (_, i) => `+    total_${i} = apply_discount(price_${i}, coupons)  # keep <= 0`).join('\n');
    state.proposal!.diff = `--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -1,0 +1,4000 @@\n${hunk}\n`;
    expect(state.proposal!.diff.length).toBeGreaterThan(200_000);
    const markdown = renderComment(state);
    expect(markdown.length).toBeLessThan(COMMENT_LIMIT);
    expect(markdown).toMatch(/_The diff is too long for a comment: showing its first \d+ of 4003 lines\._/);
    expect(markdown).toContain('+    total_0 = apply_discount(price_0, coupons)  # keep <= 0');
    // The shown part is most of what fits, not a token few lines.
    expect(markdown.length).toBeGreaterThan(COMMENT_LIMIT - 5_000);
    const parsed = parseComment(markdown);
    const { diff: _diff, ...proposalWithoutDiff } = state.proposal!;
    expect(parsed).toEqual({ ...state, proposal: proposalWithoutDiff });
  });

  test('a diff too big to show whole but small enough for the marker: cut in the comment, whole in the marker', () => {
    const state = finishedState();
    state.proposal!.diff = Array.from({ length: 600 }, (_, i) => `+line ${i} ${'x'.repeat(40)}`).join('\n');
    const markdown = renderComment(state);
    expect(markdown.length).toBeLessThan(COMMENT_LIMIT);
    expect(markdown).toContain('_The diff is too long for a comment: showing its first');
    expect(parseComment(markdown)).toEqual(state);
  });

  test('many long titles, paths and steps: always under the limit, and the marker parses', () => {
    const state = finishedState();
    const long = (what: string) => `${what} <&@x> `.repeat(800);
    state.files = Array.from({ length: 200 }, (_, i) => ({ path: `src/${'deep/'.repeat(300)}f${i}.ts`, startLine: 1, endLine: 2, symbol: long('sym'), why: long('why'), score: 1 }));
    state.related = Array.from({ length: 500 }, (_, i) => ({ kind: 'issue' as const, number: i + 1, title: long('title'), url: `https://github.com/acme/shop/issues/${i + 1}`, similarity: 0.5, duplicate: false, why: long('why') }));
    state.experts = Array.from({ length: 100 }, () => ({ name: long('name'), login: 'x', commits: 2, lastTouched: '2025-01-01', files: [long('file')] }));
    state.proposal = { kind: 'plan', plan: Array.from({ length: 300 }, () => long('step')), note: long('note'), source: 'offline' };
    state.stages.propose = { status: 'done', error: long('error') };
    const markdown = renderComment(state, { maxFiles: 200, configWarning: long('warning') });
    expect(markdown.length).toBeLessThan(COMMENT_LIMIT);
    expect(markdown.split('\n')[0]).toMatch(/^\*\*repo-scout\*\* · likely in `src\/deep\//);
    expect(markdown).toContain('_The rest of the result is too large for one comment and is left out._');
    const parsed = parseComment(markdown);
    expect(parsed).toBeDefined();
    expect(parsed).toMatchObject({ version: 1, repo: 'acme/shop', issue: 57, commit: COMMIT, textHash: state.textHash });
    expect(parsed!.stages.locate.status).toBe('done');
  });

  test('when only the files fit, the files stay and the rest is said to be left out', () => {
    const state = finishedState();
    // Each `&` is shown as `&amp;`: 30 plan steps and 10 titles of them are more than a comment holds.
    state.proposal = { kind: 'plan', plan: Array.from({ length: 40 }, () => '&'.repeat(400)), source: 'offline' };
    state.related = Array.from({ length: 10 }, (_, i) => ({ kind: 'issue' as const, number: i + 1, title: '&'.repeat(300), similarity: 0.5, duplicate: false }));
    const markdown = renderComment(state);
    expect(markdown.length).toBeLessThan(COMMENT_LIMIT);
    expect(markdown).toContain('**Where to look**\n1. [`shop/pricing.py#L40-L58`]');
    expect(markdown).not.toContain('**Related**');
    expect(markdown).toContain('_The rest of the result is too large for one comment and is left out._');
    expect(parseComment(markdown)).toMatchObject({ repo: 'acme/shop', commit: COMMIT, stages: state.stages });
  });
});

describe('parseComment', () => {
  test('round trip: render then parse gives the state back', () => {
    for (const state of [finishedState(), locatedState(), hostileState()]) {
      expect(parseComment(renderComment(state))).toEqual(state);
    }
  });

  test('the marker JSON holds no <, >, &, @ or #, and keeps fields a newer version added', () => {
    const state = { ...finishedState(), futureField: { note: '<!-- @x #1 -->' } } as TriageState;
    const markdown = renderComment(state);
    const marker = markdown.slice(markdown.lastIndexOf(`<!-- ${MARKER} `) + 5 + MARKER.length, markdown.lastIndexOf('-->'));
    expect(marker).not.toMatch(/[<>&@#]/);
    expect(parseComment(markdown)).toEqual(state);
  });

  test('survives GitHub turning line endings into CRLF', () => {
    const state = finishedState();
    expect(parseComment(renderComment(state).replace(/\n/g, '\r\n'))).toEqual(state);
  });

  test('foreign comments and corrupt markers give undefined, never throw', () => {
    const good = renderComment(finishedState());
    const json = good.slice(good.lastIndexOf(`<!-- ${MARKER} `));
    const cases = [
      '',
      'Thanks, I can reproduce this on 2.3.1.',
      '<!-- some-other-bot:v1 {"version":1} -->',
      `<!-- ${MARKER} -->`,
      `<!-- ${MARKER} {"version":1,"repo":"acme/shop" -->`,
      `<!-- ${MARKER} {"version":2,"repo":"a","commit":"c","textHash":"h","stages":{},"tokens":0} -->`,
      `<!-- ${MARKER} {"version":1,"repo":"a","commit":"c","textHash":"h","tokens":0} -->`,
      `<!-- ${MARKER} null -->`,
      `<!-- ${MARKER} "string" -->`,
      json.replace('"status":"done"', '"status":"finished"'),
      json.replace(' -->', ''),
      good.replace('"files":[', '"files":{'),
    ];
    for (const body of cases) expect(parseComment(body)).toBeUndefined();
    expect(parseComment(undefined as unknown as string)).toBeUndefined();
  });

  test('isScoutComment: our marker on its own line, even when corrupt', () => {
    expect(isScoutComment(renderComment(locatedState()))).toBe(true);
    expect(isScoutComment(`**repo-scout** · …\n<!-- ${MARKER} {broken -->`)).toBe(true);
    expect(isScoutComment('Thanks, I can reproduce this on 2.3.1.')).toBe(false);
    expect(isScoutComment(`I saw \`<!-- ${MARKER} {} -->\` in the bot's comment`)).toBe(false);
  });
});
