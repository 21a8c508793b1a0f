/**
 * Formatting of the money amounts the API sends. Amounts arrive as decimal strings ("12.99",
 * "-2.01"); they are parsed into whole cents first, so formatting never meets a float rounding
 * error, and then formatted with Intl for the customer's locale.
 */

const AMOUNT = /^([-+])?(\d+)(?:\.(\d+))?$/;

/**
 * "12.99" → 1299. Digits after the second decimal are rounded half away from zero, the way the
 * backend's `to_money` rounds, so "1.005" → 101 and "-1.005" → -101 (#45).
 */
export function parseCents(amount: string): number {
  const match = AMOUNT.exec(amount.trim());
  if (!match) throw new Error(`Not a money amount: "${amount}"`);
  const [, sign, whole = '0', fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.slice(0, 2).padEnd(2, '0'));
  const roundUp = fraction.length > 2 && Number(fraction[2]) >= 5;
  const magnitude = cents + (roundUp ? 1 : 0);
  // -0 would print as "-$0.00".
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

/** Whole cents → "$12.99", "-$2.01", "12,99 €"… in the given locale. */
export function formatCents(cents: number, currency = 'USD', locale = 'en-US'): string {
  if (!Number.isInteger(cents)) throw new Error(`Cents must be a whole number, got ${cents}`);
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
}

/** A decimal string from the API → text for the page. */
export function formatMoney(amount: string, currency = 'USD', locale = 'en-US'): string {
  return formatCents(parseCents(amount), currency, locale);
}

/** "$5.00 off"-style text for a discount: always shown as a reduction, whatever its sign. */
export function formatDiscount(amount: string, currency = 'USD', locale = 'en-US'): string {
  const cents = Math.abs(parseCents(amount));
  return cents === 0 ? formatCents(0, currency, locale) : formatCents(-cents, currency, locale);
}
