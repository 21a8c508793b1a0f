"""What a cart costs: subtotal, coupon discounts, shipping and tax.

Everything here is a pure function of its arguments, so the cart page (``quote``) and checkout
(``price_for_checkout``) always agree on the price. Amounts are rounded to cents at each step,
the way the receipt shows them.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from shop import shipping, tax
from shop.cart import cart_subtotal, is_digital_only
from shop.coupons import Coupon, check_stacking, resolve_coupons
from shop.errors import ClientError
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

    ``address`` is ``None`` until the customer has entered one; shipping and tax are zero until then.
    """
    subtotal = cart_subtotal(cart)
    coupons = resolve_coupons(cart.coupon_codes, subtotal, today)
    discounted, discount = apply_coupons(subtotal, coupons)
    if address is None:
        shipping_cost = tax_amount = ZERO
    else:
        shipping_cost = shipping.quote_shipping(cart, address)
        tax_amount = tax.tax_for(discounted, address, digital=is_digital_only(cart))
    return PriceBreakdown(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping_cost,
        tax=tax_amount,
        total=to_money(discounted + shipping_cost + tax_amount),
        coupons=tuple(coupon.code for coupon in coupons),
    )


def price_for_checkout(cart: Cart, address: Address, today: date) -> PriceBreakdown:
    """The price the customer is charged: exactly what the checkout page showed."""
    if not cart.lines:
        raise ClientError("Your cart is empty")
    return quote(cart, address, today)
