"""Turning a priced cart into an order: reserve the stock, take the payment, then confirm.

The steps are ordered so that a failure leaves nothing behind: if the payment fails, the
reservations are released and the cart is still there for the customer to try again.
"""

from shop.errors import ClientError
from shop.inventory import Inventory
from shop.models import Address, Cart, Order, OrderStatus, PriceBreakdown
from shop.money import ZERO
from shop.payments import PaymentGateway, charge, refund
from shop.storage import InMemoryStore


def place_order(
    cart: Cart,
    address: Address,
    price: PriceBreakdown,
    store: InMemoryStore,
    inventory: Inventory,
    gateway: PaymentGateway,
) -> Order:
    lines = list(cart.lines)
    reserved = []
    try:
        for line in lines:
            inventory.reserve(line.book, line.quantity)
            reserved.append(line)
        order_id = store.next_order_id()
        payment_id = None
        # A coupon can make an order free; there is nothing to charge then.
        if price.total > ZERO:
            payment = charge(
                gateway, price.total, cart.currency, cart.customer_id, f"order-{order_id}"
            )
            payment_id = payment.id
    except Exception:
        for line in reserved:
            inventory.release(line.book, line.quantity)
        raise
    for line in lines:
        inventory.commit(line.book, line.quantity)
    order = Order(order_id, cart.customer_id, lines, price, address, payment_id=payment_id)
    store.save_order(order)
    store.delete_cart(cart.id)
    return order


def cancel_order(order: Order, inventory: Inventory, gateway: PaymentGateway) -> None:
    """Cancels a paid order that has not shipped yet: refund, then put the books back."""
    if order.status is OrderStatus.SHIPPED:
        raise ClientError(f"Order {order.id} has already shipped; return it instead")
    if order.status is OrderStatus.CANCELLED:
        return
    if order.payment_id is not None:
        refund(gateway, order.payment_id)
    for line in order.lines:
        if not line.book.is_digital:
            inventory.restock(line.book.sku, line.quantity)
    order.status = OrderStatus.CANCELLED
