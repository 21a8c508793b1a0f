"""Stock levels and reservations.

Checkout reserves copies before it takes payment and commits them once the payment went through,
so two customers can never both buy the last copy. Ebooks never run out.
"""

from dataclasses import dataclass, field

from shop.errors import OutOfStockError
from shop.models import Book

#: What ``available`` reports for books that cannot run out.
UNLIMITED = 1_000_000


@dataclass
class Inventory:
    on_hand: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)

    def available(self, book: Book) -> int:
        """Copies that can still be sold: on the shelf and not held for an unpaid order."""
        if book.is_digital:
            return UNLIMITED
        return self.on_hand.get(book.sku, 0) - self.reserved.get(book.sku, 0)

    def check(self, book: Book, quantity: int) -> None:
        """Raises ``OutOfStockError`` unless ``quantity`` copies could be sold right now."""
        available = self.available(book)
        if quantity > available:
            raise OutOfStockError(book.title, quantity, available)

    def reserve(self, book: Book, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError(f"Cannot reserve {quantity} copies of {book.sku}")
        self.check(book, quantity)
        if not book.is_digital:
            self.reserved[book.sku] = self.reserved.get(book.sku, 0) + quantity

    def release(self, book: Book, quantity: int) -> None:
        """Gives back a reservation, e.g. when the payment was declined."""
        if book.is_digital:
            return
        held = self.reserved.get(book.sku, 0)
        if quantity > held:
            raise ValueError(f"Releasing {quantity} copies of {book.sku} but only {held} are reserved")
        self.reserved[book.sku] = held - quantity

    def commit(self, book: Book, quantity: int) -> None:
        """The order is paid: its reserved copies leave the shelf."""
        if book.is_digital:
            return
        self.release(book, quantity)
        self.on_hand[book.sku] = self.on_hand.get(book.sku, 0) - quantity

    def restock(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError(f"Restock quantity must be positive, got {quantity}")
        self.on_hand[sku] = self.on_hand.get(sku, 0) + quantity
