"""Reprints: a failed QC or a Design Guarantee claim prints the same approved file again, free.

A reprint job carries `is_reprint`, its reason and the job it replaces, costs nothing (a database
constraint), and is locked to the same approved SHA-256 as every job of the item. The item follows
its jobs (`printing.services.items`): back to in_production when it had already shipped or arrived.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from kits.photo import PhotoRejected, open_photo, reencode
from orders import events
from orders.lock_objects import lock_item
from orders.models import Item, ItemStatus
from printing.models import LIVE_STATUSES, ClaimPhoto, GuaranteeClaim, PrintJob, PrintJobStatus
from printing.services.items import item_follow_print_jobs
from printing.services.print_files import approval_of, request_print_file
from studio.errors import ApplicationError, Conflict, NotFound

REPRINT_DUE_DAYS = 14
MAX_CLAIM_PHOTOS = 5
REPRINTABLE_ITEM_STATUSES = (ItemStatus.IN_PRODUCTION, ItemStatus.SHIPPED, ItemStatus.DELIVERED)
CLAIMABLE_ITEM_STATUSES = (ItemStatus.SHIPPED, ItemStatus.DELIVERED)


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


def guarantee_claim_create(*, item_id: int, customer: Any, reason: str, photos: list[Any]) -> GuaranteeClaim:
    """The customer's Design Guarantee claim, with 1–5 photos of what arrived: a free reprint at once.

    The customer must own the item (404 otherwise) and it must have shipped (409 otherwise). Photos go
    through the studio's photo intake (type sniffed, size limits, re-encoded without metadata).
    """
    item = Item.objects.select_related("order").filter(pk=item_id, order__customer=customer).first()
    if item is None:
        raise NotFound(f"Item {item_id} does not exist.")
    if item.status not in CLAIMABLE_ITEM_STATUSES:
        raise Conflict(
            "A Design Guarantee claim is for a figurine that has been shipped to you.",
            extra={"item_status": item.status},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Tell us what does not match the design you approved (reason).")
    if not photos:
        raise ApplicationError("Add at least one photo of the figurine you received.")
    if len(photos) > MAX_CLAIM_PHOTOS:
        raise ApplicationError(f"Add at most {MAX_CLAIM_PHOTOS} photos.")
    stored = []
    for index, upload in enumerate(photos, start=1):
        try:
            photo = open_photo(upload, max_bytes=settings.MAX_PHOTO_UPLOAD_BYTES)
        except PhotoRejected as exc:
            raise ApplicationError(f"Photo {index}: {exc.message}", extra={"code": exc.code}) from None
        stored.append(reencode(photo, max_side=4000))
    with transaction.atomic():
        last = (
            item.print_jobs.filter(status__in=(PrintJobStatus.SHIPPED, PrintJobStatus.DELIVERED))
            .order_by("-shipped_at", "-pk")
            .first()
        )
        reprint = reprint_create(
            item_id=item.pk,
            reason=f"Design Guarantee claim: {reason}",
            actor="customer",
            reprint_of_id=last.pk if last else None,
        )
        claim = GuaranteeClaim.objects.create(item=item, reason=reason, print_job=last, reprint=reprint)
        for index, photo in enumerate(stored, start=1):
            record = ClaimPhoto(claim=claim, sha256=photo.sha256, width=photo.width, height=photo.height)
            record.image.save(
                f"claim-{claim.pk}-{index}{photo.extension}", ContentFile(photo.data), save=False
            )
            record.width, record.height = photo.width, photo.height
            record.save()
        events.guarantee_claim_event(
            item=item, claim_id=claim.pk, print_job_id=reprint.pk, photos=len(stored)
        )
    return claim
