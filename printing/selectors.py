"""Read-side queries for printers and print jobs."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from orders.models import DIGITAL_ONLY_LINES, Item, ItemStatus
from printing.models import LIVE_STATUSES, GuaranteeClaim, GuaranteeClaimStatus, PrintJob


# --------------------------------------------------------------------------------------------- print queue
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
    """Jobs past their promised delivery that have not shipped (nor failed or been cancelled).

    PrintJob's (status, due_at) index serves it."""
    return Q(due_at__lt=timezone.now(), status__in=LIVE_STATUSES)


def is_late(job: PrintJob) -> bool:
    return bool(job.due_at and job.due_at < timezone.now() and job.status in LIVE_STATUSES)


def tracking_by_item(item_ids) -> dict[int, list[dict]]:
    """Each item's parcels (carrier, tracking number, when shipped, reprint or not), oldest first;
    for the customer's order page (one query)."""
    tracking: dict[int, list[dict]] = {item_id: [] for item_id in item_ids}
    jobs = PrintJob.objects.filter(item_id__in=list(tracking)).exclude(tracking_number="")
    for job in jobs.order_by("item_id", "created_at"):
        tracking[job.item_id].append(
            {
                "carrier": job.carrier,
                "tracking_number": job.tracking_number,
                "shipped_at": job.shipped_at,
                "is_reprint": job.is_reprint,
            }
        )
    return tracking


def order_email_tracking(order) -> dict[str, list[tuple[str, str]]]:
    """The order e-mails' ``tracking``: each parcel's (carrier, tracking number), once."""
    pairs = (
        PrintJob.objects.filter(item__order=order)
        .exclude(tracking_number="")
        .order_by("created_at")
        .values_list("carrier", "tracking_number")
    )
    return {"tracking": list(dict.fromkeys(pairs))}


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
    return (
        Item.objects.select_related("order", "approval")
        .filter(status=ItemStatus.APPROVED)
        .exclude(product_line__in=DIGITAL_ONLY_LINES)  # "3D model only": delivered with its files
        .order_by("approved_at", "pk")
    )


# ------------------------------------------------------------------------------ Design Guarantee claims
#: Where a claim stands, in the customer's words (a declined claim adds the operator's reason).
CLAIM_STATUS_TEXT = {
    GuaranteeClaimStatus.SUBMITTED: "We are looking at your photos.",
    GuaranteeClaimStatus.APPROVED: "A free reprint is on its way.",
    GuaranteeClaimStatus.DECLINED: "We will not reprint it:",
}


def guarantee_claims_by_item(item_ids) -> dict[int, list[dict]]:
    """Each item's Design Guarantee claims, oldest first, as the customer sees them (one query):
    ``{id, status, status_text, decline_reason, created_at, reviewed_at, print_job_id}``."""
    claims: dict[int, list[dict]] = {item_id: [] for item_id in item_ids}
    for claim in GuaranteeClaim.objects.filter(item_id__in=list(claims)).order_by("created_at", "pk"):
        claims[claim.item_id].append(
            {
                "id": claim.pk,
                "status": claim.status,
                "status_text": CLAIM_STATUS_TEXT.get(claim.status, claim.get_status_display()),
                "decline_reason": claim.decline_reason,
                "created_at": claim.created_at,
                "reviewed_at": claim.reviewed_at,
                "print_job_id": claim.reprint_id,
            }
        )
    return claims
