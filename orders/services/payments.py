"""Payments: Stripe Checkout, the webhook events that move money, offline payments and refunds.

Every Stripe event is recorded once by its id (``StripeEvent`` is unique), and the order row is
locked while an event is applied, so duplicate, concurrent and out-of-order deliveries end in the
same state as one clean delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from orders import events
from orders.lock_objects import lock_order
from orders.models import (
    Item,
    ItemStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    StripeEvent,
)
from orders.services.photos import item_mark_ready_if_possible
from orders.services.transitions import item_transition, order_transition
from orders.stripe_client import create_checkout_session, create_refund, stripe_online
from studio.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)

__all__ = [
    "checkout_session_create",
    "order_mark_paid_offline",
    "order_refund",
    "stripe_event_process",
    "stripe_online",
]

#: A stored Checkout URL is reused until this close to its expiry.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)
#: Item states an order refund cancels (nothing printed yet).
REFUND_CANCELS_ITEMS = (
    ItemStatus.AWAITING_PHOTOS,
    ItemStatus.READY_FOR_DESIGN,
    ItemStatus.RECONSTRUCTING,
    ItemStatus.SCULPTING,
    ItemStatus.IN_REVIEW,
    ItemStatus.CHANGES_REQUESTED,
    ItemStatus.APPROVED,
)


# --------------------------------------------------------------------------- checkout


def checkout_idempotency_key(order: Order, attempt: int = 0) -> str:
    """Deterministic: the same order and total give the same Checkout Session."""
    key = f"checkout-{order.number}-{order.total_cents}"
    return key if attempt == 0 else f"{key}-{attempt}"


def checkout_session_params(order: Order) -> dict[str, Any]:
    """The Checkout Session for an order: its items, shipping, the customer's e-mail, the order number."""
    base = settings.PUBLIC_BASE_URL
    line_items = [
        {
            "quantity": 1,
            "price_data": {
                "currency": order.currency,
                "unit_amount": item.price_cents,
                "product_data": {
                    "name": f"{item.get_product_line_display()} figurine, {item.height_mm} mm"
                    + (f", {item.persons} persons" if item.persons > 1 else ""),
                },
            },
        }
        for item in order.items.exclude(status=ItemStatus.CANCELLED).order_by("id")
    ]
    params: dict[str, Any] = {
        "mode": "payment",
        # No payment_method_types: Stripe offers card and the instalment methods (Klarna, Afterpay…)
        # enabled on the account where the customer and amount qualify (dynamic payment methods).
        "line_items": line_items,
        "customer_email": order.customer.email,
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number, "order_id": str(order.pk)},
        "payment_intent_data": {"metadata": {"order_number": order.number}},
        "success_url": f"{base}/portal/orders/{order.number}/?checkout=success",
        "cancel_url": f"{base}/portal/orders/{order.number}/?checkout=cancelled",
    }
    methods = getattr(settings, "STRIPE_PAYMENT_METHOD_TYPES", None)
    if methods:  # e.g. ["card", "klarna"] to pin the list instead of the account's dynamic methods
        params["payment_method_types"] = list(methods)
    if order.shipping_cents:
        params["shipping_options"] = [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": "Worldwide tracked shipping",
                    "fixed_amount": {"amount": order.shipping_cents, "currency": order.currency},
                }
            }
        ]
    return params


def checkout_session_create(*, order_id: int) -> str:
    """The Checkout URL for an unpaid order: the stored one while valid, else a new session."""
    order = Order.objects.select_related("customer").get(pk=order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise Conflict(
            f"Order {order.number} is {order.get_status_display().lower()}; there is nothing to pay."
        )
    now = timezone.now()
    if order.stripe_checkout_url and (
        order.stripe_checkout_expires_at is None
        or order.stripe_checkout_expires_at > now + CHECKOUT_REUSE_MARGIN
    ):
        return order.stripe_checkout_url
    attempt = order.events.filter(type="checkout_created").count()
    key = checkout_idempotency_key(order, attempt)
    session = create_checkout_session(checkout_session_params(order), idempotency_key=key)
    with transaction.atomic():
        order = lock_order(order_id)
        order.stripe_checkout_session_id = session.id
        order.stripe_checkout_url = session.url
        order.stripe_checkout_expires_at = session.expires_at
        order.save(
            update_fields=["stripe_checkout_session_id", "stripe_checkout_url", "stripe_checkout_expires_at"]
        )
        events.order_note_event(
            order=order,
            type="checkout_created",
            actor="system",
            parameters={"session_id": session.id, "idempotency_key": key},
        )
    return session.url


# --------------------------------------------------------------------------- paying


def _fulfil(order: Order, *, user: Any = None, actor: str) -> bool:
    """Move a locked, pending order to paid and its items on; False when it was not pending."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, user=user, actor=actor, update={"paid_at": timezone.now()}
    )
    for item_id in order.items.filter(status=ItemStatus.AWAITING_PHOTOS).values_list("pk", flat=True):
        item_mark_ready_if_possible(item_id=item_id, user=user, actor=actor)
    return True


def order_mark_paid_offline(
    *, order_id: int, user: Any = None, method: str = "offline", reference: str = "", actor: str = "operator"
) -> Payment:
    """An operator records a payment made outside Stripe (bank transfer, cash, the demo) and the order is paid."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise Conflict(
                f"Order {order.number} is {order.get_status_display().lower()}, not awaiting payment."
            )
        payment = Payment.objects.create(
            order=order,
            kind=PaymentKind.CHARGE,
            provider="offline",
            method=method[:40],
            status=PaymentStatus.SUCCEEDED,
            amount_cents=order.total_cents,
            currency=order.currency,
            recorded_by=user
            if getattr(user, "is_authenticated", False) and getattr(user, "pk", None)
            else None,
        )
        events.order_note_event(
            order=order,
            type="payment_recorded",
            user=user,
            actor=actor,
            parameters={
                "payment_id": payment.pk,
                "provider": "offline",
                "method": method,
                "amount_cents": payment.amount_cents,
                "reference": reference,
            },
        )
        _fulfil(order, user=user, actor=actor)
    return payment


# --------------------------------------------------------------------------- refunds


def _refunded_cents(order: Order) -> int:
    return (
        order.payments.filter(kind=PaymentKind.REFUND, status=PaymentStatus.SUCCEEDED).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )


def _paid_cents(order: Order) -> int:
    return (
        order.payments.filter(kind=PaymentKind.CHARGE, status=PaymentStatus.SUCCEEDED).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )


def _close_refunded(order: Order, *, user: Any = None, actor: str, reason: str = "") -> bool:
    """Move a locked order to refunded and cancel its unprinted items; False when not possible."""
    if not order.can_refund():
        return False
    order_transition(
        order_id=order.pk, to=OrderStatus.REFUNDED, user=user, actor=actor, parameters={"reason": reason}
    )
    for item in Item.objects.filter(order=order, status__in=REFUND_CANCELS_ITEMS):
        item_transition(
            item_id=item.pk,
            to=ItemStatus.CANCELLED,
            user=user,
            actor=actor,
            parameters={"reason": "refunded"},
        )
    return True


def order_refund(*, order_id: int, user: Any = None, reason: str = "", actor: str = "operator") -> Payment:
    """Refund what was paid for an order (through Stripe when it was paid there) and mark it refunded."""
    order = Order.objects.get(pk=order_id)
    if not order.can_refund():
        raise Conflict(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot be refunded."
        )
    outstanding = _paid_cents(order) - _refunded_cents(order)
    if outstanding <= 0:
        raise Conflict(f"Order {order.number} has no payment left to refund.")
    charge = (
        order.payments.filter(kind=PaymentKind.CHARGE, status=PaymentStatus.SUCCEEDED)
        .exclude(stripe_payment_intent_id="")
        .order_by("-created_at")
        .first()
    )
    refund = None
    if charge is not None and stripe_online():
        refund = create_refund(
            payment_intent=charge.stripe_payment_intent_id,
            amount_cents=outstanding,
            idempotency_key=f"refund-{order.number}-{outstanding}",
            metadata={"order_number": order.number},
        )
    with transaction.atomic():
        order = lock_order(order_id)
        recorded_by = user if getattr(user, "pk", None) else None
        if refund is not None:
            payment, _ = Payment.objects.update_or_create(
                stripe_refund_id=refund.id,
                defaults={
                    "order": order,
                    "kind": PaymentKind.REFUND,
                    "provider": "stripe",
                    "status": _refund_status(refund.status),
                    "amount_cents": refund.amount_cents,
                    "currency": order.currency,
                    "stripe_payment_intent_id": charge.stripe_payment_intent_id,
                    "recorded_by": recorded_by,
                },
            )
        else:
            if charge is not None:
                raise ApplicationError(
                    "This order was paid through Stripe, but Stripe is not configured here; refund it in the "
                    "Stripe dashboard (the webhook records it)."
                )
            payment = Payment.objects.create(
                order=order,
                kind=PaymentKind.REFUND,
                provider="offline",
                status=PaymentStatus.SUCCEEDED,
                amount_cents=outstanding,
                currency=order.currency,
                recorded_by=recorded_by,
            )
        events.order_note_event(
            order=order,
            type="refund_recorded",
            user=user,
            actor=actor,
            parameters={
                "payment_id": payment.pk,
                "provider": payment.provider,
                "amount_cents": payment.amount_cents,
                "reason": reason,
            },
        )
        _close_refunded(order, user=user, actor=actor, reason=reason or "operator refund")
    return payment


def _refund_status(stripe_status: str) -> str:
    if stripe_status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if stripe_status in ("failed", "canceled"):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING


# --------------------------------------------------------------------------- webhook events


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
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if intent:
        payment = Payment.objects.filter(stripe_payment_intent_id=intent).select_related("order").first()
        if payment is not None:
            return payment.order
    return None


def _session_charge(order: Order, session: dict[str, Any]) -> Payment:
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
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
            "stripe_payment_intent_id": payment_intent or "",
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
        events.order_note_event(
            order=order,
            type="payment_mismatch",
            actor="stripe",
            parameters={
                "session_id": session["id"],
                "amount_cents": amount,
                "expected_cents": order.total_cents,
            },
        )
        return "amount does not match the order; left for an operator"
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_cents = amount
    payment.save(update_fields=["status", "amount_cents", "updated_at"])
    events.order_note_event(
        order=order,
        type="payment_recorded",
        actor="stripe",
        parameters={
            "payment_id": payment.pk,
            "provider": "stripe",
            "amount_cents": amount,
            "event": event_type,
        },
    )
    if _fulfil(order, actor="stripe"):
        return "paid"
    events.order_note_event(
        order=order,
        type="payment_after_close",
        actor="stripe",
        parameters={"payment_id": payment.pk, "status": order.status},
    )
    return f"payment recorded; order was already {order.status}"


def _on_session_completed(order: Order, session: dict[str, Any], event_type: str) -> str:
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
    events.order_note_event(
        order=order, type="payment_failed", actor="stripe", parameters={"session_id": session["id"]}
    )
    return "payment failed"


def _on_session_expired(order: Order, session: dict[str, Any], event_type: str) -> str:
    if order.stripe_checkout_session_id == session["id"] and order.stripe_checkout_url:
        order.stripe_checkout_url = ""
        order.save(update_fields=["stripe_checkout_url"])
        return "checkout expired; a new one is made on the next pay"
    return "stale session"


def _after_refund(order: Order) -> str:
    paid = _paid_cents(order)
    refunded = _refunded_cents(order)
    if paid and refunded >= paid and _close_refunded(order, actor="stripe", reason="refunded in Stripe"):
        return "refunded"
    return f"refunded {refunded} of {paid} cents"


def _on_refund(order: Order, refund: dict[str, Any], event_type: str) -> str:
    intent = refund.get("payment_intent") or ""
    status = _refund_status(refund.get("status") or "pending")
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
    missing = int(charge.get("amount_refunded") or 0) - _refunded_cents(order)
    if missing > 0:  # refunds not listed on the charge (newer API versions): record the amount
        Payment.objects.create(
            order=order,
            kind=PaymentKind.REFUND,
            provider="stripe",
            status=PaymentStatus.SUCCEEDED,
            amount_cents=missing,
            currency=order.currency,
            stripe_payment_intent_id=charge.get("payment_intent") or "",
        )
    return _after_refund(order)


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


def stripe_event_process(event: dict[str, Any]) -> str:
    """Apply one verified Stripe event exactly once; returns what happened (for the log and the answer)."""
    event_id = event.get("id")
    event_type = event.get("type") or ""
    if not event_id or not isinstance(event.get("data"), dict):
        raise ApplicationError("The event has no id or data.")
    obj = event["data"].get("object") or {}
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
                outcome = "ignored: no matching order"
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
