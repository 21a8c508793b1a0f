"""Money helpers. Amounts are ``Decimal`` everywhere; a float never touches a price.

Receipts, the payment provider and the web app all round to whole cents, halves away from zero,
so everything that produces an amount a customer will see goes through ``to_money``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def to_money(value: Decimal | int | str) -> Decimal:
    """Rounds ``value`` to whole cents, halves away from zero: ``2.005`` → ``2.01``."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """Parses a price typed by a person or read from a CSV: ``"12.99"``, ``"$12.99"``, ``"1,299.00"``."""
    cleaned = text.strip().lstrip("$€£").replace(",", "")
    if not cleaned:
        raise ValueError(f"Not a price: {text!r}")
    try:
        return to_money(cleaned)
    except InvalidOperation:
        raise ValueError(f"Not a price: {text!r}") from None


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """``Decimal("-2.01")`` → ``"-$2.01"``. Used in logs and e-mails; the web app formats its own."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    rounded = to_money(amount)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{symbol}{abs(rounded):,.2f}"


def to_cents(amount: Decimal) -> int:
    """Whole cents, as payment providers want them: ``Decimal("12.99")`` → ``1299``."""
    return int(to_money(amount) * 100)
