"""What a cart costs: subtotal, coupon discounts and tax.

Everything here is a pure function of its arguments, so the cart page and checkout always agree
on the price. Amounts are rounded to cents at each step, the way the receipt shows them.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from shop import tax
from shop.cart import cart_subtotal, is_digital_only
from shop.coupons import Coupon, check_stacking, resolve_coupons
from shop.models import Address, Cart, PriceBreakdown
from shop.money import ZERO, to_money


def apply_coupons(subtotal: Decimal, coupons: Sequence[Coupon]) -> tuple[Decimal, Decimal]:
    """Returns ``(discounted_subtotal, discount)`` for ``coupons`` applied to ``subtotal``.

    Every coupon is worked out against the undiscounted subtotal, so the order in which the
    customer typed the codes does not change the price.
    """
    check_stacking(coupons)
    discount = ZERO
    for coupon in coupons:
        discount += coupon.discount_for(subtotal)
    return subtotal - discount, discount


def quote(cart: Cart, address: Address | None, today: date) -> PriceBreakdown:
    """The price shown on the cart page.

    ``address`` is ``None`` until the customer has entered one; tax is zero until then.
    """
    subtotal = cart_subtotal(cart)
    coupons = resolve_coupons(cart.coupon_codes, subtotal, today)
    discounted, discount = apply_coupons(subtotal, coupons)
    if address is None:
        tax_amount = ZERO
    else:
        tax_amount = tax.tax_for(discounted, address, digital=is_digital_only(cart))
    return PriceBreakdown(
        subtotal=subtotal,
        discount=discount,
        tax=tax_amount,
        total=to_money(discounted + tax_amount),
        coupons=tuple(coupon.code for coupon in coupons),
    )
