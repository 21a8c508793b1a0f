import { describe, expect, it } from 'vitest';
import { chunkFile } from '../../src/index/chunk/index.ts';
import type { WalkedFile } from '../../src/index/types.ts';
import { runtimeV8Flags, tuneForShortRun, tuneForSmallUpdate } from '../../src/runtime-flags.ts';

// Its own file: the flags hold for the rest of the process.
const file: WalkedFile = {
  path: 'shop/cart.py',
  blobSha: '0'.repeat(40),
  size: 0,
  language: 'python',
  text: 'class Cart:\n    def total(self):\n        """Sum of the lines."""\n        return sum(line.price for line in self.lines)\n\n\ndef empty_cart():\n    raise ValueError("the cart is empty")\n',
};

describe('tuneForSmallUpdate', () => {
  it('leaves a long-lived process (no tuneForShortRun) as it is', () => {
    tuneForSmallUpdate();
    expect(runtimeV8Flags).toEqual([]);
  });

  it('in a short run, compiles WebAssembly with the baseline compiler only, once; grammars still parse', async () => {
    tuneForShortRun();
    tuneForSmallUpdate();
    tuneForSmallUpdate();
    expect(runtimeV8Flags).toEqual(['--interrupt-budget=1000000', '--liftoff-only']);
    // The Python grammar is compiled under the flag here (nothing loaded it before in this file).
    const chunked = await chunkFile(file);
    expect(chunked.chunks.map((chunk) => [chunk.name, chunk.kind, chunk.startLine, chunk.endLine])).toEqual([
      ['Cart', 'class', 1, 4],
      ['Cart.total', 'method', 2, 4],
      ['empty_cart', 'function', 7, 8],
    ]);
  });
});
