"""Sales tax and VAT.

Rates are per country, and per state in the US; some countries tax ebooks differently from
printed books. Tax is charged on the discounted subtotal; shipping is not taxed. The rates are
the ones finance configured for us, not tax advice.
"""

from decimal import Decimal

from shop.models import Address
from shop.money import ZERO, to_money

US_STATE_RATES: dict[str, Decimal] = {
    "CA": Decimal("0.0725"),
    "NY": Decimal("0.04"),
    "TX": Decimal("0.0625"),
    "WA": Decimal("0.065"),
    # No state sales tax at all.
    "OR": ZERO,
    "MT": ZERO,
}

#: Printed books: several countries use a reduced rate, the UK zero-rates them.
PRINT_RATES: dict[str, Decimal] = {
    "GB": ZERO,
    "DE": Decimal("0.07"),
    "FR": Decimal("0.055"),
    "NL": Decimal("0.09"),
}

DIGITAL_RATES: dict[str, Decimal] = {
    "GB": ZERO,
    "DE": Decimal("0.07"),
    "FR": Decimal("0.055"),
    "NL": Decimal("0.09"),
}


def tax_rate(address: Address, digital: bool = False) -> Decimal:
    """The rate for this destination; places we have no rate for are not taxed by us."""
    if address.country == "US":
        return US_STATE_RATES.get(address.region.upper(), ZERO)
    rates = DIGITAL_RATES if digital else PRINT_RATES
    return rates.get(address.country, ZERO)


def tax_for(amount: Decimal, address: Address, digital: bool = False) -> Decimal:
    """Tax on ``amount`` (already discounted), rounded to cents."""
    return to_money(amount * tax_rate(address, digital))
