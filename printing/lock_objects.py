"""Row locks for print jobs and trays (order and item first, as everywhere, then the job)."""

from __future__ import annotations

from orders.lock_objects import lock_item
from printing.models import Batch, PrintJob
from studio.errors import NotFound


def lock_print_job(print_job_id: int) -> PrintJob:
    item_id = PrintJob.objects.filter(pk=print_job_id).values_list("item_id", flat=True).first()
    if item_id is None:
        raise NotFound(f"Print job {print_job_id} does not exist.")
    item = lock_item(item_id)
    job = PrintJob.objects.select_for_update().filter(pk=print_job_id).first()
    if job is None:
        raise NotFound(f"Print job {print_job_id} does not exist.")
    job.item = item
    return job


def lock_tray(tray_id: int) -> Batch:
    tray = Batch.objects.select_for_update().filter(pk=tray_id).first()
    if tray is None:
        raise NotFound(f"Tray {tray_id} does not exist.")
    return tray
