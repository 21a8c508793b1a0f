import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDemo } from '../../src/cli/demo-command.ts';
import { parseComment } from '../../src/triage/comment.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

const run = promisify(execFile);
const bin = path.resolve('bin/scout.js');

let repo: FixtureRepo;
let dataDir: string;

beforeAll(async () => {
  repo = await makeRepo([
    {
      message: 'Add the shop',
      files: {
        'shop/pricing.py': 'from .coupons import parse_coupon\n\n\ndef cart_total(items, coupon_code=None):\n    """Sum the prices, minus a coupon."""\n    total = sum(i.price for i in items)\n    if coupon_code:\n        total -= parse_coupon(coupon_code).amount\n    return total\n',
        'shop/coupons.py': 'def parse_coupon(code):\n    """Turn SAVE10 into a coupon."""\n    if not code.isalnum():\n        raise ValueError("Coupon codes may only contain letters and digits")\n    return code\n',
        'shop/shipping.py': 'def shipping_cost(weight_kg):\n    """Postage by weight."""\n    return 5 + 2 * weight_kg\n',
      },
    },
    { message: 'Reject odd coupon codes (#12)', files: { 'shop/coupons.py': 'def parse_coupon(code):\n    """Turn SAVE10 into a coupon."""\n    if not code.isalnum():\n        raise ValueError("Coupon codes may only contain letters and digits")\n    return code.upper()\n' } },
  ]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'scout-cli-triage-'));
});

afterAll(async () => {
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function scout(args: string[]) {
  return run(process.execPath, [bin, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
}

describe('scout triage (as a user runs it)', () => {
  test('prints the comment it would post, with links when the repository is on GitHub', async () => {
    const { stdout } = await scout(['triage', repo.dir, '--title', 'SAVE-10 is rejected', '--body', 'parse_coupon raises "Coupon codes may only contain letters and digits" for SAVE-10.', '--repo', 'acme/shop', '--data-dir', dataDir]);
    expect(stdout).toMatch(/^\*\*repo-scout\*\* · likely in `shop\/coupons\.py`/);
    expect(stdout).toContain(`https://github.com/acme/shop/blob/${repo.shas[1]}/shop/coupons.py#L1-L5`);
    const state = parseComment(stdout)!;
    expect(Object.values(state.stages).map((stage) => stage.status)).toEqual(['done', 'done', 'done', 'done']);
  });

  test('--issue-file and --json give the machine-readable result', async () => {
    const file = path.join(dataDir, 'issue.md');
    await writeFile(file, '# Postage too high\n\nshipping_cost charges 25 for a 10 kg parcel.\n');
    const { stdout } = await scout(['triage', repo.dir, '--issue-file', file, '--data-dir', dataDir, '--json']);
    const result = JSON.parse(stdout) as { files: Array<{ path: string }>; stages: Record<string, { status: string; ms: number }>; proposal: { kind: string } };
    expect(result.files[0].path).toBe('shop/shipping.py');
    expect(Object.keys(result.stages)).toEqual(['understand', 'locate', 'related', 'propose']);
    expect(result.stages.locate.ms).toBeGreaterThanOrEqual(0);
    expect(result.proposal.kind).toBe('plan');
  });

  test('a missing issue or an unreadable issue file is a clear error', async () => {
    await expect(scout(['triage', repo.dir, '--data-dir', dataDir])).rejects.toMatchObject({ stderr: expect.stringMatching(/^scout: Say which issue/) });
    await expect(scout(['triage', repo.dir, '--issue-file', path.join(dataDir, 'nope.md'), '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringMatching(/^scout: Cannot read the issue file .*nope\.md: ENOENT/),
    });
    const bad = path.join(dataDir, 'bad.json');
    await writeFile(bad, '{"title": ');
    await expect(scout(['triage', repo.dir, '--issue-file', bad, '--data-dir', dataDir])).rejects.toMatchObject({ stderr: expect.stringMatching(/looks like JSON but does not parse/) });
  });
});

describe('npm run demo', () => {
  test('triages the bundled sample offline and points at the file with the bug', async () => {
    const progress: string[] = [];
    const comment = await runDemo({ write: (text) => void progress.push(text), progress: false });
    const state = parseComment(comment)!;
    expect(state.files?.[0]?.path).toBe('shop/pricing.py');
    expect(state.files?.map((file) => file.path)).toContain('shop/coupons.py');
    expect(state.experts?.[0]?.name).toBe('Ada Lovelace');
    expect(state.related?.some((item) => item.number === 41)).toBe(true);
    expect(progress.join('')).toMatch(/Index of demo\/bookshop at [0-9a-f]{7}/);
  }, 60_000);
});
