/**
 * Entry point of the web bundle. Pages opt in with data attributes, so the same script serves the
 * cart page (`[data-cart-page]`) and the checkout page (`form[data-checkout]`).
 */

import { ApiClient } from './api-client';
import { renderCartSummary } from './components/cart-summary';
import { mountCheckoutForm } from './components/checkout-form';
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

  const checkout = document.querySelector<HTMLFormElement>('form[data-checkout]');
  if (checkout) mountCheckoutForm(checkout, { client, cartId, locale });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
