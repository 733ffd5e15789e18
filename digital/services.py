"""Making an item's digital files from the design the customer approved.

``digital_files_make(item_id)`` is the body of the ``digital.tasks.make_digital_files`` task, enqueued after
the approval commits (``digital/hooks.py``). At-least-once delivery: it runs under a job row's claim
(``studio.jobs.JobBase``), so a re-delivered copy, or a run after the files were made, does nothing.

It works only from the approved file: the approval's SHA-256 must be the revision's, the stored file is
hashed again first and the bytes it loads are held to the same SHA-256; a file that changed after approval
fails the run with a clear error and no file is made. A later round (a revision made after approval) is
never read: the approval names the revision.

A "3D model only" item (``Item.is_digital_only``) is delivered once its files are made
(:func:`digital_item_deliver`): the files are the product, so the customer is told only when they can download
all of them (the safer order: a failed run leaves the item approved and the studio alarmed, never "delivered"
without its files). Printed figurines get the same files at no charge and stay on the print road.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction

from digital.models import DigitalFile, DigitalFilesJob
from kits.mesh.io import MeshLoadError, load_mesh
from kits.printfiles.digital import DIGITAL_FORMATS, write_digital_files
from kits.printfiles.placement import ExportError
from orders.models import Item, ItemStatus
from orders.services.transitions import item_transition
from revisions.models import Approval
from studio.errors import Conflict, NotFound, TransitionNotAllowed
from studio.jobs import JobStatus
from studio.storage import local_copy, sha256_matches, stored_file_check
from studio.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

OPEN = (JobStatus.PENDING, JobStatus.RUNNING)


def digital_files_request(*, item_id: int) -> DigitalFilesJob:
    """A new run for an approved item (e.g. after a failure was fixed), enqueued after commit."""
    with transaction.atomic():
        item = Item.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise NotFound(f"Item {item_id} does not exist.")
        approval = Approval.objects.filter(item_id=item_id).first()
        if approval is None:
            raise Conflict(f"Item {item_id} is not approved: its digital files come after approval.")
        if item.digital_jobs.filter(status__in=OPEN).exists():
            raise Conflict(f"Item {item_id} already has its digital files on the way.")
        job = DigitalFilesJob.objects.create(item=item, source_sha256=approval.sha256)
        enqueue_on_commit("digital.tasks.make_digital_files", item.pk)
    return job


def _fail(job: DigitalFilesJob, message: str, code: str) -> DigitalFilesJob:
    logger.warning("digital files of item %s failed (%s): %s", job.item_id, code, message)
    job.terminate(JobStatus.FAILED, error=message, code=code)
    return job


def _changed(found: str, approval: Approval) -> str:
    return (
        f"Refused: the approved design's file now hashes to {found}, not the approved {approval.sha256}. "
        "It changed after approval; no digital file is made from it."
    )


def _open_job(item: Item, approval: Approval) -> DigitalFilesJob | None:
    """The run to do now: the newest open one, else a first one; None once a run exists (idempotent)."""
    pending = item.digital_jobs.filter(status__in=OPEN).order_by("-created_at").first()
    if pending is not None:
        return pending
    if item.digital_jobs.exists():
        return None  # made (or failed: an operator asks again with digital_files_request)
    return DigitalFilesJob.objects.create(item=item, source_sha256=approval.sha256)


def digital_files_make(item_id: int) -> DigitalFilesJob | None:
    """Make the item's six digital files from its approved file (None when there is nothing to do)."""
    item = Item.objects.select_related("order").filter(pk=item_id).first()
    approval = Approval.objects.select_related("revision").filter(item_id=item_id).first()
    if item is None or approval is None:
        return None
    pending = _open_job(item, approval)
    if pending is None:
        if item.is_digital_only:  # a re-delivered task finishes what a run made (idempotent)
            digital_item_deliver(item_id=item.pk)
        return None
    job = DigitalFilesJob.claim(pending.pk)
    if job is None:
        return None
    revision = approval.revision
    job.set_progress("verifying the approved file", 5)
    if revision.item_id != item.pk or approval.sha256 != revision.sha256:
        return _fail(
            job,
            f"Item {item.pk}'s approval locked {approval.sha256[:12]}… but revision {revision.number} records "
            f"{revision.sha256[:12]}…: the approved file cannot be identified.",
            "approval_mismatch",
        )
    missing = f"The approved design's file {revision.mesh.name or '(none)'} is missing."
    if not revision.mesh:
        return _fail(job, missing, "missing_file")
    stored = stored_file_check(revision.mesh, sha256=approval.sha256)
    if stored.missing:
        return _fail(job, missing, "missing_file")
    if not stored.ok:
        return _fail(job, _changed(stored.found, approval), "sha256_mismatch")
    job.set_progress("loading the approved mesh", 10)
    try:
        with local_copy(revision.mesh) as source:
            loaded = load_mesh(source)
    except FileNotFoundError:
        return _fail(job, missing, "missing_file")
    except MeshLoadError as exc:
        return _fail(job, f"The approved design cannot be read: {exc.message}", exc.code)
    if not sha256_matches(loaded.sha256, approval.sha256):  # replaced between the hash and the load
        return _fail(job, _changed(loaded.sha256, approval), "sha256_mismatch")

    with tempfile.TemporaryDirectory(prefix="digital-") as folder:
        try:
            written = write_digital_files(
                loaded.mesh,
                height_mm=item.height_mm,
                out_dir=folder,
                stem=f"figurine-{item.order.number}-{item.pk}",
                game_triangles=settings.DIGITAL_GAME_TRIANGLES,
                progress=lambda stage, percent: job.set_progress(stage, 15 + percent * 70 // 100),
            )
        except (ExportError, ValueError, OSError) as exc:
            return _fail(job, f"The digital files cannot be made: {exc}", "export_failed")
        job.set_progress("storing the files", 90)
        files = _store(item, approval, written)
    job.terminate(
        JobStatus.COMPLETED,
        source_sha256=approval.sha256,
        revision=revision.number,
        files=files,
    )
    if item.is_digital_only:
        try:
            digital_item_deliver(item_id=item.pk)
        except Conflict as exc:  # a file row lost meanwhile: the item stays approved, the studio sees why
            logger.warning("digital-only item %s not delivered: %s", item.pk, exc)
    return job


def files_ready(item: Item) -> bool:
    """Every format is stored, made from the approved SHA-256 (what the customer downloads)."""
    approval = Approval.objects.filter(item_id=item.pk).first()
    if approval is None:
        return False
    made = set(
        DigitalFile.objects.filter(item=item, source_sha256=approval.sha256)
        .exclude(file="")
        .values_list("format", flat=True)
    )
    return made >= set(DIGITAL_FORMATS)


def guard_files_ready(item: Item) -> None:
    """The guard of ``approved → delivered`` (registered in ``orders``' ITEM_GUARDS by ``digital/hooks.py``,
    so every caller of ``item_transition`` meets it): 409 until every file is made from the approval."""
    if not files_ready(item):
        raise Conflict(
            f"Item {item.pk}'s digital files are not all made from its approved design yet; it is delivered "
            "once they are.",
            extra={"item_status": item.status},
        )


def digital_item_deliver(*, item_id: int) -> bool:
    """A "3D model only" item is delivered: ``approved → delivered`` once all its files are made (the
    table lets only a digital-only item take the move; the guard holds it to its files), the customer
    e-mailed after commit (``digital.tasks.send_files_delivered_email``). True when it moved now; False
    when it is not an approved digital-only item (already delivered, cancelled, printed)."""
    item = Item.objects.filter(pk=item_id).first()
    if item is None or not item.is_digital_only or item.status != ItemStatus.APPROVED:
        return False
    try:
        item_transition(
            item_id=item_id,
            to=ItemStatus.DELIVERED,
            actor="system",
            parameters={"reason": "digital files ready"},
        )
    except TransitionNotAllowed:  # moved meanwhile (a racing copy of the task delivered it)
        return False
    return True


def _store(item: Item, approval: Approval, written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Save each written file and record it (one row per item and format; an older file is replaced)."""
    summary = []
    for entry in written:
        row = DigitalFile.objects.filter(item=item, format=entry["format"]).first()
        old_name = row.file.name if row is not None and row.file else ""
        row = row or DigitalFile(item=item, format=entry["format"])
        row.approval, row.revision = approval, approval.revision
        row.source_sha256 = approval.sha256
        row.sha256, row.bytes, row.triangles = entry["sha256"], entry["bytes"], entry["triangles"]
        with open(entry["path"], "rb") as handle:
            row.file.save(Path(entry["path"]).name, File(handle), save=False)
        row.save()
        if old_name and old_name != row.file.name:
            row.file.storage.delete(old_name)
        summary.append({k: entry[k] for k in ("format", "sha256", "bytes", "triangles", "units")})
    return summary


def digital_formats() -> tuple[str, ...]:
    """The formats every approved item gets, in the order the customer sees them."""
    return DIGITAL_FORMATS
