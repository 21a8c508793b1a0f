from decimal import Decimal

import pytest

from shop.cart import add_coupon_code, add_item
from shop.coupons import KNOWN_COUPONS
from shop.errors import CouponStackingError
from shop.models import Address, Cart
from shop.pricing import apply_coupons, quote
from tests.conftest import COMPILERS, ENGINE, POCKET, TODAY

SACRAMENTO = Address("Kim", "1 K St", "Sacramento", "95814", "US", "CA")


def cart_with(inventory, *books, codes=()):
    cart = Cart("c-1", "cust-1")
    for book in books:
        add_item(cart, book, 1, inventory)
    for code in codes:
        add_coupon_code(cart, code)
    return cart


def test_quote_without_coupons_or_address(inventory):
    price = quote(cart_with(inventory, COMPILERS, POCKET), None, TODAY)
    assert price.subtotal == Decimal("42.49")
    assert price.discount == Decimal("0.00")
    assert price.total == Decimal("42.49")


def test_percent_coupon_on_subtotal(inventory):
    price = quote(cart_with(inventory, COMPILERS, codes=["SPRING15"]), None, TODAY)
    assert price.discount == Decimal("5.18")
    assert price.total == Decimal("29.32")
    assert price.coupons == ("SPRING15",)


def test_stacked_coupons_each_count_against_the_full_subtotal():
    coupons = [KNOWN_COUPONS["READMORE10"], KNOWN_COUPONS["WELCOME5"]]
    discounted, discount = apply_coupons(Decimal("34.50"), coupons)
    assert discount == Decimal("15.00")
    assert discounted == Decimal("19.50")


def test_non_stackable_coupon_cannot_be_combined(inventory):
    cart = cart_with(inventory, COMPILERS, codes=["SPRING15", "WELCOME5"])
    with pytest.raises(CouponStackingError, match="SPRING15 cannot be combined"):
        quote(cart, None, TODAY)


def test_tax_is_charged_on_the_discounted_subtotal(inventory):
    price = quote(cart_with(inventory, ENGINE, codes=["WELCOME5"]), SACRAMENTO, TODAY)
    assert price.tax == Decimal("0.58")
    assert price.total == Decimal("8.57")
