/**
 * Formatting of the money amounts the API sends. Amounts arrive as decimal strings ("12.99",
 * "-2.01"); they are converted to whole cents and formatted with Intl for the customer's locale.
 */

const AMOUNT = /^[-+]?\d+(?:\.\d+)?$/;

/** "12.99" → 1299. */
export function parseCents(amount: string): number {
  const trimmed = amount.trim();
  if (!AMOUNT.test(trimmed)) throw new Error(`Not a money amount: "${amount}"`);
  return Math.round(Number(trimmed) * 100);
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
