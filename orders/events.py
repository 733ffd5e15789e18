"""The order timeline: one small function per event type (Saleor style).

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


def order_status_changed_event(
    *, order: Order, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    return _event(
        order=order,
        subject=EventSubject.ORDER,
        subject_id=order.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters=parameters,
    )


def item_status_changed_event(
    *, item: Item, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    return _event(
        order=item.order,
        item=item,
        subject=EventSubject.ITEM,
        subject_id=item.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters=parameters,
    )


def revision_status_changed_event(
    *, revision, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    item = revision.item
    params = {"round": revision.number, **(parameters or {})}
    return _event(
        order=item.order,
        item=item,
        subject=EventSubject.REVISION,
        subject_id=revision.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters=params,
    )


def print_job_status_changed_event(
    *, print_job, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    item = print_job.item
    params = {"is_reprint": print_job.is_reprint, **(parameters or {})}
    return _event(
        order=item.order,
        item=item,
        subject=EventSubject.PRINT_JOB,
        subject_id=print_job.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters=params,
    )


def tray_status_changed_event(
    *, tray, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    return _event(
        order=None,
        subject=EventSubject.TRAY,
        subject_id=tray.pk,
        type="status_changed",
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters=parameters,
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
