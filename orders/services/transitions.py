"""Order and item transitions: the only code that changes an order's or an item's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from orders import events
from orders.lock_objects import lock_item, lock_order
from orders.models import ITEM_PROGRESS, ItemStatus, Order, OrderStatus
from studio.workflow import FollowUp, TransitionResult, run_transition

# Tasks to enqueue after an item or an order enters a state (dotted paths; resolved by the worker).
# Higher apps add theirs from their AppConfig.ready (reconstruction: a base mesh once an item is
# ready for design), so this app never names them.
ITEM_FOLLOW_UPS: dict[str, list[FollowUp]] = {}
# Guards of an item's move (from, to) that only a higher app can judge, registered the same way and run by
# every `item_transition` (digital: a "3D model only" item is delivered only with all its files made).
ITEM_GUARDS: dict[tuple[str, str], list[Callable[[Any], None]]] = {}
ORDER_FOLLOW_UPS: dict[str, list[FollowUp]] = {
    OrderStatus.PAID: [FollowUp("orders.tasks.send_order_email_task")],
    OrderStatus.SHIPPED: [FollowUp("orders.tasks.send_order_email_task")],
    # A cancelled order's open Stripe payment page is closed, so nobody pays for it afterwards.
    OrderStatus.CANCELLED: [
        FollowUp("orders.tasks.expire_checkout_task"),
        FollowUp("orders.tasks.send_order_email_task"),
    ],
    OrderStatus.REFUNDED: [FollowUp("orders.tasks.send_order_email_task")],
}


def order_transition(
    *,
    order_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move an order to `to` (locks, checks the table, writes the event, enqueues after commit)."""

    return run_transition(
        lock=lambda: lock_order(order_id),
        target=to,
        update=update,
        write_event=events.status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=ORDER_FOLLOW_UPS,
        task_args=lambda order: (order.pk, to),
    )


def item_transition(
    *,
    item_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
    guard=None,
) -> TransitionResult:
    """Move an item to `to`; the order then follows its items (in the same transaction)."""

    def guards(item) -> None:
        for check in ITEM_GUARDS.get((item.status, to), ()):
            check(item)
        if guard is not None:
            guard(item)

    with transaction.atomic():
        result = run_transition(
            lock=lambda: lock_item(item_id),
            target=to,
            guard=guards,
            update=update,
            write_event=events.status_changed_event,
            user=user,
            actor=actor,
            parameters=parameters,
            follow_ups=ITEM_FOLLOW_UPS,
        )
        order_sync_status(order_id=result.obj.order_id, user=user, actor=actor)
    return result


# The order's state that matches the least advanced of its live items.
_PROGRESS_TO_ORDER = {
    1: OrderStatus.IN_DESIGN,
    2: OrderStatus.APPROVED,
    3: OrderStatus.IN_PRODUCTION,
    4: OrderStatus.SHIPPED,
    5: OrderStatus.DELIVERED,
}
_ORDER_RANK = {
    OrderStatus.PAID: 0,
    OrderStatus.IN_DESIGN: 1,
    OrderStatus.APPROVED: 2,
    OrderStatus.IN_PRODUCTION: 3,
    OrderStatus.SHIPPED: 4,
    OrderStatus.DELIVERED: 5,
}


def order_target_status(order: Order) -> str | None:
    """Where the order should be given its items, or None when its items say nothing (unpaid, closed)."""
    if order.status not in _ORDER_RANK:
        return None
    progress = [
        ITEM_PROGRESS[s]
        for s in order.items.exclude(status=ItemStatus.CANCELLED).values_list("status", flat=True)
    ]
    if not progress:
        return None
    least = min(progress)
    if least == 0:
        return OrderStatus.IN_DESIGN if max(progress) >= 1 else None
    return _PROGRESS_TO_ORDER[least]


def order_sync_status(*, order_id: int, user: Any = None, actor: str = "system") -> list[str]:
    """Walk the order's state to follow its items, one legal step at a time (each step an event)."""
    moved: list[str] = []
    with transaction.atomic():
        order = lock_order(order_id)
        target = order_target_status(order)
        for _ in range(len(_ORDER_RANK)):
            if target is None or target == order.status:
                break
            step = _next_step(order.status, target)
            if step is None:
                break
            order_transition(
                order_id=order.pk, to=step, user=user, actor=actor, parameters={"reason": "items"}
            )
            order.refresh_from_db()
            moved.append(step)
    return moved


def _next_step(current: str, target: str) -> str | None:
    allowed = Order.allowed_targets(current)
    if target in allowed:
        return target
    if _ORDER_RANK.get(target, -1) > _ORDER_RANK.get(current, 99):
        forward = [s for s in allowed if _ORDER_RANK.get(s, -1) > _ORDER_RANK[current]]
        return min(forward, key=_ORDER_RANK.get) if forward else None
    return None
