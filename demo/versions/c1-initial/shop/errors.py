"""Exceptions the shop raises on purpose, and the HTTP status each one maps to.

Every error carries a message written for whoever reads it. Subclasses of ``ClientError`` are
shown to the customer as they are, so their messages say what to do next. Everything else is a
bug or an outage, and should fail loudly with the id of whatever it concerns.
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
