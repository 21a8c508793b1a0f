"""Shared fixtures: a handful of books, stock for them, and a shop wired to fakes.

``TODAY`` is fixed so coupon expiry does not depend on when the tests run.
"""

from datetime import date
from decimal import Decimal

import pytest

from shop.api import ShopContext
from shop.catalog import Catalog
from shop.inventory import Inventory
from shop.models import Address, Book, BookFormat
from shop.payments import FakeGateway
from shop.storage import InMemoryStore

TODAY = date(2024, 5, 1)

ENGINE = Book("BK-001", "The Analytical Engine", "A. Lovelace", Decimal("12.99"), BookFormat.EBOOK)
COMPILERS = Book("BK-002", "Compilers for Humans", "G. Hopper", Decimal("34.50"), weight_grams=640)
POCKET = Book("BK-003", "Pocket Guide to Punch Cards", "H. Hollerith", Decimal("7.99"), weight_grams=180)
ATLAS = Book("BK-004", "Atlas of Early Computing", "C. Babbage", Decimal("59.00"), BookFormat.HARDCOVER, 1450)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([ENGINE, COMPILERS, POCKET, ATLAS])


@pytest.fixture
def inventory() -> Inventory:
    return Inventory(on_hand={"BK-002": 5, "BK-003": 2, "BK-004": 1})


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def portland() -> Address:
    return Address("Sam Reader", "12 Elm St", "Portland", "97201", "US", "OR")


@pytest.fixture
def shop(catalog: Catalog, inventory: Inventory, store: InMemoryStore) -> ShopContext:
    return ShopContext(catalog, inventory, store, FakeGateway(), today=lambda: TODAY)
