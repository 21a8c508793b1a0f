"""bookshop: a small online bookshop.

The package is split by responsibility:

* ``catalog`` knows the books and ``inventory`` how many copies are on the shelf;
* ``cart`` holds what a customer wants and the coupon codes they typed;
* ``pricing`` works out what that costs, with ``coupons``, ``shipping`` and ``tax``;
* ``orders`` turns a priced cart into an order and ``payments`` takes the money;
* ``api`` turns HTTP-shaped requests into calls to all of the above.

Money is ``decimal.Decimal`` everywhere (see ``shop.money``); a float never touches a price.
"""

__version__ = "1.4.0"

# The public entry point for a server adapter is ``shop.api.dispatch``; everything else is imported
# from its own module so that tests can build exactly the pieces they need.
