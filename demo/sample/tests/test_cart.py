from decimal import Decimal

import pytest

from shop.cart import (
    MAX_COUPONS,
    add_coupon_code,
    add_item,
    cart_subtotal,
    is_digital_only,
    remove_coupon_code,
    remove_item,
)
from shop.errors import ClientError, CouponStackingError, NotFoundError, OutOfStockError
from shop.models import Cart
from tests.conftest import COMPILERS, ENGINE, POCKET


def test_adding_the_same_book_twice_merges_the_lines(inventory):
    cart = Cart("c-1", "cust-1")
    add_item(cart, COMPILERS, 1, inventory)
    add_item(cart, COMPILERS, 2, inventory)
    assert len(cart.lines) == 1
    assert cart.lines[0].quantity == 3
    assert cart_subtotal(cart) == Decimal("103.50")


def test_cannot_add_more_than_is_in_stock(inventory):
    cart = Cart("c-1", "cust-1")
    with pytest.raises(OutOfStockError, match="Only 2 copies of 'Pocket Guide to Punch Cards' left"):
        add_item(cart, POCKET, 3, inventory)
    assert cart.lines == []


def test_quantity_must_be_positive(inventory):
    with pytest.raises(ClientError, match="at least 1"):
        add_item(Cart("c-1", "cust-1"), ENGINE, 0, inventory)


def test_remove_item(inventory):
    cart = Cart("c-1", "cust-1")
    add_item(cart, ENGINE, 1, inventory)
    remove_item(cart, ENGINE.sku)
    assert cart.lines == []
    with pytest.raises(NotFoundError):
        remove_item(cart, ENGINE.sku)


def test_coupon_codes_are_normalised_and_deduplicated():
    cart = Cart("c-1", "cust-1")
    assert add_coupon_code(cart, " welcome5 ") == "WELCOME5"
    add_coupon_code(cart, "WELCOME5")
    assert cart.coupon_codes == ["WELCOME5"]
    remove_coupon_code(cart, "Welcome5")
    assert cart.coupon_codes == []


def test_at_most_three_coupon_codes():
    cart = Cart("c-1", "cust-1")
    for code in ["A", "B", "C"][:MAX_COUPONS]:
        add_coupon_code(cart, code)
    with pytest.raises(CouponStackingError, match="At most 3 coupons"):
        add_coupon_code(cart, "D")


def test_digital_only(inventory):
    cart = Cart("c-1", "cust-1")
    assert not is_digital_only(cart)
    add_item(cart, ENGINE, 1, inventory)
    assert is_digital_only(cart)
    add_item(cart, POCKET, 1, inventory)
    assert not is_digital_only(cart)
