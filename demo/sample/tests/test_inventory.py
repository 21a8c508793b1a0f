import pytest

from shop.errors import OutOfStockError
from shop.inventory import UNLIMITED, Inventory
from tests.conftest import ATLAS, ENGINE, POCKET


def test_reservations_hold_copies_until_released():
    inventory = Inventory(on_hand={POCKET.sku: 2})
    inventory.reserve(POCKET, 2)
    assert inventory.available(POCKET) == 0
    with pytest.raises(OutOfStockError, match="out of stock"):
        inventory.reserve(POCKET, 1)
    inventory.release(POCKET, 2)
    assert inventory.available(POCKET) == 2


def test_commit_takes_copies_off_the_shelf():
    inventory = Inventory(on_hand={ATLAS.sku: 1})
    inventory.reserve(ATLAS, 1)
    inventory.commit(ATLAS, 1)
    assert inventory.on_hand[ATLAS.sku] == 0
    assert inventory.reserved[ATLAS.sku] == 0


def test_ebooks_never_run_out():
    inventory = Inventory()
    assert inventory.available(ENGINE) == UNLIMITED
    inventory.reserve(ENGINE, 5)
    inventory.commit(ENGINE, 5)
    assert inventory.reserved == {}


def test_releasing_more_than_reserved_is_a_bug():
    inventory = Inventory(on_hand={POCKET.sku: 2})
    inventory.reserve(POCKET, 1)
    with pytest.raises(ValueError, match="only 1 are reserved"):
        inventory.release(POCKET, 2)


def test_restock_must_add_copies():
    inventory = Inventory()
    inventory.restock(POCKET.sku, 3)
    assert inventory.available(POCKET) == 3
    with pytest.raises(ValueError, match="must be positive"):
        inventory.restock(POCKET.sku, 0)
