"""The print queue part of `manage.py demo`: from an approved item to a parcel, through a failed QC and its reprint.

`demo_print_and_ship(item, stdout)` runs the tasks in line (no worker needed) and prints each step.
"""

from __future__ import annotations

from typing import Any, TextIO

from orders.promises import item_delivery_window
from printing.models import PrintJob
from printing.services import print_job_create, print_job_move, printers_fitting, tray_create
from printing.tasks import build_tray_file, make_print_file


def _line(stdout: TextIO, text: str) -> None:
    stdout.write(f"  [print] {text}\n")


def _make_file(job: PrintJob, stdout: TextIO) -> PrintJob:
    result = make_print_file(job.pk)
    job.refresh_from_db()
    if not job.print_file:
        error = (result or {}).get("error") or "no print file"
        raise RuntimeError(f"print file of job #{job.pk} failed: {error}")
    _line(
        stdout,
        f"job #{job.pk}: print file {job.print_file_format} {job.print_report.get('height_mm')} mm, "
        f"sha256 {job.print_file_sha256[:12]}…, resin {job.resin_volume_mm3 or 0:.0f} mm³ "
        f"(~${(job.material_cost_cents or 0) / 100:.2f}), footprint {job.footprint_mm[0]:.0f}×{job.footprint_mm[1]:.0f} mm, "
        f"base {'added' if job.print_report.get('base_added') else 'not needed'}",
    )
    return job


def _tray(job: PrintJob, user: Any, stdout: TextIO) -> None:
    tray = tray_create(printer_id=printers_fitting(job)[0].pk, user=user, job_ids=[job.pk])
    build_tray_file(tray.pk)
    tray.refresh_from_db()
    _line(
        stdout,
        f"tray #{tray.pk} on {tray.printer.name}: {tray.jobs.count()} job(s), utilisation {100 * tray.utilisation:.1f} %, "
        f"picture {tray.layout_png.name}, tray file {tray.tray_file.name or '(pending)'}",
    )


def demo_print_and_ship(item, stdout: TextIO, *, user: Any = None) -> dict:
    """Send `item` (approved) to print, fail QC once, reprint the same approved file, ship and deliver it."""
    earliest, latest = item_delivery_window(item)
    job = print_job_create(item_id=item.pk, user=user)
    _line(
        stdout,
        f"item {item.pk} sent to print: job #{job.pk}, approved sha256 {job.approved_sha256[:12]}…, "
        f"{job.height_mm} mm, delivery {earliest:%Y-%m-%d} – {latest:%Y-%m-%d}",
    )
    job = _make_file(job, stdout)
    _tray(job, user, stdout)
    for to in ("printing", "printed"):
        print_job_move(print_job_id=job.pk, to=to, user=user)
    print_job_move(print_job_id=job.pk, to="qc_failed", user=user, reason="a hairline crack at the ankle")
    reprint = PrintJob.objects.get(reprint_of=job)
    _line(
        stdout,
        f"job #{job.pk} failed QC -> free reprint #{reprint.pk} (charge ${reprint.charge_cents / 100:.2f}, "
        f"same approved sha256: {reprint.approved_sha256 == job.approved_sha256})",
    )
    reprint = _make_file(reprint, stdout)
    _line(
        stdout, f"reprint file identical to the first: {reprint.print_file_sha256 == job.print_file_sha256}"
    )
    _tray(reprint, user, stdout)
    for to in ("printing", "printed", "qc_passed", "packed"):
        print_job_move(print_job_id=reprint.pk, to=to, user=user)
    print_job_move(
        print_job_id=reprint.pk, to="shipped", user=user, carrier="UPS", tracking_number="1Z999AA10123456784"
    )
    item.refresh_from_db()
    _line(
        stdout,
        f"reprint #{reprint.pk} shipped with UPS 1Z999AA10123456784; item {item.status}, order {item.order.status}",
    )
    print_job_move(print_job_id=reprint.pk, to="delivered", user=user)
    item.refresh_from_db()
    _line(stdout, f"delivered; item {item.status}, order {item.order.status}")
    return {"print_job_id": job.pk, "reprint_id": reprint.pk, "item_status": item.status}
