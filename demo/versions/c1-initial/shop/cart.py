"""Shopping carts: what a customer intends to buy.

Nothing here decides prices; ``shop.pricing`` does, from the lines of the cart.
"""

from decimal import Decimal

from shop.errors import ClientError, NotFoundError
from shop.inventory import Inventory
from shop.models import Book, Cart, CartLine
from shop.money import ZERO, to_money

MAX_QUANTITY = 20


def find_line(cart: Cart, sku: str) -> CartLine | None:
    for line in cart.lines:
        if line.book.sku == sku:
            return line
    return None


def add_item(cart: Cart, book: Book, quantity: int, inventory: Inventory) -> CartLine:
    """Adds ``quantity`` copies of ``book``, merging with a line that already holds it."""
    if quantity < 1:
        raise ClientError("Quantity must be at least 1")
    line = find_line(cart, book.sku)
    new_quantity = quantity + (line.quantity if line else 0)
    if new_quantity > MAX_QUANTITY:
        raise ClientError(f"You can buy at most {MAX_QUANTITY} copies of a book per order")
    inventory.check(book, new_quantity)
    if line is None:
        line = CartLine(book, 0)
        cart.lines.append(line)
    line.quantity = new_quantity
    return line


def remove_item(cart: Cart, sku: str) -> None:
    line = find_line(cart, sku)
    if line is None:
        raise NotFoundError(f"{sku!r} is not in cart {cart.id}")
    cart.lines.remove(line)


def cart_subtotal(cart: Cart) -> Decimal:
    """Sum of the line totals, before coupons, shipping and tax."""
    return to_money(sum((line.line_total for line in cart.lines), ZERO))


def is_digital_only(cart: Cart) -> bool:
    """True when nothing in the cart needs shipping (and digital tax rates apply)."""
    return bool(cart.lines) and all(line.book.is_digital for line in cart.lines)
