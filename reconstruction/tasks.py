"""Reconstruction task (django-q2, on the GPU queue `studio-gpu`): photos to revision 0.

Idempotent and bounded: the job row counts attempts (a task that kills its worker is retried at
most TASK_MAX_ATTEMPTS times), a finished job is never run again, and every failure still leaves
the sculptor a template body to start from.
"""

from __future__ import annotations

import logging

from django.conf import settings

from orders.models import Item
from reconstruction.models import ReconstructionJob
from reconstruction.services import (
    reconstruction_fallback,
    reconstruction_photo_inputs,
    reconstruction_start,
    reconstruction_store_revision,
)
from revisions.checking import check_printability, verdict_summary
from revisions.models import RevisionSource
from studio.jobs import JobStatus

logger = logging.getLogger(__name__)


def reconstruct_item(item_id: int, *, triangle_budget: int | None = None) -> str:
    """Run the photo-to-mesh pipeline for an item and store the result as revision 0.

    ``triangle_budget`` overrides ``RECONSTRUCTION_TRIANGLE_BUDGET`` (the demo asks for a small mesh).
    """
    job = reconstruction_start(
        item_id=item_id, backend=settings.RECONSTRUCTION_BACKEND, device=settings.RECONSTRUCTION_DEVICE
    )
    if job is None:
        return "skipped: the item is not waiting for reconstruction"
    claimed = ReconstructionJob.claim(job.pk)
    if claimed is None:
        job.refresh_from_db()
        if job.status == JobStatus.ERRORED:
            reconstruction_fallback(job_id=job.pk, reason=job.error or "attempts spent")
            return "gave up: template body stored"
        return "skipped: already done"
    try:
        from reconstruction.core.pipeline import reconstruct

        item = Item.objects.get(pk=item_id)
        photos = reconstruction_photo_inputs(item)
        result = reconstruct(
            photos,
            product_line=item.product_line,
            height_mm=float(item.height_mm),
            style=item.style,
            backend=settings.RECONSTRUCTION_BACKEND,
            device=settings.RECONSTRUCTION_DEVICE,
            checkpoint_path=settings.RECONSTRUCTION_CHECKPOINT or None,
            triangle_budget=triangle_budget or settings.RECONSTRUCTION_TRIANGLE_BUDGET,
            progress=claimed.set_progress,
            persons=item.persons,
        )
    except Exception as exc:  # noqa: BLE001 — any failure ends in a template body, never a stuck item
        logger.exception("reconstruction of item %s failed", item_id)
        claimed.terminate(JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        reconstruction_fallback(job_id=job.pk, reason=str(exc) or type(exc).__name__)
        return "failed: template body stored"
    claimed.set_progress("checking", 96)
    # the one printability verdict on the base mesh (it stands at the item's height already); revision
    # 0's own checks repeat it with its previews
    result.report.update(verdict_summary(check_printability(result.mesh)))
    claimed.set_progress("storing", 97)
    # a person without photos (a couple's second person...) stands as a template body: the sculptor is told
    reconstruction_store_revision(
        job_id=job.pk,
        mesh=result.mesh,
        source=RevisionSource.AI,
        report=result.report,
        flag_reason=" ".join(result.warnings),
    )
    ReconstructionJob.objects.filter(pk=job.pk).update(
        backend=result.report.get("backend", ""), device=result.report.get("device", "")[:20]
    )
    claimed.terminate(JobStatus.COMPLETED, report=result.report)
    return "completed"
