"""The order timeline: one small function per kind of event (Saleor style).

Each is called by a service inside the transaction of the change it records, never from signals.
"""

from __future__ import annotations

from typing import Any

from orders.models import EventSubject, Item, Order, OrderEvent


def actor_label(user: Any | None, fallback: str = "system") -> str:
    if user is not None and getattr(user, "is_authenticated", False):
        return f"staff:{user.get_username()}"
    return fallback


def _event(
    *,
    order: Order | None,
    item: Item | None = None,
    subject: str,
    subject_id: int | None,
    type: str,
    user: Any | None = None,
    actor: str = "system",
    from_status: str = "",
    to_status: str = "",
    parameters: dict[str, Any] | None = None,
) -> OrderEvent:
    real_user = user if user is not None and getattr(user, "is_authenticated", False) else None
    return OrderEvent.objects.create(
        order=order,
        item=item,
        subject=subject,
        subject_id=subject_id,
        type=type,
        user=real_user,
        actor=actor_label(real_user, actor),
        from_status=from_status,
        to_status=to_status,
        parameters=parameters or {},
    )


def _place_on_timeline(obj: Any) -> tuple[Order | None, Item | None, dict[str, Any]]:
    """Which order and item a stateful object's events belong to, and what each event should say of it."""
    subject = obj.SUBJECT
    if subject == EventSubject.ORDER:
        return obj, None, {}
    if subject == EventSubject.ITEM:
        return obj.order, obj, {}
    if subject == EventSubject.REVISION:
        return obj.item.order, obj.item, {"round": obj.number}
    if subject == EventSubject.PRINT_JOB:
        return obj.item.order, obj.item, {"is_reprint": obj.is_reprint}
    return None, None, {}  # a tray belongs to no single order


def status_changed_event(
    *, obj: Any, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    """A state change of an order, item, revision, print job or tray (written by its transition service)."""
    order, item, facts = _place_on_timeline(obj)
    return _event(
        order=order,
        item=item,
        subject=obj.SUBJECT,
        subject_id=obj.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters={**facts, **(parameters or {})},
    )


def order_note_event(
    *, order: Order, type: str, item: Item | None = None, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    """A fact on the timeline that is not a state change (payment recorded, photo uploaded, e-mail sent)."""
    return _event(
        order=order,
        item=item,
        subject=EventSubject.ITEM if item else EventSubject.ORDER,
        subject_id=item.pk if item else order.pk,
        type=type,
        user=user,
        actor=actor,
        parameters=parameters,
    )
