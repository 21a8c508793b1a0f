import { describe, expect, it } from 'vitest';
import { summaryRows } from '../src/cart-total';
import type { PriceBreakdown } from '../src/types';

const price = (overrides: Partial<PriceBreakdown> = {}): PriceBreakdown => ({
  subtotal: '34.50',
  discount: '0.00',
  shipping: '5.49',
  tax: '2.50',
  total: '42.49',
  coupons: [],
  ...overrides,
});

describe('summaryRows', () => {
  it('lists subtotal, shipping, tax and total', () => {
    expect(summaryRows(price(), 'USD', 'en-US')).toEqual([
      { kind: 'subtotal', label: 'Subtotal', value: '$34.50' },
      { kind: 'shipping', label: 'Shipping', value: '$5.49' },
      { kind: 'tax', label: 'Tax', value: '$2.50' },
      { kind: 'total', label: 'Total', value: '$42.49' },
    ]);
  });

  it('names the coupons on the discount row', () => {
    const rows = summaryRows(price({ discount: '15.00', coupons: ['WELCOME5', 'READMORE10'], total: '27.49' }), 'USD', 'en-US');
    expect(rows[1]).toEqual({ kind: 'discount', label: 'Discount (WELCOME5, READMORE10)', value: '-$15.00' });
  });

  it('leaves out a zero tax row and translates labels', () => {
    const rows = summaryRows(price({ tax: '0.00', total: '39.99' }), 'GBP', 'en-GB');
    expect(rows.map((row) => row.kind)).toEqual(['subtotal', 'shipping', 'total']);
    expect(summaryRows(price(), 'EUR', 'de-DE')[2]?.label).toBe('MwSt.');
  });

  it('shows the total the server sent, whatever it is', () => {
    const rows = summaryRows(price({ total: '-2.01' }), 'USD', 'en-US');
    expect(rows.at(-1)?.value).toBe('-$2.01');
  });
});
