/**
 * The order summary under the cart and on the checkout page. The server computes the price
 * (`shop/pricing.py`); this module only decides which rows to show and how they read.
 */

import { formatDiscount, formatMoney, parseCents } from './format-money';
import { t, type Locale } from './i18n';
import type { PriceBreakdown } from './types';

export type SummaryRowKind = 'subtotal' | 'discount' | 'shipping' | 'tax' | 'total';

export interface SummaryRow {
  kind: SummaryRowKind;
  label: string;
  value: string;
}

/** The rows to show, in order. Discount and tax rows are left out when they are zero. */
export function summaryRows(price: PriceBreakdown, currency: string, locale: Locale): SummaryRow[] {
  const money = (amount: string) => formatMoney(amount, currency, locale);
  const rows: SummaryRow[] = [{ kind: 'subtotal', label: t(locale, 'summary.subtotal'), value: money(price.subtotal) }];
  if (parseCents(price.discount) !== 0) {
    rows.push({
      kind: 'discount',
      label: t(locale, 'summary.discount', { codes: price.coupons.join(', ') }),
      value: formatDiscount(price.discount, currency, locale),
    });
  }
  rows.push({ kind: 'shipping', label: t(locale, 'summary.shipping'), value: money(price.shipping) });
  if (parseCents(price.tax) !== 0) {
    rows.push({ kind: 'tax', label: t(locale, 'summary.tax'), value: money(price.tax) });
  }
  rows.push({ kind: 'total', label: t(locale, 'summary.total'), value: money(price.total) });
  return rows;
}

/** Renders the summary as a definition list into `container`, replacing what was there. */
export function renderTotal(container: HTMLElement, price: PriceBreakdown, currency: string, locale: Locale): void {
  const list = document.createElement('dl');
  list.className = 'order-summary';
  for (const row of summaryRows(price, currency, locale)) {
    const term = document.createElement('dt');
    term.textContent = row.label;
    const value = document.createElement('dd');
    value.textContent = row.value;
    value.dataset.kind = row.kind;
    if (row.kind === 'total') {
      term.classList.add('order-summary__total');
      value.classList.add('order-summary__total');
    }
    list.append(term, value);
  }
  container.replaceChildren(list);
}
