"""Row locks for the order aggregate (SELECT … FOR UPDATE).

Locks are always taken order first, then item, so two transactions never wait on each other in a
cycle. SQLite has no row locks; it serialises writers itself.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from orders.models import Item, Order
from studio.errors import NotFound

M = TypeVar("M", bound=models.Model)


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


def lock_item_row(model: type[M], pk: int, label: str) -> M:
    """Lock a row that belongs to an item (a revision, a print job): its order and item first, in the
    studio's lock order, then the row itself."""
    item_id = model.objects.filter(pk=pk).values_list("item_id", flat=True).first()
    if item_id is None:
        raise NotFound(f"{label} {pk} does not exist.")
    item = lock_item(item_id)
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(f"{label} {pk} does not exist.")
    row.item = item
    return row
