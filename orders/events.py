"""The order timeline: one small function per kind of event (Saleor style).

Each is called by a service inside the transaction of the change it records, never from signals.
"""

from __future__ import annotations

from typing import Any

from orders.models import EventSubject, Item, Order, OrderEvent, OrderEventType


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
    type: OrderEventType,
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
    raise ValueError(f"a {subject} is on no order's timeline")  # trays keep their own (printing.TrayEvent)


def status_changed_event(
    *, obj: Any, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    """A state change of an order, item, revision or print job (written by its transition service)."""
    order, item, facts = _place_on_timeline(obj)
    return _event(
        order=order,
        item=item,
        subject=obj.SUBJECT,
        subject_id=obj.pk,
        type=OrderEventType.STATUS_CHANGED,
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters={**facts, **(parameters or {})},
    )


def _note(
    *,
    type: OrderEventType,
    order: Order | None = None,
    item: Item | None = None,
    user: Any | None = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
) -> OrderEvent:
    """A fact on the order's (or one item's) timeline that is not a state change."""
    order = order if order is not None else item.order
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


# --------------------------------------------------------------------------- ordering and paying


def order_placed_event(*, order: Order, actor: str, items: int, total_cents: int) -> OrderEvent:
    return _note(
        type=OrderEventType.ORDER_PLACED,
        order=order,
        actor=actor,
        parameters={"items": items, "total_cents": total_cents},
    )


def checkout_created_event(*, order: Order, session_id: str, idempotency_key: str) -> OrderEvent:
    return _note(
        type=OrderEventType.CHECKOUT_CREATED,
        order=order,
        parameters={"session_id": session_id, "idempotency_key": idempotency_key},
    )


def checkout_closed_event(*, order: Order, session_id: str) -> OrderEvent:
    return _note(type=OrderEventType.CHECKOUT_CLOSED, order=order, parameters={"session_id": session_id})


def payment_recorded_event(
    *,
    order: Order,
    payment_id: int,
    provider: str,
    amount_cents: int,
    user: Any = None,
    actor: str = "system",
    **details: Any,
) -> OrderEvent:
    """Money came in (`details`: the offline method and reference, or the Stripe event type)."""
    return _note(
        type=OrderEventType.PAYMENT_RECORDED,
        order=order,
        user=user,
        actor=actor,
        parameters={"payment_id": payment_id, "provider": provider, "amount_cents": amount_cents, **details},
    )


def payment_failed_event(*, order: Order, session_id: str, actor: str = "stripe") -> OrderEvent:
    return _note(
        type=OrderEventType.PAYMENT_FAILED, order=order, actor=actor, parameters={"session_id": session_id}
    )


def payment_mismatch_event(
    *, order: Order, session_id: str, amount_cents: int, expected_cents: int, actor: str = "stripe"
) -> OrderEvent:
    """A paid Checkout Session whose amount or currency does not match the order (left for an operator)."""
    return _note(
        type=OrderEventType.PAYMENT_MISMATCH,
        order=order,
        actor=actor,
        parameters={"session_id": session_id, "amount_cents": amount_cents, "expected_cents": expected_cents},
    )


def payment_after_close_event(
    *, order: Order, payment_id: int, status: str, actor: str = "stripe"
) -> OrderEvent:
    """A payment that arrived once the order could no longer be paid."""
    return _note(
        type=OrderEventType.PAYMENT_AFTER_CLOSE,
        order=order,
        actor=actor,
        parameters={"payment_id": payment_id, "status": status},
    )


def refund_recorded_event(
    *,
    order: Order,
    payment_id: int,
    provider: str,
    amount_cents: int,
    reason: str,
    user: Any = None,
    actor: str = "system",
) -> OrderEvent:
    return _note(
        type=OrderEventType.REFUND_RECORDED,
        order=order,
        user=user,
        actor=actor,
        parameters={
            "payment_id": payment_id,
            "provider": provider,
            "amount_cents": amount_cents,
            "reason": reason,
        },
    )


# --------------------------------------------------------------------------- photos and the portal


def photo_uploaded_event(
    *,
    item: Item,
    photo_id: int,
    kind: str,
    person_index: int,
    usable: bool,
    issues: list[str],
    user: Any = None,
    actor: str = "system",
) -> OrderEvent:
    return _note(
        type=OrderEventType.PHOTO_UPLOADED,
        item=item,
        user=user,
        actor=actor,
        parameters={
            "photo_id": photo_id,
            "kind": kind,
            "person_index": person_index,
            "usable": usable,
            "issues": issues,
        },
    )


def photo_deleted_event(
    *, item: Item, photo_id: int, kind: str, person_index: int, user: Any = None, actor: str = "system"
) -> OrderEvent:
    return _note(
        type=OrderEventType.PHOTO_DELETED,
        item=item,
        user=user,
        actor=actor,
        parameters={"photo_id": photo_id, "kind": kind, "person_index": person_index},
    )


def portal_token_issued_event(
    *, order: Order, revoked_others: bool, user: Any = None, actor: str = "operator"
) -> OrderEvent:
    return _note(
        type=OrderEventType.PORTAL_TOKEN_ISSUED,
        order=order,
        user=user,
        actor=actor,
        parameters={"revoked_others": revoked_others},
    )


def portal_token_revoked_event(
    *, order: Order, token_id: int, user: Any = None, actor: str = "operator"
) -> OrderEvent:
    return _note(
        type=OrderEventType.PORTAL_TOKEN_REVOKED,
        order=order,
        user=user,
        actor=actor,
        parameters={"token_id": token_id},
    )


def email_sent_event(
    *, template: str, to: str, order: Order | None = None, item: Item | None = None, **keys: Any
) -> OrderEvent:
    """An e-mail went out (staff see it; `orders.notifications` keeps it from going out twice).

    `keys` say what it was about (a revision, a feedback, a print job, a failed Checkout Session).
    """
    return _note(
        type=OrderEventType.EMAIL_SENT,
        order=order,
        item=item,
        parameters={"template": template, "to": to, **keys},
    )


# --------------------------------------------------------------------------- design and production


def preview_due_warning_event(*, item: Item, due: str, to: str, business_hours_left: float) -> OrderEvent:
    """The assigned sculptor was warned that a preview is due soon (or late)."""
    return _note(
        type=OrderEventType.PREVIEW_DUE_WARNING,
        item=item,
        parameters={"due": due, "to": to, "business_hours_left": business_hours_left},
    )


def print_file_ready_event(
    *,
    item: Item,
    print_job_id: int,
    format: str,
    sha256: str,
    height_mm: Any,
    volume_mm3: Any,
    reused_from_job: int | None,
) -> OrderEvent:
    return _note(
        type=OrderEventType.PRINT_FILE_READY,
        item=item,
        parameters={
            "print_job_id": print_job_id,
            "format": format,
            "sha256": sha256,
            "height_mm": height_mm,
            "volume_mm3": volume_mm3,
            "reused_from_job": reused_from_job,
        },
    )


def print_file_failed_event(*, item: Item, print_job_id: int, code: str, message: str) -> OrderEvent:
    return _note(
        type=OrderEventType.PRINT_FILE_FAILED,
        item=item,
        parameters={"print_job_id": print_job_id, "code": code, "message": message},
    )


def print_job_created_event(
    *,
    item: Item,
    print_job_id: int,
    sha256: str,
    height_mm: int,
    due_at: str,
    printer: str | None,
    user: Any = None,
    actor: str = "staff",
) -> OrderEvent:
    return _note(
        type=OrderEventType.PRINT_JOB_CREATED,
        item=item,
        user=user,
        actor=actor,
        parameters={
            "print_job_id": print_job_id,
            "sha256": sha256,
            "height_mm": height_mm,
            "due_at": due_at,
            "printer": printer,
        },
    )


def reprint_created_event(
    *,
    item: Item,
    print_job_id: int,
    reprint_of: int,
    reason: str,
    sha256: str,
    user: Any = None,
    actor: str = "system",
) -> OrderEvent:
    return _note(
        type=OrderEventType.REPRINT_CREATED,
        item=item,
        user=user,
        actor=actor,
        parameters={
            "print_job_id": print_job_id,
            "reprint_of": reprint_of,
            "reason": reason,
            "sha256": sha256,
        },
    )


def guarantee_claim_event(
    *, item: Item, claim_id: int, print_job_id: int | None, photos: int, actor: str = "customer"
) -> OrderEvent:
    """The customer claimed the guarantee for a broken figurine (an operator reviews it)."""
    return _note(
        type=OrderEventType.GUARANTEE_CLAIM,
        item=item,
        actor=actor,
        parameters={"claim_id": claim_id, "print_job_id": print_job_id, "photos": photos},
    )


def guarantee_claim_status_event(
    *, obj: Any, previous: str, current: str, user=None, actor: str = "system", parameters=None
) -> OrderEvent:
    """An operator reviewed a Design Guarantee claim (`obj`, on its item's timeline): submitted ->
    approved (its reprint made) or declined (the reason told to the customer). The `write_event` of
    `printing.services.claims`' transitions."""
    return _event(
        order=obj.item.order,
        item=obj.item,
        subject=EventSubject.ITEM,
        subject_id=obj.item_id,
        type=OrderEventType.GUARANTEE_CLAIM,
        user=user,
        actor=actor,
        from_status=previous,
        to_status=current,
        parameters={"claim_id": obj.pk, **(parameters or {})},
    )


def sculptor_assigned_event(
    *, item: Item, sculptor: Any | None, previous: Any | None, user: Any = None
) -> OrderEvent:
    """Who designs the figurine now (``sculptor`` None: taken off everyone)."""
    return _note(
        type=OrderEventType.SCULPTOR_ASSIGNED,
        item=item,
        user=user,
        actor=actor_label(user),
        parameters={
            "sculptor": getattr(sculptor, "username", None),
            "previous": getattr(previous, "username", None),
        },
    )
