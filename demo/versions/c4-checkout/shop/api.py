"""HTTP handlers, written as plain functions so they can be tested without a web server.

The server adapter turns each request into a ``Request`` and calls ``dispatch``. Errors the
customer can fix (``ClientError``) become 4xx answers carrying the error's message; any other
``ShopError`` is logged with its traceback and becomes a generic 500.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shop import cart as carts
from shop.catalog import Catalog
from shop.errors import ClientError, ShopError
from shop.inventory import Inventory
from shop.models import Cart, PriceBreakdown
from shop.orders import place_order
from shop.payments import PaymentGateway
from shop.pricing import price_for_checkout, quote
from shop.serialize import cart_json, parse_address, price_json, require
from shop.storage import InMemoryStore

log = logging.getLogger("shop.api")


@dataclass
class Request:
    method: str
    path: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    body: dict[str, Any]


@dataclass
class ShopContext:
    catalog: Catalog
    inventory: Inventory
    store: InMemoryStore
    gateway: PaymentGateway
    today: Callable[[], date] = date.today


Handler = Callable[[Request, ShopContext, dict[str, str]], Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Registers a handler for ``pattern``, where ``<name>`` matches one path segment."""
    compiled = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, compiled, handler))
        return handler

    return register


def dispatch(request: Request, shop: ShopContext) -> Response:
    for method, pattern, handler in ROUTES:
        match = pattern.match(request.path)
        if match is None or method != request.method:
            continue
        try:
            return handler(request, shop, match.groupdict())
        except ClientError as error:
            return Response(error.status, {"error": str(error)})
        except ShopError:
            log.exception("%s %s failed", request.method, request.path)
            return Response(500, {"error": "Something went wrong, please try again"})
    return Response(404, {"error": f"No route for {request.method} {request.path}"})


@route("GET", "/carts/<cart_id>")
def get_cart(request: Request, shop: ShopContext, params: dict[str, str]) -> Response:
    cart = shop.store.get_cart(params["cart_id"])
    return cart_response(cart, quote(cart, None, shop.today()))


@route("POST", "/carts/<cart_id>/items")
def add_item(request: Request, shop: ShopContext, params: dict[str, str]) -> Response:
    cart = shop.store.get_cart(params["cart_id"])
    book = shop.catalog.get(require(request.body, "sku"))
    carts.add_item(cart, book, int(request.body.get("quantity", 1)), shop.inventory)
    return cart_response(cart, quote(cart, None, shop.today()))


@route("DELETE", "/carts/<cart_id>/items/<sku>")
def remove_item(request: Request, shop: ShopContext, params: dict[str, str]) -> Response:
    cart = shop.store.get_cart(params["cart_id"])
    carts.remove_item(cart, params["sku"])
    return cart_response(cart, quote(cart, None, shop.today()))


@route("POST", "/carts/<cart_id>/coupons")
def add_coupon(request: Request, shop: ShopContext, params: dict[str, str]) -> Response:
    cart = shop.store.get_cart(params["cart_id"])
    code = carts.add_coupon_code(cart, require(request.body, "code"))
    try:
        # Pricing validates the code against this cart; a code that does not apply is not kept.
        price = quote(cart, None, shop.today())
    except ClientError:
        carts.remove_coupon_code(cart, code)
        raise
    return cart_response(cart, price)


@route("POST", "/carts/<cart_id>/checkout")
def checkout(request: Request, shop: ShopContext, params: dict[str, str]) -> Response:
    cart = shop.store.get_cart(params["cart_id"])
    address = parse_address(require(request.body, "address"))
    price = price_for_checkout(cart, address, shop.today())
    order = place_order(cart, address, price, shop.store, shop.inventory, shop.gateway)
    return Response(201, {"order_id": order.id, "status": order.status.value, "price": price_json(price)})


def cart_response(cart: Cart, price: PriceBreakdown) -> Response:
    return Response(200, {"cart": cart_json(cart), "price": price_json(price)})
