"""Payments: Stripe Checkout, the webhook events that move money, offline payments and refunds.

Webhook events are applied in ``orders.services.stripe_events``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
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
)
from orders.services.photos import item_mark_ready_if_possible
from orders.services.transitions import item_transition, order_transition
from orders.stripe_client import create_checkout_session, create_refund, stripe_online
from studio.errors import ApplicationError, Conflict
from studio.http import public_url

logger = logging.getLogger(__name__)

__all__ = [
    "checkout_session_create",
    "order_mark_paid_offline",
    "order_refund",
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
    back = public_url("portal-order", order.number)
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
        "success_url": f"{back}?checkout=success",
        "cancel_url": f"{back}?checkout=cancelled",
    }
    if not order.ship_line1:  # ordered without an address: Checkout asks for it
        params["shipping_address_collection"] = {"allowed_countries": list(settings.SHIPPING_COUNTRIES)}
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
        events.checkout_created_event(order=order, session_id=session.id, idempotency_key=key)
    return session.url


# --------------------------------------------------------------------------- paying


def order_fulfil(order: Order, *, user: Any = None, actor: str) -> bool:
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
        events.payment_recorded_event(
            order=order,
            payment_id=payment.pk,
            provider="offline",
            amount_cents=payment.amount_cents,
            user=user,
            actor=actor,
            method=method,
            reference=reference,
        )
        order_fulfil(order, user=user, actor=actor)
    return payment


# --------------------------------------------------------------------------- refunds


def order_refunded_cents(order: Order) -> int:
    return (
        order.payments.filter(kind=PaymentKind.REFUND, status=PaymentStatus.SUCCEEDED).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )


def order_paid_cents(order: Order) -> int:
    return (
        order.payments.filter(kind=PaymentKind.CHARGE, status=PaymentStatus.SUCCEEDED).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )


def order_close_refunded(order: Order, *, user: Any = None, actor: str, reason: str = "") -> bool:
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
    outstanding = order_paid_cents(order) - order_refunded_cents(order)
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
                    "status": refund_status(refund.status),
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
        events.refund_recorded_event(
            order=order,
            payment_id=payment.pk,
            provider=payment.provider,
            amount_cents=payment.amount_cents,
            reason=reason,
            user=user,
            actor=actor,
        )
        order_close_refunded(order, user=user, actor=actor, reason=reason or "operator refund")
    return payment


def refund_status(stripe_status: str) -> str:
    if stripe_status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if stripe_status in ("failed", "canceled"):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING
