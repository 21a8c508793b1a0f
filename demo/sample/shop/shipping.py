"""Shipping quotes by destination and parcel weight.

Parcels are priced per zone: a price for the first 500 g and a price for each further 500 g.
Domestic orders over ``FREE_SHIPPING_OVER`` ship for free, and ebooks never cost shipping.
"""

import math
from decimal import Decimal

from shop.cart import cart_subtotal
from shop.errors import ShippingUnavailableError
from shop.models import Address, Cart
from shop.money import ZERO

HOME_COUNTRY = "US"
EUROPE = frozenset({"AT", "BE", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "PT", "SE"})
REST_OF_WORLD = frozenset({"AU", "CA", "JP", "NZ"})

#: zone -> (first 500 g, each further 500 g)
ZONE_RATES: dict[str, tuple[Decimal, Decimal]] = {
    "domestic": (Decimal("3.99"), Decimal("1.50")),
    "europe": (Decimal("9.99"), Decimal("3.00")),
    "world": (Decimal("14.99"), Decimal("4.50")),
}

FREE_SHIPPING_OVER = Decimal("50.00")
#: Box and padding, added once per parcel.
PACKAGING_GRAMS = 120
STEP_GRAMS = 500


def zone_for(country: str) -> str:
    if country == HOME_COUNTRY:
        return "domestic"
    if country in EUROPE:
        return "europe"
    if country in REST_OF_WORLD:
        return "world"
    raise ShippingUnavailableError(f"Sorry, we do not ship to {country} yet")


def parcel_weight(cart: Cart) -> int:
    """Grams to ship, packaging included; zero when the cart holds only ebooks."""
    books = sum(
        line.book.weight_grams * line.quantity for line in cart.lines if not line.book.is_digital
    )
    return books + PACKAGING_GRAMS if books else 0


def quote_shipping(cart: Cart, address: Address) -> Decimal:
    weight = parcel_weight(cart)
    if weight == 0:
        return ZERO
    zone = zone_for(address.country)
    # Free shipping is promised on the subtotal before coupons, as the banner on the site says.
    if zone == "domestic" and cart_subtotal(cart) >= FREE_SHIPPING_OVER:
        return ZERO
    first, further = ZONE_RATES[zone]
    steps = math.ceil(weight / STEP_GRAMS) - 1
    return first + further * steps
