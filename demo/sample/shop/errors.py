"""Exceptions the shop raises on purpose, and the HTTP status each one maps to.

Every error carries a message written for whoever reads it. Subclasses of ``ClientError`` are
shown to the customer as they are, so their messages say what to do next. Everything else is a
bug or an outage: ``shop.api`` logs it with a traceback and answers with a generic 500.
"""


class ShopError(Exception):
    """Base class of every error the shop raises on purpose."""

    #: HTTP status the API answers with when this error escapes a handler.
    status = 500


class ClientError(ShopError):
    """The request cannot be served as asked; the message is shown to the customer."""

    status = 400


class NotFoundError(ClientError):
    status = 404


class OutOfStockError(ClientError):
    status = 409

    def __init__(self, title: str, requested: int, available: int) -> None:
        if available <= 0:
            message = f"{title!r} is out of stock"
        else:
            message = f"Only {available} copies of {title!r} left (you asked for {requested})"
        super().__init__(message)
        self.requested = requested
        self.available = max(available, 0)


class InvalidCouponError(ClientError):
    """A coupon code that does not exist, or that cannot be used on this cart."""

    status = 422


class CouponExpiredError(InvalidCouponError):
    pass


class CouponNotApplicableError(InvalidCouponError):
    pass


class CouponStackingError(InvalidCouponError):
    pass


class ShippingUnavailableError(ClientError):
    status = 422


class PaymentDeclinedError(ClientError):
    """The customer's bank said no; they can try another card."""

    status = 402


class PaymentError(ShopError):
    """The payment provider failed, or answered something we do not understand."""

    status = 502


class PricingError(ShopError):
    """Pricing produced a result that must never reach a customer: a bug, not bad input."""
