"""Read-side queries for printers and print jobs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from printing.models import PrintJob


# --------------------------------------------------------------------------------------------- print queue
def delivery_estimate(item) -> tuple[datetime | None, datetime | None]:
    """The promised delivery of an item: 2 to 4 weeks after its approval; (None, None) before approval.

    For the portal and the admin. Reads the item's approval (its time), else `item.approved_at`.
    """
    from printing.services.print_jobs import delivery_window
    from revisions.models import Approval

    approved_at = Approval.objects.filter(item_id=item.pk).values_list("approved_at", flat=True).first()
    approved_at = approved_at or getattr(item, "approved_at", None)
    if approved_at is None:
        return None, None
    return delivery_window(approved_at)


def print_job_list(
    *,
    status: str | None = None,
    printer: str | None = None,
    late: bool | None = None,
    is_reprint: bool | None = None,
) -> QuerySet[PrintJob]:
    """The print queue, earliest due first; filters by status (comma-separated), printer (id or name),
    lateness and reprints."""
    jobs = PrintJob.objects.select_related("item__order", "printer", "batch", "revision")
    if status:
        jobs = jobs.filter(status__in=[s.strip() for s in status.split(",") if s.strip()])
    if printer:
        by_name = Q(printer__name=printer)
        jobs = jobs.filter(by_name | Q(printer__pk=int(printer)) if printer.isdigit() else by_name)
    if late is not None:
        jobs = jobs.filter(late_jobs_q()) if late else jobs.exclude(late_jobs_q())
    if is_reprint is not None:
        jobs = jobs.filter(is_reprint=is_reprint)
    return jobs.order_by(F("due_at").asc(nulls_last=True), "created_at", "pk")


def late_jobs_q() -> Q:
    """Jobs past their promised delivery that have not shipped (nor failed or been cancelled)."""
    from printing.services.print_jobs import LIVE_STATUSES

    return Q(due_at__lt=timezone.now(), status__in=LIVE_STATUSES)


def is_late(job: PrintJob) -> bool:
    from printing.services.print_jobs import LIVE_STATUSES

    return bool(job.due_at and job.due_at < timezone.now() and job.status in LIVE_STATUSES)


def shipments_for_order(order) -> list[dict]:
    """Parcels of an order for the portal: item, carrier, tracking number, dates, reprint or not."""
    jobs = PrintJob.objects.filter(item__order=order).exclude(tracking_number="").order_by("shipped_at", "pk")
    return [
        {
            "item_id": job.item_id,
            "print_job_id": job.pk,
            "carrier": job.carrier,
            "tracking_number": job.tracking_number,
            "shipped_at": job.shipped_at,
            "delivered_at": job.delivered_at,
            "is_reprint": job.is_reprint,
            "status": job.status,
        }
        for job in jobs
    ]


def items_ready_to_print() -> QuerySet:
    """Approved items waiting to be sent to print, oldest approval first."""
    from orders.models import Item, ItemStatus

    return (
        Item.objects.select_related("order", "approval")
        .filter(status=ItemStatus.APPROVED)
        .order_by("approved_at", "pk")
    )
