/**
 * A small client for the bookshop API (docs/api.md). Every method resolves with the parsed JSON
 * body or rejects with an `ApiError` carrying the status and the server's message, which is
 * written for the customer and can be shown as is for 4xx answers.
 */

import type { Address, CartResponse, OrderResponse } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** 4xx: the customer can do something about it (the message says what). */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

export interface ApiClientOptions {
  /** E.g. "https://shop.example/api". */
  baseUrl: string;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  getCart(cartId: string): Promise<CartResponse> {
    return this.request('GET', `/carts/${encodeURIComponent(cartId)}`);
  }

  addItem(cartId: string, sku: string, quantity = 1): Promise<CartResponse> {
    return this.request('POST', `/carts/${encodeURIComponent(cartId)}/items`, { sku, quantity });
  }

  applyCoupon(cartId: string, code: string): Promise<CartResponse> {
    return this.request('POST', `/carts/${encodeURIComponent(cartId)}/coupons`, { code });
  }

  removeCoupon(cartId: string, code: string): Promise<CartResponse> {
    return this.request('DELETE', `/carts/${encodeURIComponent(cartId)}/coupons/${encodeURIComponent(code)}`);
  }

  quote(cartId: string, address: Address): Promise<CartResponse> {
    return this.request('POST', `/carts/${encodeURIComponent(cartId)}/quote`, { address });
  }

  checkout(cartId: string, address: Address): Promise<OrderResponse> {
    return this.request('POST', `/carts/${encodeURIComponent(cartId)}/checkout`, { address });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const fetchImpl = this.options.fetch ?? fetch;
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, `Could not reach the shop (${(error as Error).message})`);
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const message =
        typeof payload === 'object' && payload !== null && typeof (payload as { error?: unknown }).error === 'string'
          ? (payload as { error: string }).error
          : `Request failed with status ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return payload as T;
  }
}
