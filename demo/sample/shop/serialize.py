"""Between JSON bodies and shop objects, for ``shop.api``.

Money leaves the API as decimal strings (``"12.99"``), never as floats, so the web app can format
exactly what the server computed. Field names are snake_case; docs/api.md lists them.
"""

from typing import Any

from shop.errors import ClientError
from shop.models import Address, Cart, PriceBreakdown

ADDRESS_FIELDS = ("name", "line1", "city", "postcode", "country")
AMOUNTS = ("subtotal", "discount", "shipping", "tax", "total")


def require(body: dict[str, Any], name: str) -> Any:
    """``body[name]``, or a 400 naming the missing field."""
    if body.get(name) in (None, ""):
        raise ClientError(f"Missing field {name!r}")
    return body[name]


def parse_address(data: Any) -> Address:
    if not isinstance(data, dict):
        raise ClientError("The address must be an object with name, line1, city, postcode and country")
    fields = {name: str(data.get(name, "")).strip() for name in ADDRESS_FIELDS}
    for name, value in fields.items():
        if not value:
            raise ClientError(f"The address is missing its {name}")
    fields["country"] = fields["country"].upper()
    return Address(**fields, region=str(data.get("region", "")).strip().upper())


def price_json(price: PriceBreakdown) -> dict[str, Any]:
    body: dict[str, Any] = {name: str(getattr(price, name)) for name in AMOUNTS}
    body["coupons"] = list(price.coupons)
    return body


def cart_json(cart: Cart) -> dict[str, Any]:
    lines = [
        {
            "sku": line.book.sku,
            "title": line.book.title,
            "quantity": line.quantity,
            "unit_price": str(line.book.price),
            "line_total": str(line.line_total),
        }
        for line in cart.lines
    ]
    return {"id": cart.id, "currency": cart.currency, "lines": lines, "coupon_codes": list(cart.coupon_codes)}

