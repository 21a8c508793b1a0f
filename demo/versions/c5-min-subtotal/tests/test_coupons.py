from datetime import date
from decimal import Decimal

import pytest

from shop.coupons import (
    KNOWN_COUPONS,
    Coupon,
    CouponKind,
    check_stacking,
    find_coupon,
    resolve_coupons,
)
from shop.errors import (
    CouponExpiredError,
    CouponNotApplicableError,
    CouponStackingError,
    InvalidCouponError,
)

TODAY = date(2024, 5, 1)


def test_percent_coupon_rounds_to_cents():
    coupon = Coupon("TEN", CouponKind.PERCENT, Decimal("10"))
    assert coupon.discount_for(Decimal("12.35")) == Decimal("1.24")


def test_fixed_coupon_takes_its_value():
    assert KNOWN_COUPONS["READMORE10"].discount_for(Decimal("20.00")) == Decimal("10.00")


def test_unknown_code():
    with pytest.raises(InvalidCouponError, match="'NOPE' does not exist"):
        find_coupon("NOPE")


def test_lookup_ignores_case_and_spaces():
    assert find_coupon(" welcome5 ").code == "WELCOME5"


def test_expired_coupon():
    with pytest.raises(CouponExpiredError, match="expired on 30 June 2024"):
        resolve_coupons(["SPRING15"], Decimal("20.00"), date(2024, 7, 1))


def test_minimum_subtotal():
    with pytest.raises(CouponNotApplicableError, match=r"at least \$40.00"):
        resolve_coupons(["BOOKCLUB20"], Decimal("39.99"), TODAY)
    assert resolve_coupons(["BOOKCLUB20"], Decimal("40.00"), TODAY)[0].code == "BOOKCLUB20"


def test_stackable_coupons_combine():
    coupons = resolve_coupons(["WELCOME5", "READMORE10"], Decimal("30.00"), TODAY)
    assert [coupon.code for coupon in coupons] == ["WELCOME5", "READMORE10"]


def test_non_stackable_coupon_alone_is_fine():
    check_stacking([KNOWN_COUPONS["SPRING15"]])
    with pytest.raises(CouponStackingError):
        check_stacking([KNOWN_COUPONS["SPRING15"], KNOWN_COUPONS["WELCOME5"]])


def test_describe():
    assert KNOWN_COUPONS["SPRING15"].describe() == "15% off"
    assert KNOWN_COUPONS["WELCOME5"].describe() == "$5.00 off"
