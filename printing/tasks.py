"""Printing background tasks (django-q2): thin layers over the services, each idempotent."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string

from orders import events
from orders.notifications import notification_send
from orders.services import login_link_url
from printing.models import PrintJob
from printing.services.print_files import print_file_make
from printing.services.trays import tray_artifacts_build

logger = logging.getLogger(__name__)


def make_print_file(print_job_id: int) -> dict | None:
    """Export the job's print file from the approved design (refused when its SHA-256 changed)."""
    file_job = print_file_make(print_job_id)
    if file_job is None:
        return None
    return {"file_job": file_job.pk, "status": file_job.status, "error": file_job.error}


def build_tray_file(tray_id: int, revision: int | None = None) -> dict | None:
    """Write the tray file with every part placed (for layout `revision`; stale layouts are skipped)."""
    tray = tray_artifacts_build(tray_id, revision)
    return {"tray": tray.pk, "tray_file": tray.tray_file.name} if tray is not None else None


def send_shipment_email(print_job_id: int) -> bool:
    """E-mail the customer the carrier and tracking number of one parcel; at most once per job."""
    job = PrintJob.objects.select_related("item__order__customer").filter(pk=print_job_id).first()
    if job is None or not job.tracking_number:
        return False
    order = job.item.order

    def compose() -> tuple[str, str]:
        context = {
            "order": order,
            "customer": order.customer,
            "job": job,
            "item": job.item,
            "portal_url": login_link_url(customer=order.customer, order=order, reason="print_job_shipped"),
        }
        body = render_to_string("printing/emails/print_job_shipped.txt", context)
        subject = f"{'Your replacement figurine' if job.is_reprint else 'Your figurine'} is on its way — order {order.number}"
        return subject, body

    return notification_send(
        kind="print_job_shipped",
        key=job.pk,
        recipient=order.customer.email,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            item=job.item, template="print_job_shipped", to=order.customer.email, print_job_id=job.pk
        ),
    )
