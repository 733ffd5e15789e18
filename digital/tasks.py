"""Digital files background task (django-q2): a thin layer over the service, idempotent."""

from __future__ import annotations

from digital.services import digital_files_make


def make_digital_files(item_id: int) -> dict | None:
    """Make the approved item's digital files from its approved file (refused when its SHA-256 changed)."""
    job = digital_files_make(item_id)
    if job is None:
        return None
    return {"digital_job": job.pk, "status": job.status, "error": job.error}
