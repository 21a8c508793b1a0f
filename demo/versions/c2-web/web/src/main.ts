/**
 * Entry point of the web bundle. Pages opt in with data attributes; for now only the cart page
 * (`[data-cart-page]`) uses it.
 */

import { ApiClient } from './api-client';
import { renderCartSummary } from './components/cart-summary';
import { pickLocale } from './i18n';

function start(): void {
  const body = document.body;
  const cartId = body.dataset.cartId;
  if (!cartId) return; // A page without a cart (the catalog, say) needs none of this.
  const client = new ApiClient({ baseUrl: body.dataset.apiBase ?? '/api' });
  const locale = pickLocale(navigator.languages);

  const cartPage = document.querySelector<HTMLElement>('[data-cart-page]');
  if (cartPage) {
    client
      .getCart(cartId)
      .then((response) => renderCartSummary(cartPage, response, locale))
      .catch((error: unknown) => {
        cartPage.textContent = error instanceof Error ? error.message : String(error);
      });
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
