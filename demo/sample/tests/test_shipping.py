from decimal import Decimal

import pytest

from shop.cart import add_item
from shop.errors import ShippingUnavailableError
from shop.models import Address, Cart
from shop.shipping import parcel_weight, quote_shipping, zone_for
from tests.conftest import ATLAS, COMPILERS, ENGINE, POCKET

LONDON = Address("Ada", "1 Strand", "London", "WC2R 0RN", "GB")


def cart_of(inventory, *books):
    cart = Cart("c-1", "cust-1")
    for book in books:
        add_item(cart, book, 1, inventory)
    return cart


def test_ebooks_ship_for_free(inventory, portland):
    cart = cart_of(inventory, ENGINE)
    assert parcel_weight(cart) == 0
    assert quote_shipping(cart, portland) == Decimal("0.00")


def test_domestic_rate_by_weight(inventory, portland):
    assert quote_shipping(cart_of(inventory, POCKET), portland) == Decimal("3.99")
    assert quote_shipping(cart_of(inventory, COMPILERS), portland) == Decimal("5.49")


def test_free_domestic_shipping_over_fifty(inventory, portland):
    assert quote_shipping(cart_of(inventory, ATLAS), portland) == Decimal("0.00")


def test_europe_pays_per_step(inventory):
    # 1450 g + 120 g packaging = four 500 g steps.
    assert quote_shipping(cart_of(inventory, ATLAS), LONDON) == Decimal("18.99")


def test_unknown_destination():
    with pytest.raises(ShippingUnavailableError, match="do not ship to BR"):
        zone_for("BR")
