"""Charging customers through a payment provider.

The provider sits behind the ``PaymentGateway`` protocol: production wires in the provider's
client, while tests and local development use ``FakeGateway`` and never reach the network.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from shop.errors import PaymentDeclinedError, PaymentError
from shop.money import format_money, to_cents


@dataclass(frozen=True)
class Charge:
    id: str
    amount: Decimal
    currency: str
    customer_id: str


class PaymentGateway(Protocol):
    def create_charge(
        self, amount_cents: int, currency: str, customer_id: str, idempotency_key: str
    ) -> dict[str, Any]: ...

    def refund(self, charge_id: str) -> dict[str, Any]: ...


def charge(
    gateway: PaymentGateway, amount: Decimal, currency: str, customer_id: str, idempotency_key: str
) -> Charge:
    """Charges ``amount``; the idempotency key makes a retried request charge only once."""
    if amount <= 0:
        raise PaymentError(f"Refusing to charge {format_money(amount, currency)}: amounts must be positive")
    response = gateway.create_charge(to_cents(amount), currency, customer_id, idempotency_key)
    status = response.get("status")
    if status == "declined":
        reason = response.get("reason", "no reason given")
        raise PaymentDeclinedError(f"Your card was declined ({reason}). Please try another card.")
    if status != "succeeded":
        raise PaymentError(f"Unexpected payment status {status!r} for {idempotency_key}")
    return Charge(response["id"], amount, currency, customer_id)


def refund(gateway: PaymentGateway, payment_id: str) -> None:
    response = gateway.refund(payment_id)
    if response.get("status") != "refunded":
        raise PaymentError(f"Refund of {payment_id} failed: {response.get('reason', 'unknown error')}")


@dataclass
class FakeGateway:
    """Approves every charge except amounts listed in ``decline_cents`` (to test declines)."""

    decline_cents: set[int] = field(default_factory=set)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def create_charge(
        self, amount_cents: int, currency: str, customer_id: str, idempotency_key: str
    ) -> dict[str, Any]:
        if idempotency_key in self.charges:
            return self.charges[idempotency_key]
        if amount_cents in self.decline_cents:
            return {"status": "declined", "reason": "insufficient_funds"}
        response = {"status": "succeeded", "id": f"ch_{next(self._ids):04d}", "amount": amount_cents}
        self.charges[idempotency_key] = response
        return response

    def refund(self, charge_id: str) -> dict[str, Any]:
        if not any(c["id"] == charge_id for c in self.charges.values()):
            return {"status": "failed", "reason": f"no charge {charge_id}"}
        return {"status": "refunded", "id": charge_id}
