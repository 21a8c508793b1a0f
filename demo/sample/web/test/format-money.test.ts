import { describe, expect, it } from 'vitest';
import { formatCents, formatDiscount, formatMoney, parseCents } from '../src/format-money';

describe('parseCents', () => {
  it('reads whole and fractional amounts', () => {
    expect(parseCents('12.99')).toBe(1299);
    expect(parseCents('7')).toBe(700);
    expect(parseCents('0.5')).toBe(50);
    expect(parseCents(' 3.10 ')).toBe(310);
  });

  it('rounds half cents away from zero, like the backend (#45)', () => {
    expect(parseCents('1.005')).toBe(101);
    expect(parseCents('1.0049')).toBe(100);
    expect(parseCents('-1.005')).toBe(-101);
    expect(parseCents('2.675')).toBe(268);
  });

  it('never returns negative zero', () => {
    expect(Object.is(parseCents('-0.00'), 0)).toBe(true);
  });

  it('rejects text that is not an amount', () => {
    expect(() => parseCents('12,99')).toThrow('Not a money amount: "12,99"');
    expect(() => parseCents('')).toThrow('Not a money amount');
  });
});

describe('formatMoney', () => {
  it('formats in the locale and currency given', () => {
    expect(formatMoney('1234.5')).toBe('$1,234.50');
    expect(formatMoney('12.99', 'EUR', 'de-DE')).toBe('12,99\u00a0€');
    expect(formatMoney('12.99', 'GBP', 'en-GB')).toBe('£12.99');
  });

  it('shows negative amounts with a minus sign', () => {
    expect(formatMoney('-2.01')).toBe('-$2.01');
  });

  it('refuses fractional cents', () => {
    expect(() => formatCents(1.5)).toThrow('Cents must be a whole number, got 1.5');
  });
});

describe('formatDiscount', () => {
  it('always reads as a reduction', () => {
    expect(formatDiscount('15.00')).toBe('-$15.00');
    expect(formatDiscount('-15.00')).toBe('-$15.00');
    expect(formatDiscount('0.00')).toBe('$0.00');
  });
});
