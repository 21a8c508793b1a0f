"""Plain data objects shared by the shop modules.

They hold no behaviour beyond simple derived values; the rules live in the modules that own them
(``cart``, ``pricing``, ``orders``), so a model can be built freely in tests.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from shop.money import ZERO


class BookFormat(str, Enum):
    PAPERBACK = "paperback"
    HARDCOVER = "hardcover"
    EBOOK = "ebook"


@dataclass(frozen=True)
class Book:
    sku: str
    title: str
    author: str
    price: Decimal
    format: BookFormat = BookFormat.PAPERBACK
    #: Shipping weight of one copy; zero for ebooks.
    weight_grams: int = 0

    @property
    def is_digital(self) -> bool:
        return self.format is BookFormat.EBOOK


@dataclass
class CartLine:
    book: Book
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.book.price * self.quantity


@dataclass
class Cart:
    id: str
    customer_id: str
    lines: list[CartLine] = field(default_factory=list)
    #: Codes as the customer typed them (normalised to upper case), in order.
    coupon_codes: list[str] = field(default_factory=list)
    currency: str = "USD"


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    #: ISO 3166-1 alpha-2 code, e.g. ``"US"`` or ``"GB"``.
    country: str
    #: State or province code where it matters for tax (``"CA"``, ``"OR"``), else empty.
    region: str = ""


@dataclass(frozen=True)
class PriceBreakdown:
    """What the cart page shows and what checkout charges; all amounts are rounded to cents."""

    subtotal: Decimal
    discount: Decimal = ZERO
    shipping: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO
    #: Codes of the coupons that were applied, in the order the customer typed them.
    coupons: tuple[str, ...] = ()


class OrderStatus(str, Enum):
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass
class Order:
    id: str
    customer_id: str
    lines: list[CartLine]
    price: PriceBreakdown
    address: Address
    status: OrderStatus = OrderStatus.PAID
    #: Id of the charge at the payment provider; ``None`` for orders that cost nothing.
    payment_id: str | None = None
