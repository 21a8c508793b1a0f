"""Coupon codes: what each one is worth and when it may be used.

A coupon takes either a percentage or a fixed amount off the subtotal. Only coupons marked
``stackable`` may be combined with other coupons; docs/coupons.md has the rules as marketing
wrote them. ``shop.pricing`` adds the discounts up.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from shop.errors import (
    CouponExpiredError,
    CouponNotApplicableError,
    CouponStackingError,
    InvalidCouponError,
)
from shop.money import ZERO, format_money, to_money


class CouponKind(str, Enum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True)
class Coupon:
    code: str
    kind: CouponKind
    #: Percent (``15`` means 15 %) or an amount of money, depending on ``kind``.
    value: Decimal
    stackable: bool = False
    min_subtotal: Decimal = ZERO
    expires_on: date | None = None

    def discount_for(self, amount: Decimal) -> Decimal:
        """What this coupon takes off ``amount`` on its own."""
        if self.kind is CouponKind.PERCENT:
            return to_money(amount * self.value / 100)
        return to_money(self.value)

    def describe(self) -> str:
        if self.kind is CouponKind.PERCENT:
            return f"{self.value.normalize()}% off"
        return f"{format_money(self.value)} off"


#: Codes marketing has published. They live in code until the admin screen exists.
KNOWN_COUPONS: dict[str, Coupon] = {
    coupon.code: coupon
    for coupon in (
        Coupon("WELCOME5", CouponKind.FIXED, Decimal("5.00"), stackable=True),
        Coupon("READMORE10", CouponKind.FIXED, Decimal("10.00"), stackable=True),
        Coupon("SPRING15", CouponKind.PERCENT, Decimal("15"), expires_on=date(2024, 6, 30)),
        Coupon(
            "BOOKCLUB20",
            CouponKind.PERCENT,
            Decimal("20"),
            stackable=True,
            min_subtotal=Decimal("40.00"),
        ),
    )
}


def find_coupon(code: str, known: Mapping[str, Coupon] = KNOWN_COUPONS) -> Coupon:
    try:
        return known[code.strip().upper()]
    except KeyError:
        raise InvalidCouponError(f"Coupon code {code!r} does not exist") from None


def validate_coupon(coupon: Coupon, subtotal: Decimal, today: date) -> None:
    """Raises if ``coupon`` cannot be used today on a cart worth ``subtotal``."""
    if coupon.expires_on is not None and today > coupon.expires_on:
        raise CouponExpiredError(f"Coupon {coupon.code} expired on {coupon.expires_on:%d %B %Y}")
    if subtotal < coupon.min_subtotal:
        raise CouponNotApplicableError(
            f"Coupon {coupon.code} needs a subtotal of at least {format_money(coupon.min_subtotal)}"
        )


def check_stacking(coupons: Sequence[Coupon]) -> None:
    """One coupon is always fine; several must all be stackable."""
    if len(coupons) < 2:
        return
    for coupon in coupons:
        if not coupon.stackable:
            raise CouponStackingError(f"Coupon {coupon.code} cannot be combined with other coupons")


def resolve_coupons(
    codes: Iterable[str],
    subtotal: Decimal,
    today: date,
    known: Mapping[str, Coupon] = KNOWN_COUPONS,
) -> list[Coupon]:
    """The coupons behind ``codes``, checked against this subtotal and date, in the order typed."""
    coupons = [find_coupon(code, known) for code in codes]
    for coupon in coupons:
        validate_coupon(coupon, subtotal, today)
    check_stacking(coupons)
    return coupons
