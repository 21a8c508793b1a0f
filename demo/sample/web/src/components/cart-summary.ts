/**
 * The cart page: one row per book with its quantity and line total, then the order summary.
 * Prices come from the server as they are; nothing is recomputed here.
 */

import { renderTotal } from '../cart-total';
import { formatMoney } from '../format-money';
import type { Locale } from '../i18n';
import type { CartResponse } from '../types';

export function renderCartLines(table: HTMLTableSectionElement, response: CartResponse, locale: Locale): void {
  const { cart } = response;
  const rows = cart.lines.map((line) => {
    const row = document.createElement('tr');
    row.dataset.sku = line.sku;
    const cells = [
      line.title,
      String(line.quantity),
      formatMoney(line.unit_price, cart.currency, locale),
      formatMoney(line.line_total, cart.currency, locale),
    ];
    for (const text of cells) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  table.replaceChildren(...rows);
}

/** Mounts the cart page into `root`, which must hold a `tbody[data-lines]` and a `[data-summary]`. */
export function renderCartSummary(root: HTMLElement, response: CartResponse, locale: Locale): void {
  const lines = root.querySelector<HTMLTableSectionElement>('tbody[data-lines]');
  const summary = root.querySelector<HTMLElement>('[data-summary]');
  if (!lines || !summary) {
    throw new Error('The cart page needs a tbody[data-lines] and a [data-summary] element');
  }
  renderCartLines(lines, response, locale);
  renderTotal(summary, response.price, response.cart.currency, locale);
  root.classList.toggle('cart--empty', response.cart.lines.length === 0);
}
