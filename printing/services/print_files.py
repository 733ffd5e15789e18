"""Print files: the approved design exported at the ordered height, in the printer's colour format.

`print_file_make(print_job_id)` is the body of the `printing.tasks.make_print_file` task. It first hashes
the approved revision's stored file (``studio.storage.stored_file_check``): when it no longer matches the
SHA-256 the customer approved, the run fails with a clear error and the job gets no print file, so it can
never be printed. The bytes it loads are held to the same SHA-256 again, and the export fits the build
volumes of ``revisions.checking.mesh_check_limits``.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from kits.mesh.io import MeshLoadError, load_mesh
from kits.printfiles import ExportError, export_print
from orders import events
from printing.models import Printer, PrintFileJob, PrintJob
from revisions.checking import mesh_check_limits
from revisions.models import Approval
from studio.errors import Conflict, NotFound
from studio.jobs import JobStatus
from studio.storage import local_copy, sha256_matches, stored_file_check
from studio.tasks import enqueue_on_commit


def approval_of(item) -> Any:
    """The item's approval (revision and SHA-256 locked), or a 409 when there is none."""
    approval = Approval.objects.select_related("revision").filter(item_id=item.pk).first()
    if approval is None:
        raise Conflict(
            f"Item {item.pk} has no recorded approval: nothing can be printed before the customer approves."
        )
    if approval.revision.item_id != item.pk:
        raise Conflict(f"Item {item.pk}'s approval points at another item's revision.")
    if approval.sha256 != approval.revision.sha256:
        raise Conflict(
            f"Item {item.pk}'s approval locked {approval.sha256[:12]}… but its revision records "
            f"{approval.revision.sha256[:12]}…: the approved file cannot be identified."
        )
    return approval


def request_print_file(job: PrintJob) -> PrintFileJob:
    """A new print-file run for the job, enqueued after commit."""
    file_job = PrintFileJob.objects.create(print_job=job)
    enqueue_on_commit("printing.tasks.make_print_file", job.pk)
    return file_job


def guard_print_file(job: PrintJob) -> None:
    """A job prints only its own print file, unchanged since it was made from the approved design."""
    problem = verify_print_file(job)
    if problem:
        raise Conflict(problem, extra={"print_job_id": job.pk})


def choose_printer(job: PrintJob) -> Printer | None:
    """The job's printer, else the first printer in service tall enough for it (by name)."""
    if job.printer_id:
        return job.printer
    return Printer.objects.in_service().filter(build_z_mm__gte=job.height_mm).order_by("name").first()


def print_file_request(*, print_job_id: int, user: Any = None) -> PrintFileJob:
    """Ask for a (new) print file, e.g. after a failure was fixed; refused once the job is printing."""
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().filter(pk=print_job_id).first()
        if job is None:
            raise NotFound(f"Print job {print_job_id} does not exist.")
        if job.status not in ("queued",):
            raise Conflict(
                f"Print job {job.pk} is '{job.status}': its print file can only be remade while queued."
            )
        if job.file_jobs.filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING)).exists():
            raise Conflict(f"Print job {job.pk} already has a print file on the way.")
        return request_print_file(job)


def _fail(file_job: PrintFileJob, job: PrintJob, message: str, code: str) -> PrintFileJob:
    file_job.terminate(JobStatus.FAILED, error=message, code=code)
    events.print_file_failed_event(item=job.item, print_job_id=job.pk, code=code, message=message)
    return file_job


def print_file_make(print_job_id: int) -> PrintFileJob | None:
    """Make the job's print file (idempotent: None when there is nothing left to do)."""
    job = (
        PrintJob.objects.select_related("item__order", "revision", "printer").filter(pk=print_job_id).first()
    )
    if job is None:
        return None
    pending = (
        job.file_jobs.filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING))
        .order_by("-created_at")
        .first()
    )
    if pending is None:
        # a re-delivered task finds its run finished; a job that never had a run gets its first one
        if job.print_file or job.file_jobs.exists():
            return None
        pending = PrintFileJob.objects.create(print_job=job)
    file_job = PrintFileJob.claim(pending.pk)
    if file_job is None:
        return None
    if job.status == "cancelled":
        file_job.terminate(JobStatus.FAILED, error="The print job was cancelled.", code="cancelled")
        return file_job

    file_job.set_progress("verifying the approved file", 5)
    revision = job.revision
    if not revision.mesh:
        return _fail(file_job, job, f"Revision {revision.number} has no stored mesh file.", "missing_file")
    missing = f"The approved design's file {revision.mesh.name} is missing."
    stored = stored_file_check(revision.mesh, sha256=job.approved_sha256)
    if stored.missing:
        return _fail(file_job, job, missing, "missing_file")
    if not stored.ok:
        return _fail(file_job, job, _changed_after_approval(stored.found, job), "sha256_mismatch")
    reused = _reuse_original_file(job, file_job)
    if reused is not None:
        return reused
    file_job.set_progress("loading the mesh", 15)
    try:
        with local_copy(revision.mesh) as source:
            loaded = load_mesh(source)
    except FileNotFoundError:
        return _fail(file_job, job, missing, "missing_file")
    except MeshLoadError as exc:
        return _fail(file_job, job, f"The approved design cannot be read: {exc.message}", exc.code)
    if not sha256_matches(loaded.sha256, job.approved_sha256):  # replaced between the hash and the load
        return _fail(file_job, job, _changed_after_approval(loaded.sha256, job), "sha256_mismatch")

    printer = choose_printer(job)
    fmt = printer.preferred_format if printer else "3mf"
    file_job.set_progress(f"exporting {fmt} at {job.height_mm} mm", 35)
    with tempfile.TemporaryDirectory(prefix="print-file-") as folder:
        out = Path(folder) / f"{job.item.order.number}-{job.item_id}-job{job.pk}.{fmt}"
        try:
            report = export_print(
                loaded.mesh,
                height_mm=job.height_mm,
                fmt=fmt,
                base="auto",
                out_path=out,
                check_limits=mesh_check_limits().check_kwargs(),
            )
        except ExportError as exc:
            return _fail(file_job, job, f"The print file cannot be made: {exc}", "export_failed")
        file_job.set_progress("storing the print file", 85)
        stored = _store(job, report)
    return _record(job, file_job, report, stored, printer)


def _changed_after_approval(found: str, job: PrintJob) -> str:
    return (
        f"Refused: the approved design's file now hashes to {found}, not the approved "
        f"{job.approved_sha256}. It changed after approval; nothing will be printed from it."
    )


def _store(job: PrintJob, report: dict) -> dict:
    """Save the print file (and its companions: OBJ's .mtl and texture) into storage."""
    main = Path(report["path"])
    with open(main, "rb") as handle:
        job.print_file.save(main.name, File(handle), save=False)
    folder = str(Path(job.print_file.name).parent)
    companions = []
    for entry in report["files"][1:]:
        path = Path(entry["path"])
        with open(path, "rb") as handle:
            name = default_storage.save(f"{folder}/{path.name}", File(handle))
        companions.append({"name": name, "sha256": entry["sha256"], "bytes": entry["bytes"]})
    return {"name": job.print_file.name, "companions": companions}


def _record(
    job: PrintJob, file_job: PrintFileJob, report: dict, stored: dict, printer: Printer | None
) -> PrintFileJob:
    clean = {k: v for k, v in report.items() if k not in ("path", "files")}
    clean["files"] = [
        {"name": stored["name"], "sha256": report["sha256"], "bytes": report["files"][0]["bytes"]},
        *stored["companions"],
    ]
    clean["printer"] = printer.name if printer else None
    clean["source_sha256"] = job.approved_sha256
    return _finish(job, file_job, clean, printer)


def _finish(job: PrintJob, file_job: PrintFileJob, report: dict, printer: Printer | None) -> PrintFileJob:
    """Record the stored print file's facts on the job (format, SHA-256, volume, cost, footprint)."""
    volume = report.get("volume_mm3")
    cost_rate = (
        printer.resin_cost_cents_per_cm3
        if printer
        else Printer._meta.get_field("resin_cost_cents_per_cm3").default
    )
    job.print_file_format = report["format"]
    job.print_file_sha256 = report["sha256"]
    job.print_report = report
    job.resin_volume_mm3 = volume
    job.material_cost_cents = math.ceil(volume / 1000.0 * cost_rate) if volume is not None else None
    job.footprint_mm = [float(report["bbox_mm"][0]), float(report["bbox_mm"][1])]
    fields = [
        "print_file",
        "print_file_format",
        "print_file_sha256",
        "print_report",
        "resin_volume_mm3",
        "material_cost_cents",
        "footprint_mm",
        "updated_at",
    ]
    with transaction.atomic():
        job.save(update_fields=fields)
        file_job.terminate(
            JobStatus.COMPLETED,
            sha256=report["sha256"],
            format=report["format"],
            height_mm=report["height_mm"],
            volume_mm3=volume,
            reused_from_job=report.get("reused_from_job"),
        )
        events.print_file_ready_event(
            item=job.item,
            print_job_id=job.pk,
            format=report["format"],
            sha256=report["sha256"],
            height_mm=report["height_mm"],
            volume_mm3=volume,
            reused_from_job=report.get("reused_from_job"),
        )
    return file_job


def _reuse_original_file(job: PrintJob, file_job: PrintFileJob) -> PrintFileJob | None:
    """A reprint prints the very file of the job it replaces when that file is intact and still fits.

    Same approved SHA-256 and height, one self-contained file (not OBJ with companions), bytes unchanged,
    and a format the reprint's printer takes; otherwise None (the file is exported again).
    """
    original = job.reprint_of
    if (
        original is None
        or not original.print_file
        or original.approved_sha256 != job.approved_sha256
        or original.height_mm != job.height_mm
        or len(original.print_report.get("files", [])) > 1
        or verify_print_file(original)
    ):
        return None
    printer = choose_printer(job)
    if printer is not None and original.print_file_format not in (printer.formats or []):
        return None
    file_job.set_progress("copying the print file of the job it replaces", 50)
    with original.print_file.open("rb") as handle:
        name = f"{job.item.order.number}-{job.item_id}-job{job.pk}.{original.print_file_format}"
        job.print_file.save(name, File(handle), save=False)
    report = {**original.print_report, "reused_from_job": original.pk}
    report["files"] = [{**report["files"][0], "name": job.print_file.name}] if report.get("files") else []
    return _finish(job, file_job, report, printer)


def verify_print_file(job: PrintJob) -> str:
    """Why the job cannot print (no print file, or its bytes changed), or "" when it can."""
    if not job.print_file or not job.print_file_sha256:
        return f"Print job {job.pk} has no print file yet: it cannot print."
    stored = stored_file_check(job.print_file, sha256=job.print_file_sha256)
    if stored.missing:
        return f"Print job {job.pk}'s print file {job.print_file.name} is missing."
    if not stored.ok:
        return (
            f"Print job {job.pk}'s print file changed since it was made from the approved design "
            f"(SHA-256 {stored.found[:12]}…, recorded {job.print_file_sha256[:12]}…): make it again."
        )
    return ""
