"""Reprints: a failed QC or an approved Design Guarantee claim prints the same approved file again, free.

A reprint job carries `is_reprint`, its reason and the job it replaces, costs nothing (a database
constraint), and is locked to the same approved SHA-256 as every job of the item. The item follows
its jobs (`printing.services.items`): back to in_production when it had already shipped or arrived.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from orders import events
from orders.lock_objects import lock_item
from orders.models import ItemStatus
from printing.models import LIVE_STATUSES, PrintJob, PrintJobStatus
from printing.services.items import item_follow_print_jobs
from printing.services.print_files import approval_of, request_print_file
from studio.errors import ApplicationError, Conflict, NotFound

REPRINT_DUE_DAYS = 14
REPRINTABLE_ITEM_STATUSES = (ItemStatus.IN_PRODUCTION, ItemStatus.SHIPPED, ItemStatus.DELIVERED)


def reprint_create(
    *,
    item_id: int,
    reason: str,
    user: Any = None,
    actor: str = "staff",
    reprint_of_id: int | None = None,
) -> PrintJob:
    """A zero-charge reprint of the item's approved file (same SHA-256). 409 when nothing was printed yet
    or a reprint of the item is already on its way."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("A reprint needs a reason.")
    if len(reason) > 2000:
        raise ApplicationError("The reason is longer than 2000 characters.")
    with transaction.atomic():
        item = lock_item(item_id)
        if item.status not in REPRINTABLE_ITEM_STATUSES:
            raise Conflict(
                f"Item {item.pk} is '{item.status}': only a figurine in production, shipped or "
                "delivered can be reprinted.",
                extra={"item_status": item.status},
            )
        approval = approval_of(item)
        jobs = PrintJob.objects.filter(item=item)
        original = jobs.filter(pk=reprint_of_id).first() if reprint_of_id else None
        if reprint_of_id and original is None:
            raise NotFound(f"Print job {reprint_of_id} is not a job of item {item.pk}.")
        if original is None:
            original = jobs.exclude(status=PrintJobStatus.CANCELLED).order_by("-created_at", "-pk").first()
        if original is None:
            raise Conflict(
                f"Item {item.pk} has never been sent to print: send it to print rather than reprint it."
            )
        running = (
            jobs.filter(is_reprint=True, status__in=LIVE_STATUSES).exclude(pk=reprint_of_id or 0).first()
        )
        if running is not None:
            raise Conflict(
                f"Item {item.pk} already has reprint job #{running.pk} on its way ('{running.status}').",
                extra={"print_job_id": running.pk},
            )
        now = timezone.now()
        due = (
            original.due_at
            if original.due_at and original.due_at > now
            else now + timedelta(days=REPRINT_DUE_DAYS)
        )
        job = PrintJob.objects.create(
            item=item,
            revision=approval.revision,
            approved_sha256=approval.sha256,
            height_mm=original.height_mm,
            is_reprint=True,
            reprint_reason=reason,
            reprint_of=original,
            charge_cents=0,
            printer=original.printer if original.printer_id else None,
            due_at=due,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        events.reprint_created_event(
            item=item,
            print_job_id=job.pk,
            reprint_of=original.pk,
            reason=reason,
            sha256=job.approved_sha256,
            user=user,
            actor=actor,
        )
        item_follow_print_jobs(
            item_id=item.pk, user=user, actor=actor, parameters={"print_job_id": job.pk, "reason": "reprint"}
        )
        request_print_file(job)
    return job
