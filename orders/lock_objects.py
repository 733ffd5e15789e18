"""Row locks for the order aggregate (SELECT … FOR UPDATE).

Locks are always taken order first, then item, so two transactions never wait on each other in a
cycle. SQLite has no row locks; it serialises writers itself.
"""

from __future__ import annotations

from orders.models import Item, Order
from studio.errors import NotFound


def lock_order(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def lock_item(item_id: int) -> Item:
    order_id = Item.objects.filter(pk=item_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"Item {item_id} does not exist.")
    order = lock_order(order_id)
    item = Item.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"Item {item_id} does not exist.")
    item.order = order
    return item
