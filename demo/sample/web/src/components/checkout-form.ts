/**
 * The checkout form: the address, the coupon field, the order summary and the Place order
 * button. The summary is re-quoted whenever the address or the coupons change, so the customer
 * always sees the price checkout will charge.
 */

import { ApiError, type ApiClient } from '../api-client';
import { renderTotal } from '../cart-total';
import { t, type Locale } from '../i18n';
import type { Address, CartResponse } from '../types';
import { mountCouponField } from './coupon-field';

const REQUIRED: ReadonlyArray<keyof Address> = ['name', 'line1', 'city', 'postcode', 'country'];

export function readAddress(form: HTMLFormElement): Address {
  const data = new FormData(form);
  const field = (name: string) => String(data.get(name) ?? '').trim();
  return {
    name: field('name'),
    line1: field('line1'),
    city: field('city'),
    postcode: field('postcode'),
    country: field('country').toUpperCase(),
    region: field('region').toUpperCase() || undefined,
  };
}

export function missingFields(address: Address): Array<keyof Address> {
  return REQUIRED.filter((name) => !address[name]);
}

export interface CheckoutOptions {
  client: ApiClient;
  cartId: string;
  locale: Locale;
  /** Where to go once the order is placed; defaults to the order page. */
  onOrdered?: (orderId: string) => void;
}

export function mountCheckoutForm(form: HTMLFormElement, options: CheckoutOptions): void {
  const { client, cartId, locale } = options;
  const summary = form.querySelector<HTMLElement>('[data-summary]');
  const couponRoot = form.querySelector<HTMLElement>('[data-coupon]');
  const error = form.querySelector<HTMLElement>('[data-error]');
  if (!summary || !couponRoot || !error) {
    throw new Error('The checkout form needs [data-summary], [data-coupon] and [data-error] elements');
  }
  const show = (response: CartResponse) => renderTotal(summary, response.price, response.cart.currency, locale);
  const requote = async () => {
    const address = readAddress(form);
    show(missingFields(address).length ? await client.getCart(cartId) : await client.quote(cartId, address));
  };

  mountCouponField(couponRoot, { client, cartId, locale, onApplied: () => void requote() });
  form.addEventListener('change', () => void requote());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const address = readAddress(form);
    const missing = missingFields(address);
    if (missing.length > 0) {
      error.textContent = t(locale, 'checkout.missingField', { fields: missing.join(', ') });
      return;
    }
    try {
      const order = await client.checkout(cartId, address);
      (options.onOrdered ?? ((id) => window.location.assign(`/orders/${id}`)))(order.order_id);
    } catch (failure) {
      if (failure instanceof ApiError && failure.isClientError) error.textContent = failure.message;
      else if (failure instanceof ApiError && failure.status === 0) error.textContent = t(locale, 'checkout.offline');
      else error.textContent = t(locale, 'checkout.failed');
    }
  });
  void requote();
}
