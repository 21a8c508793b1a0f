from decimal import Decimal

import pytest

from shop.cart import add_coupon_code, add_item
from shop.coupons import KNOWN_COUPONS
from shop.errors import ClientError, CouponStackingError
from shop.models import Address, Cart
from shop.pricing import apply_coupons, price_for_checkout, quote
from tests.conftest import COMPILERS, ENGINE, POCKET, TODAY


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


def test_single_coupon_never_exceeds_the_price(inventory):
    # #41: READMORE10 on a $7.99 book used to make the total -2.01.
    price = quote(cart_with(inventory, POCKET, codes=["READMORE10"]), None, TODAY)
    assert price.discount == Decimal("7.99")
    assert price.total == Decimal("0.00")


def test_non_stackable_coupon_cannot_be_combined(inventory):
    cart = cart_with(inventory, COMPILERS, codes=["SPRING15", "WELCOME5"])
    with pytest.raises(CouponStackingError, match="SPRING15 cannot be combined"):
        quote(cart, None, TODAY)


def test_shipping_and_tax_need_an_address(inventory):
    cart = cart_with(inventory, COMPILERS)
    sacramento = Address("Kim", "1 K St", "Sacramento", "95814", "US", "CA")
    price = quote(cart, sacramento, TODAY)
    assert price.shipping == Decimal("5.49")
    assert price.tax == Decimal("2.50")
    assert price.total == Decimal("42.49")


def test_ebooks_in_oregon_cost_the_list_price(inventory, portland):
    price = price_for_checkout(cart_with(inventory, ENGINE), portland, TODAY)
    assert (price.shipping, price.tax, price.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("12.99"))


def test_checkout_of_an_empty_cart_is_refused(portland):
    with pytest.raises(ClientError, match="cart is empty"):
        price_for_checkout(Cart("c-2", "cust-1"), portland, TODAY)
