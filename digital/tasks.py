"""Digital files background tasks (django-q2): thin layers over the services, idempotent."""

from __future__ import annotations

from django.template.loader import render_to_string

from digital.services import digital_files_make
from orders import events
from orders.models import Item, ItemStatus
from orders.notifications import notification_send
from orders.services import login_link_url


def make_digital_files(item_id: int) -> dict | None:
    """Make the approved item's digital files from its approved file (refused when its SHA-256 changed)."""
    job = digital_files_make(item_id)
    if job is None:
        return None
    return {"digital_job": job.pk, "status": job.status, "error": job.error}


def send_files_delivered_email(item_id: int) -> bool:
    """Tell the customer their "3D model only" item is delivered: the files wait on the order page (at most
    once per item; a printed item's delivery is the carrier's and gets no such e-mail)."""
    item = Item.objects.select_related("order__customer").filter(pk=item_id).first()
    if item is None or not item.is_digital_only or item.status != ItemStatus.DELIVERED:
        return False
    order = item.order

    def compose() -> tuple[str, str]:
        context = {
            "order": order,
            "customer": order.customer,
            "item": item,
            "login_url": login_link_url(
                customer=order.customer, order=order, reason="digital_files_delivered"
            ),
        }
        return (
            f"Your 3D model is ready to download — order {order.number}",
            render_to_string("emails/digital_files_delivered.txt", context),
        )

    return notification_send(
        kind="digital_files_delivered",
        key=item.pk,
        recipient=order.customer.email,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            item=item, template="digital_files_delivered", to=order.customer.email
        ),
    )
