"""Printing background tasks (django-q2): thin layers over the services, each idempotent."""

from __future__ import annotations

import logging

from orders.services import customer_email_send
from printing.models import GuaranteeClaim, GuaranteeClaimStatus, PrintJob, PrintJobStatus
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
    what = "Your replacement figurine" if job.is_reprint else "Your figurine"
    return customer_email_send(
        kind="print_job_shipped",
        key=job.pk,
        item=job.item,
        subject=f"{what} is on its way — order {job.item.order.number}",
        template="printing/emails/print_job_shipped.txt",
        context={"job": job},
        event_keys={"print_job_id": job.pk},
    )


def send_production_started_email(print_job_id: int) -> bool:
    """ "Your figurine is being printed": once per figurine, when its first print job goes to printing (a
    reprint's customer heard of it with the claim's approval; a QC reprint is the studio's business)."""
    job = PrintJob.objects.select_related("item__order__customer").filter(pk=print_job_id).first()
    if job is None or job.is_reprint or job.status == PrintJobStatus.CANCELLED:
        return False
    return customer_email_send(
        kind="production_started",
        key=job.item_id,
        item=job.item,
        subject=f"Your figurine is being printed — order {job.item.order.number}",
        template="printing/emails/production_started.txt",
        context={"job": job, "fingerprint": job.approved_sha256[:12], "due_at": job.due_at},
        event_keys={"print_job_id": job.pk},
    )


def send_claim_reviewed_email(claim_id: int) -> bool:
    """Tell the customer how their Design Guarantee claim was reviewed: approved (a free reprint is on its
    way) or declined (with the reason); at most once per claim and outcome."""
    claim = (
        GuaranteeClaim.objects.select_related("item__order__customer", "reprint").filter(pk=claim_id).first()
    )
    if claim is None or claim.status == GuaranteeClaimStatus.SUBMITTED:
        return False
    kind = f"guarantee_claim_{claim.status}"
    number = claim.item.order.number
    return customer_email_send(
        kind=kind,
        key=claim.pk,
        item=claim.item,
        subject=(
            f"A free reprint is on its way — order {number}"
            if claim.status == GuaranteeClaimStatus.APPROVED
            else f"About your Design Guarantee claim — order {number}"
        ),
        template=f"emails/{kind}.txt",
        context={
            "claim": claim,
            "fingerprint": claim.reprint.approved_sha256[:12] if claim.reprint_id else "",
        },
        event_keys={"claim_id": claim.pk},
    )
