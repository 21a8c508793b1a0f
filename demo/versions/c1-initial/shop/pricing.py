"""What a cart costs: the subtotal of its lines, and the tax on it.

Everything here is a pure function of its arguments, so the cart page and checkout always agree
on the price. Amounts are rounded to cents at each step, the way the receipt shows them.
"""

from shop import tax
from shop.cart import cart_subtotal, is_digital_only
from shop.models import Address, Cart, PriceBreakdown
from shop.money import ZERO, to_money


def quote(cart: Cart, address: Address | None) -> PriceBreakdown:
    """The price shown on the cart page.

    ``address`` is ``None`` until the customer has entered one; tax is zero until then.
    """
    subtotal = cart_subtotal(cart)
    if address is None:
        tax_amount = ZERO
    else:
        tax_amount = tax.tax_for(subtotal, address, digital=is_digital_only(cart))
    return PriceBreakdown(subtotal=subtotal, tax=tax_amount, total=to_money(subtotal + tax_amount))
