"""Send to print, and the operator's job moves (printing, QC, packing, shipping, delivery).

`print_job_move` is what the API and the admin call: it refuses an illegal move first (409), then
applies the rules of each state on top of `print_job_transition`:

- batched: the job is laid out on an open tray of a fitting printer (see `printing.services.trays`);
- printing: only with a print file whose bytes still hash to the recorded SHA-256; an open tray starts as
  one (every job on it prints);
- qc_failed: a reason is required, and a free reprint of the same approved file is created;
- shipped: a tracking number is required (the carrier is optional, as in DESIGN's `to`, `tracking_number`);
  the customer is e-mailed;
- delivered, cancelled: the date of delivery, the job off its tray.

After every move the job's tray and its item follow it (`printing.services.core.PRINT_JOB_FOLLOWERS`):
the item ships with its last parcel, is delivered with it, and goes back to approved when its last
job is cancelled.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from orders import events
from orders.lock_objects import lock_item
from orders.models import ItemStatus, OrderStatus
from orders.notifications import notification_claimed, order_email_kind
from orders.promises import delivery_window
from printing.models import LIVE_STATUSES, Printer, PrintJob, PrintJobStatus
from printing.services import trays
from printing.services.core import print_job_transition
from printing.services.items import item_follow_print_jobs
from printing.services.print_files import approval_of, guard_print_file, request_print_file
from printing.services.reprints import reprint_create
from studio.errors import ApplicationError, Conflict, NotFound, TransitionNotAllowed
from studio.tasks import enqueue_on_commit

MAX_CARRIER = 60
MAX_TRACKING = 100


def printer_for_job(printer_id: int | None, height_mm: int) -> Printer | None:
    """The printer chosen by the operator (checked: exists, in service, tall enough), or None."""
    if printer_id in (None, ""):
        return None
    printer = Printer.objects.filter(pk=printer_id).first()
    if printer is None:
        raise NotFound(f"Printer {printer_id} does not exist.")
    if not printer.in_service:
        raise Conflict(f"Printer {printer.name} is {printer.get_status_display().lower()}.")
    if height_mm > printer.build_z_mm:
        raise Conflict(
            f"Printer {printer.name} builds {printer.build_z_mm} mm tall at most; this figurine is {height_mm} mm."
        )
    return printer


def print_job_create(*, item_id: int, user: Any = None, printer_id: int | None = None) -> PrintJob:
    """Send an approved item to print: a queued job locked to the approved file, its print file requested.

    The job records the approved revision and SHA-256, the ordered height, and is due at the latest
    promised delivery (4 weeks after approval). The item follows it to in_production. 409 unless approved.
    """
    with transaction.atomic():
        item = lock_item(item_id)
        if item.status != ItemStatus.APPROVED:
            raise Conflict(
                f"Only approved items go to print; item {item.pk} is '{item.status}'.",
                extra={"item_status": item.status},
            )
        approval = approval_of(item)
        printer = printer_for_job(printer_id, item.height_mm)
        _, latest = delivery_window(approval.approved_at)
        job = PrintJob.objects.create(
            item=item,
            revision=approval.revision,
            approved_sha256=approval.sha256,
            height_mm=item.height_mm,
            printer=printer,
            due_at=latest,
            charge_cents=item.price_cents,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        events.print_job_created_event(
            item=item,
            print_job_id=job.pk,
            sha256=job.approved_sha256,
            height_mm=job.height_mm,
            due_at=latest.isoformat(),
            printer=printer.name if printer else None,
            user=user,
            actor="staff",
        )
        item_follow_print_jobs(item_id=item.pk, user=user, actor="staff", parameters={"print_job_id": job.pk})
        request_print_file(job)
    return job


def _clean(text: Any, limit: int, name: str) -> str:
    value = (text or "").strip() if isinstance(text, str | type(None)) else str(text).strip()
    if len(value) > limit:
        raise ApplicationError(f"{name} is longer than {limit} characters.")
    return value


def print_job_move(
    *,
    print_job_id: int,
    to: str,
    user: Any = None,
    actor: str = "staff",
    tracking_number: str = "",
    carrier: str = "",
    reason: str = "",
) -> PrintJob:
    """The operator moves a job to `to`, with the rules of that state (see the module docstring)."""
    if to not in PrintJobStatus.values:
        raise ApplicationError(f"'{to}' is not a print job state; one of {', '.join(PrintJobStatus.values)}.")
    job = PrintJob.objects.filter(pk=print_job_id).first()
    if job is None:
        raise NotFound(f"Print job {print_job_id} does not exist.")
    if not job.can_transition(to):  # illegal moves are refused before any input is looked at
        raise TransitionNotAllowed(subject=job.SUBJECT, current=job.status, target=to)
    reason = _clean(reason, 2000, "reason")
    params: dict[str, Any] = {"reason": reason} if reason else {}

    if to == PrintJobStatus.BATCHED:
        trays.tray_place_job(print_job_id=job.pk, user=user)
    elif to == PrintJobStatus.QUEUED:
        trays.tray_remove_job(print_job_id=job.pk, user=user, reason=reason)
    elif to == PrintJobStatus.PRINTING and job.batch_id and trays.tray_is_open(job.batch_id):
        trays.tray_move(tray_id=job.batch_id, to="printing", user=user)  # a tray prints as one
    elif to == PrintJobStatus.QC_FAILED:
        _fail_qc(job, user=user, actor=actor, reason=reason)
    elif to == PrintJobStatus.SHIPPED:
        _ship(job, user=user, actor=actor, carrier=carrier, tracking_number=tracking_number)
    else:
        update = {
            PrintJobStatus.QC_PASSED: {"qc_note": reason} if reason else None,
            PrintJobStatus.DELIVERED: {"delivered_at": timezone.now()},
            PrintJobStatus.CANCELLED: {"batch": None},  # its tray, if open, is laid out again
        }.get(to)
        print_job_transition(
            print_job_id=job.pk,
            to=to,
            user=user,
            actor=actor,
            parameters=params,
            update=update,
            guard=guard_print_file if to == PrintJobStatus.PRINTING else None,
        )
    job.refresh_from_db()
    return job


def _fail_qc(job: PrintJob, *, user: Any, actor: str, reason: str) -> None:
    """The failed print is replaced first, free (one reprint on its way is enough: e.g. the operator
    already granted one), so the item stays in production while the failed job closes."""
    if not reason:
        raise ApplicationError("Say why QC failed (reason): the reprint carries it.")
    with transaction.atomic():
        if not _other_live_jobs(job).filter(is_reprint=True).exists():
            reprint_create(
                item_id=job.item_id,
                reason=f"QC failed: {reason}",
                user=user,
                reprint_of_id=job.pk,
                actor=actor,
            )
        print_job_transition(
            print_job_id=job.pk,
            to=PrintJobStatus.QC_FAILED,
            user=user,
            actor=actor,
            parameters={"reason": reason},
            update={"qc_note": reason},
        )


def _ship(job: PrintJob, *, user: Any, actor: str, carrier: str, tracking_number: str) -> None:
    carrier = _clean(carrier, MAX_CARRIER, "carrier")
    tracking_number = _clean(tracking_number, MAX_TRACKING, "tracking_number")
    if not tracking_number:
        raise ApplicationError(
            "Shipping needs a tracking_number (and, optionally, the carrier).",
            extra={"missing": ["tracking_number"]},
        )
    with transaction.atomic():
        item = lock_item(job.item_id)
        order_was = item.order.status
        print_job_transition(  # the item ships with its last parcel, and its order follows
            print_job_id=job.pk,
            to=PrintJobStatus.SHIPPED,
            user=user,
            actor=actor,
            parameters={"carrier": carrier, "tracking_number": tracking_number},
            update={"carrier": carrier, "tracking_number": tracking_number, "shipped_at": timezone.now()},
        )
        item.order.refresh_from_db()
        # The order's own "shipped" e-mail covers the first parcel that ships the whole order; every
        # other parcel (a reprint, one figurine of several) gets its own e-mail.
        order_mail_covers = (
            order_was != OrderStatus.SHIPPED
            and item.order.status == OrderStatus.SHIPPED
            and not notification_claimed(kind=order_email_kind(OrderStatus.SHIPPED), key=item.order.pk)
        )
        if not order_mail_covers:
            enqueue_on_commit("printing.tasks.send_shipment_email", job.pk)


def _other_live_jobs(job: PrintJob):
    return PrintJob.objects.filter(item_id=job.item_id, status__in=LIVE_STATUSES).exclude(pk=job.pk)
