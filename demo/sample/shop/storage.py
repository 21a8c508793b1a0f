"""Where carts and orders live.

``InMemoryStore`` is what tests and the development server use. The production store implements
the same methods on top of the database; nothing outside this module knows which one it talks to.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from shop.errors import NotFoundError
from shop.models import Cart, Order


@dataclass
class InMemoryStore:
    carts: dict[str, Cart] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    _cart_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _order_ids: Iterator[int] = field(default_factory=lambda: itertools.count(5001))

    def new_cart(self, customer_id: str, currency: str = "USD") -> Cart:
        cart = Cart(id=f"c-{next(self._cart_ids)}", customer_id=customer_id, currency=currency)
        self.carts[cart.id] = cart
        return cart

    def get_cart(self, cart_id: str) -> Cart:
        try:
            return self.carts[cart_id]
        except KeyError:
            raise NotFoundError(f"Cart {cart_id} does not exist or has already been checked out") from None

    def delete_cart(self, cart_id: str) -> None:
        self.carts.pop(cart_id, None)

    def next_order_id(self) -> str:
        return f"o-{next(self._order_ids)}"

    def save_order(self, order: Order) -> None:
        self.orders[order.id] = order

    def get_order(self, order_id: str) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise NotFoundError(f"Order {order_id} does not exist") from None

    def orders_of(self, customer_id: str) -> list[Order]:
        return [order for order in self.orders.values() if order.customer_id == customer_id]
