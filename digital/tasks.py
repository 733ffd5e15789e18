"""Digital files background tasks (django-q2): thin layers over the services, idempotent."""

from __future__ import annotations

from digital.services import digital_files_make
from orders.models import Item, ItemStatus
from orders.services import customer_email_send


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
    return customer_email_send(
        kind="digital_files_delivered",
        key=item.pk,
        item=item,
        subject=f"Your 3D model is ready to download — order {item.order.number}",
        template="emails/digital_files_delivered.txt",
    )
