"""Stripe webhook events: each recorded once by its id and applied with the order row locked.

``StripeEvent.event_id`` is unique, so duplicate and concurrent deliveries of one event take effect
once; handlers look at the state they find (under the lock), so out-of-order deliveries end in the
same state as one clean sequence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders import events
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus, Payment, PaymentKind, PaymentStatus, StripeEvent
from orders.services.payments import (
    order_close_refunded,
    order_fulfil,
    order_paid_cents,
    order_refunded_cents,
    refund_status,
)
from orders.stripe_client import WebhookEventInvalid
from studio.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

__all__ = ["EVENT_HANDLERS", "EVENT_SHAPES", "stripe_event_process", "stripe_event_validate"]


# --------------------------------------------------------------------------- the shapes handlers read
# Each handled event type names the fields its handler reads, with their types; an event that does not
# fit is refused (HTTP 400) before anything is recorded. Absent and null are the same (optional fields).

Rule = Callable[[Any, str], None]

#: Upper bounds of what the studio's columns hold (ids, a currency code, a positive integer).
_ID_MAX = 255
_TYPE_MAX = 100
_CENTS_MAX = 2_147_483_647


def _refuse(path: str, expected: str, value: Any) -> None:
    shown = "null" if value is None else type(value).__name__
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = f"{shown} {str(value)[:40]!r}"
    raise WebhookEventInvalid(
        f"Malformed Stripe event: '{path}' must be {expected}, not {shown}.", extra={"field": path}
    )


def _scalar(expected: str, test: Callable[[Any], bool]) -> Rule:
    def rule(value: Any, path: str) -> None:
        if not test(value):
            _refuse(path, expected, value)

    return rule


def _text(max_length: int = _ID_MAX) -> Rule:
    return _scalar(
        f"a string of at most {max_length} characters",
        lambda v: isinstance(v, str) and len(v) <= max_length and "\x00" not in v,
    )


_ID = _scalar(
    "a non-empty id string", lambda v: isinstance(v, str) and 0 < len(v) <= _ID_MAX and "\x00" not in v
)
_CENTS = _scalar(
    "a whole number of cents (0 or more)",
    lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= _CENTS_MAX,
)
_CURRENCY = _scalar(
    "a three-letter currency code",
    lambda v: isinstance(v, str) and len(v) == 3 and v.isascii() and v.isalpha(),
)
_METADATA = _scalar(
    "an object of strings",
    lambda v: isinstance(v, dict) and all(isinstance(x, str) and "\x00" not in x for x in v.values()),
)
_REFERENCE = _scalar(  # an id, or the object itself when the event was sent expanded
    "an id string or an object with an 'id'",
    lambda v: (
        (isinstance(v, str) and len(v) <= _ID_MAX and "\x00" not in v)
        or (isinstance(v, dict) and isinstance(v.get("id"), str) and 0 < len(v["id"]) <= _ID_MAX)
    ),
)


def _object(fields: dict[str, tuple[Rule, bool]]) -> Rule:
    """A JSON object whose named fields follow their rules (``True``: the field must be there)."""

    def rule(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _refuse(path, "an object", value)
        for name, (inner, required) in fields.items():
            item = value.get(name)
            if item is None:
                if required:
                    raise WebhookEventInvalid(
                        f"Malformed Stripe event: '{path}.{name}' is missing.",
                        extra={"field": f"{path}.{name}"},
                    )
                continue
            inner(item, f"{path}.{name}")

    return rule


def _list_of(inner: Rule) -> Rule:
    def rule(value: Any, path: str) -> None:
        if not isinstance(value, list):
            _refuse(path, "a list", value)
        for index, item in enumerate(value):
            inner(item, f"{path}[{index}]")

    return rule


def _optional(rule: Rule) -> tuple[Rule, bool]:
    return rule, False


def _required(rule: Rule) -> tuple[Rule, bool]:
    return rule, True


_TEXT = _optional(_text())
#: What every handled object is read for when its order is looked up (``_order_for``).
_FINDS_ORDER = {
    "id": _required(_ID),
    "object": _TEXT,
    "metadata": _optional(_METADATA),
    "client_reference_id": _TEXT,
    "payment_intent": _optional(_REFERENCE),
}
_SHIPPING = _object(
    {
        "name": _optional(_text(1000)),
        "address": _optional(
            _object(
                {key: _optional(_text(1000)) for key in ("line1", "line2", "city", "postal_code", "country")}
            )
        ),
    }
)
_SESSION = _object(
    {
        **_FINDS_ORDER,
        "amount_total": _optional(_CENTS),
        "currency": _optional(_CURRENCY),
        "payment_status": _TEXT,
        "payment_method_types": _optional(_list_of(_text(40))),
        "shipping_details": _optional(_SHIPPING),
        "collected_information": _optional(_object({"shipping_details": _optional(_SHIPPING)})),
    }
)
_REFUND_FIELDS = {**_FINDS_ORDER, "amount": _required(_CENTS), "status": _TEXT}
_REFUND = _object(_REFUND_FIELDS)
_CHARGE = _object(
    {
        **_FINDS_ORDER,
        "amount_refunded": _optional(_CENTS),
        "refunds": _optional(_object({"data": _optional(_list_of(_REFUND))})),
    }
)
_ENVELOPE = _object(
    {
        "id": _required(_ID),
        "type": _required(
            _scalar("a non-empty string", lambda v: isinstance(v, str) and 0 < len(v) <= _TYPE_MAX)
        ),
        "data": _required(_object({"object": _required(_object({}))})),
    }
)


def stripe_event_validate(event: Any) -> dict[str, Any]:
    """The event when it has the shape the studio reads; else WebhookEventInvalid (HTTP 400), nothing recorded.

    Every event needs an ``id``, a ``type`` and ``data.object`` (an object); a handled type also needs
    the fields its handler reads, with their types (``EVENT_SHAPES``). Unknown types are not looked into.
    """
    if not isinstance(event, dict):
        _refuse("event", "a JSON object", event)
    _ENVELOPE(event, "event")
    shape = EVENT_SHAPES.get(event["type"])
    if shape is not None:
        shape(event["data"]["object"], "data.object")
    return event


def _intent_id(value: Any) -> str:
    """A payment intent's id, whether the event names it or carries it expanded."""
    return (value.get("id") if isinstance(value, dict) else value) or ""


def _order_for(obj: dict[str, Any]) -> Order | None:
    """The order a Stripe object belongs to: metadata, client reference, or a payment we recorded."""
    metadata = obj.get("metadata") or {}
    number = metadata.get("order_number") or obj.get("client_reference_id")
    if number:
        order = Order.objects.filter(number=number).first()
        if order is not None:
            return order
    session_id = obj.get("id") if obj.get("object") == "checkout.session" else None
    if session_id:
        order = Order.objects.filter(stripe_checkout_session_id=session_id).first()
        if order is not None:
            return order
    intent = _intent_id(obj.get("payment_intent"))
    if intent:
        payment = Payment.objects.filter(stripe_payment_intent_id=intent).select_related("order").first()
        if payment is not None:
            return payment.order
    return None


def _session_charge(order: Order, session: dict[str, Any]) -> Payment:
    payment_intent = _intent_id(session.get("payment_intent"))
    methods = session.get("payment_method_types") or []
    payment, _ = Payment.objects.get_or_create(
        kind=PaymentKind.CHARGE,
        stripe_checkout_session_id=session["id"],
        defaults={
            "order": order,
            "provider": "stripe",
            "method": methods[0] if len(methods) == 1 else "",
            "status": PaymentStatus.PENDING,
            "amount_cents": int(session.get("amount_total") or 0),
            "currency": (session.get("currency") or order.currency).lower(),
            "stripe_payment_intent_id": payment_intent,
        },
    )
    if payment_intent and not payment.stripe_payment_intent_id:
        payment.stripe_payment_intent_id = payment_intent
        payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    return payment


def _session_paid(order: Order, session: dict[str, Any], event_type: str) -> str:
    payment = _session_charge(order, session)
    if payment.status == PaymentStatus.SUCCEEDED:
        return "already paid"
    amount = int(session.get("amount_total") or 0)
    if amount < order.total_cents or (session.get("currency") or order.currency).lower() != order.currency:
        events.payment_mismatch_event(
            order=order, session_id=session["id"], amount_cents=amount, expected_cents=order.total_cents
        )
        return "amount does not match the order; left for an operator"
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_cents = amount
    payment.save(update_fields=["status", "amount_cents", "updated_at"])
    events.payment_recorded_event(
        order=order,
        payment_id=payment.pk,
        provider="stripe",
        amount_cents=amount,
        actor="stripe",
        event=event_type,
    )
    if order_fulfil(order, actor="stripe"):
        order.refresh_from_db()
        replayed = _replay_deferred(order, payment.stripe_payment_intent_id)
        return "paid" + (f"; then {replayed}" if replayed else "")
    events.payment_after_close_event(order=order, payment_id=payment.pk, status=order.status)
    return f"payment recorded; order was already {order.status}"


def _record_shipping_address(order: Order, session: dict[str, Any]) -> None:
    """Keep the address Checkout collected when the order was placed without one."""
    if order.ship_line1:
        return
    details = (session.get("collected_information") or {}).get("shipping_details") or session.get(
        "shipping_details"
    )
    address = (details or {}).get("address") or {}
    if not address.get("line1"):
        return
    order.ship_name = (details.get("name") or order.ship_name or "")[:200]
    order.ship_line1 = address.get("line1", "")[:200]
    order.ship_line2 = (address.get("line2") or "")[:200]
    order.ship_city = (address.get("city") or "")[:100]
    order.ship_postcode = (address.get("postal_code") or "")[:20]
    order.ship_country = (address.get("country") or "")[:2].upper()
    order.save(
        update_fields=["ship_name", "ship_line1", "ship_line2", "ship_city", "ship_postcode", "ship_country"]
    )


def _on_session_completed(order: Order, session: dict[str, Any], event_type: str) -> str:
    _record_shipping_address(order, session)
    status = session.get("payment_status")
    if status == "paid":
        return _session_paid(order, session, event_type)
    if status == "unpaid":  # an asynchronous method (bank debit…): wait for async_payment_succeeded
        payment = _session_charge(order, session)
        return f"payment {payment.status}; awaiting the asynchronous result"
    return f"payment_status {status!r}: nothing to do"


def _on_async_succeeded(order: Order, session: dict[str, Any], event_type: str) -> str:
    return _session_paid(order, {**session, "payment_status": "paid"}, event_type)


def _on_async_failed(order: Order, session: dict[str, Any], event_type: str) -> str:
    payment = _session_charge(order, session)
    if payment.status == PaymentStatus.SUCCEEDED:
        return "ignored: the payment had already succeeded"
    payment.status = PaymentStatus.FAILED
    payment.save(update_fields=["status", "updated_at"])
    if order.stripe_checkout_session_id == session["id"]:
        order.stripe_checkout_url = ""
        order.save(update_fields=["stripe_checkout_url"])
    events.payment_failed_event(order=order, session_id=session["id"])
    # Tell the customer, with the way to pay again (once per failed session, after commit): only
    # while the order still waits for this payment, never once it is paid another way or closed.
    current = not order.stripe_checkout_session_id or order.stripe_checkout_session_id == session["id"]
    if order.status == OrderStatus.PENDING_PAYMENT and current:
        enqueue_on_commit("orders.tasks.send_order_email_task", order.pk, "payment_failed", session["id"])
    return "payment failed"


def _on_session_expired(order: Order, session: dict[str, Any], event_type: str) -> str:
    if order.stripe_checkout_session_id == session["id"] and order.stripe_checkout_url:
        order.stripe_checkout_url = ""
        order.save(update_fields=["stripe_checkout_url"])
        return "checkout expired; a new one is made on the next pay"
    return "stale session"


def _after_refund(order: Order) -> str:
    paid = order_paid_cents(order)
    refunded = order_refunded_cents(order)
    if paid and refunded >= paid and order_close_refunded(order, actor="stripe", reason="refunded in Stripe"):
        return "refunded"
    return f"refunded {refunded} of {paid} cents"


def _on_refund(order: Order, refund: dict[str, Any], event_type: str) -> str:
    intent = _intent_id(refund.get("payment_intent"))
    status = refund_status(refund.get("status") or "pending")
    payment = Payment.objects.filter(stripe_refund_id=refund["id"]).first()
    if payment is None:
        # charge.refunded may have recorded this refund before its id was known.
        payment = order.payments.filter(
            kind=PaymentKind.REFUND,
            provider="stripe",
            stripe_refund_id="",
            amount_cents=int(refund["amount"]),
        ).first()
    if payment is None:
        payment = Payment(order=order, kind=PaymentKind.REFUND, provider="stripe", currency=order.currency)
    payment.stripe_refund_id = refund["id"]
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent
    payment.amount_cents = int(refund["amount"])
    if payment.status != PaymentStatus.SUCCEEDED or status == PaymentStatus.FAILED:
        payment.status = status
    payment.save()
    return _after_refund(order)


def _on_charge_refunded(order: Order, charge: dict[str, Any], event_type: str) -> str:
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        _on_refund(
            order,
            {**refund, "payment_intent": refund.get("payment_intent") or charge.get("payment_intent")},
            event_type,
        )
    missing = int(charge.get("amount_refunded") or 0) - order_refunded_cents(order)
    if missing > 0:  # refunds not listed on the charge (newer API versions): record the amount
        Payment.objects.create(
            order=order,
            kind=PaymentKind.REFUND,
            provider="stripe",
            status=PaymentStatus.SUCCEEDED,
            amount_cents=missing,
            currency=order.currency,
            stripe_payment_intent_id=_intent_id(charge.get("payment_intent")),
        )
    return _after_refund(order)


#: Events about money already paid; they may arrive before the payment's own event.
REFUND_EVENTS = frozenset({"charge.refunded", "refund.created", "refund.updated", "charge.refund.updated"})
DEFERRED = "deferred: no matching payment yet"


def _replay_deferred(order: Order, payment_intent: str) -> str:
    """Apply refund events that came before this payment (the order is locked); returns the last outcome."""
    if not payment_intent:
        return ""
    outcome = ""
    deferred = StripeEvent.objects.filter(
        outcome=DEFERRED, payload__data__object__payment_intent=payment_intent
    ).order_by("received_at", "id")
    for record in deferred:
        handler = EVENT_HANDLERS[record.type]
        outcome = handler(order, record.payload["data"]["object"], record.type)
        order.refresh_from_db()
        record.order = order
        record.outcome = f"replayed: {outcome}"[:255]
        record.processed_at = timezone.now()
        record.save(update_fields=["order", "outcome", "processed_at"])
    return outcome


EVENT_SHAPES: dict[str, Rule] = {
    "checkout.session.completed": _SESSION,
    "checkout.session.async_payment_succeeded": _SESSION,
    "checkout.session.async_payment_failed": _SESSION,
    "checkout.session.expired": _SESSION,
    "charge.refunded": _CHARGE,
    "refund.created": _REFUND,
    "refund.updated": _REFUND,
    "charge.refund.updated": _REFUND,
}

EVENT_HANDLERS: dict[str, Callable[[Order, dict[str, Any], str], str]] = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_async_succeeded,
    "checkout.session.async_payment_failed": _on_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "charge.refund.updated": _on_refund,
}


def stripe_event_process(event: Any) -> str:
    """Apply one verified Stripe event exactly once; returns what happened (for the log and the answer).

    A malformed event is refused first (``stripe_event_validate``): nothing is recorded for it.
    """
    event = stripe_event_validate(event)
    event_id = event["id"]
    event_type = event["type"]
    obj = event["data"]["object"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(event_id=event_id, type=event_type, payload=event)
        except IntegrityError:
            return "duplicate: already processed"
        handler = EVENT_HANDLERS.get(event_type)
        if handler is None:
            outcome = "ignored: event type not handled"
            order = None
        else:
            found = _order_for(obj)
            if found is None:
                # A refund can arrive before the payment it refunds: keep it for replay.
                outcome = DEFERRED if event_type in REFUND_EVENTS else "ignored: no matching order"
                order = None
            else:
                order = lock_order(found.pk)
                outcome = handler(order, obj, event_type)
        record.order = order
        record.outcome = outcome[:255]
        record.processed_at = timezone.now()
        record.save(update_fields=["order", "outcome", "processed_at"])
    logger.info("stripe event %s (%s): %s", event_id, event_type, outcome)
    return outcome
