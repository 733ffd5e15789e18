"""Order background tasks (django-q2). Each is idempotent: the ORM broker delivers at least once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string

from orders import events
from orders.models import Order, PaymentKind, PaymentStatus
from orders.notifications import notification_send, order_email_kind
from orders.services.payments import order_paid_cents
from orders.services.portal import login_link_url

logger = logging.getLogger(__name__)

#: More context for the order e-mails, from the apps that own it (printing adds the parcels'
#: ``tracking``: (carrier, number) pairs), registered in their AppConfig.ready.
ORDER_EMAIL_CONTEXT: list[Callable[[Order], dict[str, Any]]] = []

EMAIL_SUBJECTS = {
    "paid": "We received your payment — order {number}",
    "shipped": "Your figurine is on its way — order {number}",
    "refunded": "Your refund for order {number}",
    "cancelled": "Order {number} is cancelled",
    "payment_failed": "Your payment for order {number} did not go through",
}


def _refund_cents(order: Order) -> int:
    """Refunds made or on their way (pending at Stripe), in cents."""
    refunds = order.payments.filter(kind=PaymentKind.REFUND).exclude(status=PaymentStatus.FAILED)
    return sum(refunds.values_list("amount_cents", flat=True))


def send_order_email_task(order_id: int, status: str, reference: str = "") -> bool:
    """E-mail the customer about their order entering `status` (or a payment failing).

    Sends at most once per status and ``reference`` (a failed payment's Checkout Session: each
    failed attempt is told once, a redelivered task never twice), with no order lock held.
    """
    subject_template = EMAIL_SUBJECTS.get(status)
    if subject_template is None:
        return False
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        logger.warning("order %s vanished before its %s e-mail", order_id, status)
        return False
    if status == "payment_failed" and order.status != "pending_payment":
        return False  # paid another way (or closed) before the task ran: nothing to ask for
    keys = {"reference": reference} if reference else {}

    def compose() -> tuple[str, str]:
        context = {
            "order": order,
            "customer": order.customer,
            # each e-mail carries a fresh single-use sign-in link (issued once the e-mail is ours to send)
            "portal_url": login_link_url(
                customer=order.customer, order=order, reason=order_email_kind(status)
            ),
            "tracking": [],
            # pending refunds count: the customer is told what is on its way back
            "refunded_cents": _refund_cents(order),
            "paid_cents": order_paid_cents(order),
            "can_pay": order.status == "pending_payment",
        }
        for extra_context in ORDER_EMAIL_CONTEXT:
            context.update(extra_context(order))
        body = render_to_string(f"emails/order_{status}.txt", context)
        return subject_template.format(number=order.number), body

    return notification_send(
        kind=order_email_kind(status),
        key=f"{order.pk}:{reference}" if reference else order.pk,
        recipient=order.customer.email,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            order=order, template=status, to=order.customer.email, **keys
        ),
    )


def expire_checkout_task(order_id: int, status: str = "cancelled") -> bool:
    """Close the Stripe Checkout of an order that can no longer be paid (idempotent; offline: nothing to do)."""
    from orders.stripe_client import expire_checkout_session, stripe_online

    order = Order.objects.filter(pk=order_id).first()
    if order is None or not order.stripe_checkout_session_id or not stripe_online():
        return False
    if order.status != "cancelled":
        return False
    closed = expire_checkout_session(order.stripe_checkout_session_id)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.stripe_checkout_url:
            order.stripe_checkout_url = ""
            order.save(update_fields=["stripe_checkout_url"])
            events.checkout_closed_event(order=order, session_id=order.stripe_checkout_session_id)
    return closed
