from decimal import Decimal

from shop.cart import add_item
from shop.models import Address, Cart
from shop.pricing import quote
from tests.conftest import COMPILERS, ENGINE, POCKET

SACRAMENTO = Address("Kim", "1 K St", "Sacramento", "95814", "US", "CA")


def cart_with(inventory, *books):
    cart = Cart("c-1", "cust-1")
    for book in books:
        add_item(cart, book, 1, inventory)
    return cart


def test_quote_without_an_address(inventory):
    price = quote(cart_with(inventory, COMPILERS, POCKET), None)
    assert price.subtotal == Decimal("42.49")
    assert price.tax == Decimal("0.00")
    assert price.total == Decimal("42.49")


def test_tax_needs_an_address(inventory):
    price = quote(cart_with(inventory, ENGINE), SACRAMENTO)
    assert price.tax == Decimal("0.94")
    assert price.total == Decimal("13.93")


def test_oregon_has_no_sales_tax(inventory, portland):
    price = quote(cart_with(inventory, ENGINE), portland)
    assert (price.tax, price.total) == (Decimal("0.00"), Decimal("12.99"))
