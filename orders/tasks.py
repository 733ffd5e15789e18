"""Order background tasks (django-q2). Each is idempotent: the ORM broker delivers at least once."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from orders import events
from orders.models import Order, OrderEvent

logger = logging.getLogger(__name__)

EMAIL_SUBJECTS = {
    "paid": "We received your payment — order {number}",
    "shipped": "Your figurine is on its way — order {number}",
}


def send_order_email_task(order_id: int, status: str) -> bool:
    """E-mail the customer about their order entering `status`; sends at most once per status."""
    subject_template = EMAIL_SUBJECTS.get(status)
    if subject_template is None:
        return False
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer").filter(pk=order_id).first()
        if order is None:
            logger.warning("order %s vanished before its %s e-mail", order_id, status)
            return False
        if OrderEvent.objects.filter(order=order, type="email_sent", parameters__template=status).exists():
            return False
        context = {
            "order": order,
            "customer": order.customer,
            "portal_url": f"{settings.PUBLIC_BASE_URL}/portal/orders/{order.number}/",
            "tracking": list(
                order.items.filter(print_jobs__tracking_number__gt="")
                .values_list("print_jobs__carrier", "print_jobs__tracking_number")
                .distinct()
            ),
        }
        body = render_to_string(f"emails/order_{status}.txt", context)
        send_mail(
            subject_template.format(number=order.number),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [order.customer.email],
        )
        events.order_note_event(
            order=order, type="email_sent", parameters={"template": status, "to": order.customer.email}
        )
    return True


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
            events.order_note_event(
                order=order,
                type="checkout_closed",
                parameters={"session_id": order.stripe_checkout_session_id},
            )
    return closed
