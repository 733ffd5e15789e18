"""Row locks for print jobs and trays (order and item first, as everywhere, then the job)."""

from __future__ import annotations

from orders.lock_objects import lock_item_row
from printing.models import Batch, PrintJob
from studio.errors import NotFound


def lock_print_job(print_job_id: int) -> PrintJob:
    return lock_item_row(PrintJob, print_job_id, "Print job")


def lock_tray(tray_id: int) -> Batch:
    tray = Batch.objects.select_for_update().filter(pk=tray_id).first()
    if tray is None:
        raise NotFound(f"Tray {tray_id} does not exist.")
    return tray
