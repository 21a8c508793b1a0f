/**
 * The coupon field: a text input, an Apply button and a line for the result. The server decides
 * whether a code applies; its message ("Coupon SPRING15 cannot be combined with other coupons")
 * is shown under the field as it comes.
 */

import { ApiError, type ApiClient } from '../api-client';
import { t, type Locale } from '../i18n';
import type { CartResponse } from '../types';

export interface CouponFieldOptions {
  client: ApiClient;
  cartId: string;
  locale: Locale;
  /** Called with the updated cart after a code was accepted. */
  onApplied: (response: CartResponse) => void;
}

export function mountCouponField(root: HTMLElement, options: CouponFieldOptions): void {
  const input = document.createElement('input');
  input.name = 'coupon';
  input.autocomplete = 'off';
  input.placeholder = t(options.locale, 'coupon.placeholder');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = t(options.locale, 'coupon.apply');
  const message = document.createElement('p');
  message.className = 'coupon-field__message';
  message.setAttribute('role', 'status');
  root.replaceChildren(input, button, message);

  const apply = async () => {
    const code = input.value.trim();
    if (code === '') return;
    button.disabled = true;
    message.classList.remove('coupon-field__message--error');
    try {
      const response = await options.client.applyCoupon(options.cartId, code);
      message.textContent = t(options.locale, 'coupon.applied', { code: code.toUpperCase() });
      input.value = '';
      options.onApplied(response);
    } catch (error) {
      message.classList.add('coupon-field__message--error');
      message.textContent =
        error instanceof ApiError && error.isClientError ? error.message : t(options.locale, 'checkout.failed');
    } finally {
      button.disabled = false;
    }
  };

  button.addEventListener('click', () => void apply());
  input.addEventListener('keydown', (event) => {
    // Enter in the coupon field applies the code instead of submitting the checkout form.
    if (event.key === 'Enter') {
      event.preventDefault();
      void apply();
    }
  });
}
