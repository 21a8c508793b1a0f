/**
 * Shapes of the JSON the bookshop API sends (docs/api.md). Money travels as decimal strings such
 * as "12.99" so that no float ever rounds a price; `format-money.ts` turns them into text.
 */

export type Money = string;

export interface PriceBreakdown {
  subtotal: Money;
  discount: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  /** Codes of the coupons that were applied, in the order they were typed. */
  coupons: string[];
}

export interface CartLine {
  sku: string;
  title: string;
  quantity: number;
  unit_price: Money;
  line_total: Money;
}

export interface Cart {
  id: string;
  currency: string;
  lines: CartLine[];
  coupon_codes: string[];
}

export interface CartResponse {
  cart: Cart;
  price: PriceBreakdown;
}

export interface Address {
  name: string;
  line1: string;
  city: string;
  postcode: string;
  /** ISO 3166-1 alpha-2, e.g. "US". */
  country: string;
  /** State or province, where tax depends on it. */
  region?: string;
}

export interface OrderResponse {
  order_id: string;
  status: 'paid' | 'shipped' | 'cancelled';
  price: PriceBreakdown;
}
