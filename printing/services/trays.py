"""Printer trays (batches): jobs laid out together on one printer, their picture and their tray file.

Footprints come from each job's print file (the scaled figurine with its base, seen from above); the
layout is MaxRects with rotations and the printer's clearance margin (`kits.printfiles.packing`), earliest due
first. A tray stays open while jobs join or leave it (its layout is packed again each time), prints as
one, and is done when every job on it has left the printer.
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from kits.printfiles.packing import Part, TrayLayout, fits_tray, pack_maxrects
from kits.printfiles.tray_render import TraySource, build_tray_file, render_layout_png
from printing.lock_objects import lock_print_job, lock_tray
from printing.models import Batch, Printer, PrintJob, PrintJobStatus, TrayStatus
from printing.services.core import print_job_transition, tray_transition
from printing.services.print_files import guard_print_file
from studio.errors import ApplicationError, Conflict, NotFound, TransitionNotAllowed
from studio.storage import local_copy
from studio.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


def job_part(job: PrintJob) -> Part:
    """The job's footprint as a packing part, due date as priority."""
    width, depth = job.footprint_mm
    priority = job.due_at.timestamp() if job.due_at else float("inf")
    label = f"#{job.pk} {job.item.order.number}" + (" R" if job.is_reprint else "")
    return Part(str(job.pk), float(width), float(depth), priority, label)


def printer_fits(printer: Printer, job: PrintJob) -> bool:
    """In service, tall enough, takes the print file's format, and the footprint fits its tray."""
    if not printer.in_service or job.height_mm > printer.build_z_mm:
        return False
    if job.print_file_format and job.print_file_format not in (printer.formats or []):
        return False
    if job.footprint_mm:
        return fits_tray(job_part(job), printer.build_x_mm, printer.build_y_mm, printer.tray_margin_mm)
    return True


def printers_fitting(job: PrintJob) -> list[Printer]:
    """Printers that can print the job: its own printer only when one is set, else all that fit."""
    candidates = [job.printer] if job.printer_id else list(Printer.objects.order_by("name"))
    return [p for p in candidates if printer_fits(p, job)]


def _require_ready(job: PrintJob) -> None:
    if not job.print_file or not job.footprint_mm:
        raise Conflict(
            f"Print job {job.pk} has no print file yet: its footprint is unknown, it cannot go on a tray."
        )


def pack_tray(printer: Printer, jobs: list[PrintJob]) -> TrayLayout:
    """Lay `jobs` out on `printer`'s tray (as many as fit, earliest due first)."""
    return pack_maxrects(
        [job_part(j) for j in jobs], printer.build_x_mm, printer.build_y_mm, printer.tray_margin_mm
    )


def _save_layout(tray: Batch, layout: TrayLayout) -> None:
    """Record the layout and utilisation, draw the picture, and rebuild the tray file after commit."""
    data = layout.as_dict()
    for part in data["parts"]:
        part["print_job_id"] = int(part["key"])
    data["printer"] = tray.printer.name
    data["revision"] = (
        int((tray.layout or {}).get("revision", 0)) + 1
    )  # the tray file task builds this one only
    tray.layout = data
    tray.utilisation = round(layout.utilisation, 4)
    png = render_layout_png(data, title=f"Tray #{tray.pk} — {tray.printer.name}")
    if tray.layout_png:
        tray.layout_png.delete(save=False)
    tray.layout_png.save(f"tray-{tray.pk}-layout.png", ContentFile(png), save=False)
    tray.save(update_fields=["layout", "utilisation", "layout_png", "updated_at"])
    enqueue_on_commit("printing.tasks.build_tray_file", tray.pk, data["revision"])


def _batched_jobs(tray: Batch) -> list[PrintJob]:
    return list(
        PrintJob.objects.select_related("item__order")
        .filter(batch=tray, status=PrintJobStatus.BATCHED)
        .order_by("due_at", "pk")
    )


def tray_place_job(*, print_job_id: int, user: Any = None) -> Batch:
    """`to: batched`: put a queued job on an open tray of a fitting printer (a new tray when none has room)."""
    with transaction.atomic():
        job = lock_print_job(print_job_id)
        if not job.can_transition(PrintJobStatus.BATCHED):
            raise TransitionNotAllowed(subject=job.SUBJECT, current=job.status, target=PrintJobStatus.BATCHED)
        _require_ready(job)
        printers = printers_fitting(job)
        if not printers:
            width, depth = job.footprint_mm
            raise Conflict(
                f"No printer in service takes print job {job.pk}: {job.height_mm} mm tall, "
                f"{width:.0f}×{depth:.0f} mm footprint, {job.print_file_format or 'any'} file."
            )
        chosen, layout = None, None
        open_trays = Batch.objects.select_for_update(of=("self",)).filter(
            status=TrayStatus.OPEN, printer__in=printers
        )
        for tray in open_trays.select_related("printer").order_by("created_at", "pk"):
            candidate = pack_tray(tray.printer, [*_batched_jobs(tray), job])
            if not candidate.left_over:
                chosen, layout = tray, candidate
                break
        if chosen is None:
            chosen = Batch.objects.create(printer=printers[0])
            layout = pack_tray(chosen.printer, [job])
        print_job_transition(
            print_job_id=job.pk,
            to=PrintJobStatus.BATCHED,
            user=user,
            actor="staff",
            parameters={"tray_id": chosen.pk},
            update={"batch": chosen, "printer": chosen.printer},
        )
        _save_layout(chosen, layout)
    return chosen


def tray_create(*, printer_id: int, user: Any = None, job_ids: list[int] | None = None) -> Batch:
    """Fill a new tray on `printer_id` with queued jobs that have a print file and fit it, earliest due first.

    `job_ids` limits the candidates (the admin's selection). 409 when no queued job fits.
    """
    with transaction.atomic():
        printer = Printer.objects.filter(pk=printer_id).first()  # not locked: jobs are locked first, always
        if printer is None:
            raise NotFound(f"Printer {printer_id} does not exist.")
        if not printer.in_service:
            raise Conflict(f"Printer {printer.name} is {printer.get_status_display().lower()}.")
        queued = (
            PrintJob.objects.select_related("item__order")
            .filter(status=PrintJobStatus.QUEUED)
            .exclude(print_file="")
        )
        queued = queued.filter(footprint_mm__isnull=False).order_by("due_at", "pk")
        if job_ids is not None:
            queued = queued.filter(pk__in=job_ids)
        candidates = [j for j in queued if (j.printer_id in (None, printer.pk)) and printer_fits(printer, j)]
        # lock them (order, item, job; by id) and keep those still queued: a racing tray may have taken some
        locked = {j.pk: lock_print_job(j.pk) for j in sorted(candidates, key=lambda j: j.pk)}
        candidates = [j for j in candidates if locked[j.pk].status == PrintJobStatus.QUEUED]
        if not candidates:
            raise Conflict(f"No queued print job with a print file fits printer {printer.name}.")
        layout = pack_tray(printer, candidates)
        if not layout.placed:
            raise Conflict(f"None of the queued print jobs fits on printer {printer.name}'s tray.")
        tray = Batch.objects.create(printer=printer)
        for part in layout.placed:
            print_job_transition(
                print_job_id=int(part.key),
                to=PrintJobStatus.BATCHED,
                user=user,
                actor="staff",
                parameters={"tray_id": tray.pk},
                update={"batch": tray, "printer": printer},
            )
        _save_layout(tray, layout)
    return tray


def tray_remove_job(*, print_job_id: int, user: Any = None, reason: str = "") -> PrintJob:
    """`batched -> queued`: take a job off its (open) tray, which is laid out again (it follows its jobs)."""
    with transaction.atomic():
        job = lock_print_job(print_job_id)
        tray_id = job.batch_id
        if tray_id and Batch.objects.filter(pk=tray_id).exclude(status=TrayStatus.OPEN).exists():
            raise Conflict(f"Print job {job.pk}'s tray #{tray_id} is already printing.")
        result = print_job_transition(
            print_job_id=job.pk,
            to=PrintJobStatus.QUEUED,
            user=user,
            actor="staff",
            parameters={"tray_id": tray_id, **({"reason": reason} if reason else {})},
            update={"batch": None},
        )
    return result.obj


def tray_is_open(tray_id: int) -> bool:
    return Batch.objects.filter(pk=tray_id, status=TrayStatus.OPEN).exists()


def tray_follow_print_jobs(*, tray_id: int, user: Any = None, actor: str = "system") -> None:
    """The tray follows its jobs. An open tray prints once one of its jobs prints, and is laid out
    again once a job it laid out left it (cancelled when none is left; jobs joining it are laid out by
    whoever places them). A printing tray is done once none of its jobs is on the printer any more."""
    tray = lock_tray(tray_id)
    jobs = dict(PrintJob.objects.filter(batch_id=tray_id).values_list("pk", "status"))
    statuses = set(jobs.values())
    if tray.status == TrayStatus.OPEN and PrintJobStatus.PRINTING in statuses:
        tray = tray_transition(
            tray_id=tray_id,
            to=TrayStatus.PRINTING,
            user=user,
            actor=actor,
            parameters={"reason": "a job started"},
        ).obj
    elif tray.status == TrayStatus.OPEN and _left_the_layout(tray, jobs):
        if PrintJobStatus.BATCHED in statuses:
            _save_layout(tray, pack_tray(tray.printer, _batched_jobs(tray)))
        else:
            tray_transition(
                tray_id=tray_id,
                to=TrayStatus.CANCELLED,
                user=user,
                actor=actor,
                parameters={"reason": "no job left on the tray"},
            )
    if tray.status == TrayStatus.PRINTING and not statuses & {
        PrintJobStatus.BATCHED,
        PrintJobStatus.PRINTING,
    }:
        tray_transition(
            tray_id=tray_id,
            to=TrayStatus.DONE,
            user=user,
            actor=actor,
            parameters={"reason": "every job is off the printer"},
        )


def _left_the_layout(tray: Batch, jobs: dict[int, str]) -> bool:
    """Whether a job the tray's layout places is no longer waiting on the tray."""
    laid_out = {part["print_job_id"] for part in (tray.layout or {}).get("parts", [])}
    return any(jobs.get(pk) != PrintJobStatus.BATCHED for pk in laid_out)


def tray_follows_job(
    job: PrintJob, *, tray_ids: tuple[int, ...], user: Any = None, actor: str = "system"
) -> None:
    """The trays' follower of a print job move (registered in `PRINT_JOB_FOLLOWERS`): the tray the job
    left and the tray it is on."""
    for tray_id in tray_ids:
        tray_follow_print_jobs(tray_id=tray_id, user=user, actor=actor)


def tray_move(*, tray_id: int, to: str, user: Any = None) -> Batch:
    """The operator moves a whole tray: printing (every job on it starts), done (every printing job is
    printed) or cancelled (every job goes back to the queue). All or nothing."""
    if to not in TrayStatus.values:
        raise ApplicationError(f"'{to}' is not a tray state; one of {', '.join(TrayStatus.values)}.")
    tray = Batch.objects.filter(pk=tray_id).first()
    if tray is None:
        raise NotFound(f"Tray {tray_id} does not exist.")
    if not tray.can_transition(to):
        raise TransitionNotAllowed(subject=tray.SUBJECT, current=tray.status, target=to)
    moves = {
        TrayStatus.PRINTING: (PrintJobStatus.BATCHED, PrintJobStatus.PRINTING),
        TrayStatus.DONE: (PrintJobStatus.PRINTING, PrintJobStatus.PRINTED),
        TrayStatus.CANCELLED: (PrintJobStatus.BATCHED, PrintJobStatus.QUEUED),
    }
    source, target = moves[to]
    with transaction.atomic():
        job_ids = list(
            PrintJob.objects.filter(batch_id=tray_id, status=source)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if to == TrayStatus.PRINTING and not job_ids:
            raise Conflict(f"Tray {tray_id} has no job to print.")
        for job_id in job_ids:  # the jobs first, then the tray: the studio's lock order
            lock_print_job(job_id)
        # The tray moves first and its jobs after it, so following them leaves it where it is.
        tray_transition(tray_id=tray_id, to=to, user=user, parameters={"jobs": job_ids})
        for job_id in job_ids:
            guard = guard_print_file if target == PrintJobStatus.PRINTING else None
            update = {"batch": None} if target == PrintJobStatus.QUEUED else None
            print_job_transition(
                print_job_id=job_id,
                to=target,
                user=user,
                actor="staff",
                guard=guard,
                update=update,
                parameters={"tray_id": tray_id},
            )
    tray.refresh_from_db()
    return tray


def tray_format(printer: Printer, job_formats: set[str]) -> str:
    """The tray file's format: the print files' own when they share one the printer takes, else its preferred."""
    if len(job_formats) == 1 and next(iter(job_formats)) in (printer.formats or []):
        return next(iter(job_formats))
    return printer.preferred_format


def tray_artifacts_build(tray_id: int, revision: int | None = None) -> Batch | None:
    """Write the tray file: every part's print file placed at its position on the tray (task body).

    With `revision`, a task for a layout that changed since (a newer task is queued) does nothing.
    """
    tray = Batch.objects.select_related("printer").filter(pk=tray_id).first()
    if tray is None or not tray.layout.get("parts"):
        return tray
    if revision is not None and tray.layout.get("revision") != revision:
        return tray
    layout = tray.layout
    jobs = {j.pk: j for j in PrintJob.objects.filter(pk__in=[p["print_job_id"] for p in layout["parts"]])}
    parts = [p for p in layout["parts"] if jobs.get(p["print_job_id"]) and jobs[p["print_job_id"]].print_file]
    if len(parts) < len(layout["parts"]):
        logger.warning(
            "tray %s: %d job(s) without a print file left out of the tray file",
            tray_id,
            len(layout["parts"]) - len(parts),
        )
    if not parts:
        return tray
    fmt = tray_format(tray.printer, {jobs[p["print_job_id"]].print_file_format for p in parts})
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="tray-") as folder:
        sources = []
        for part in parts:
            job = jobs[part["print_job_id"]]
            path = stack.enter_context(local_copy(job.print_file))
            report = job.print_report or {}
            sources.append(
                TraySource(
                    path, job.print_file_format, part, report.get("bbox_min_mm"), report.get("bbox_max_mm")
                )
            )
        out = Path(folder) / f"tray-{tray_id}.{fmt}"
        report = build_tray_file(sources, out, fmt=fmt)
        with transaction.atomic():
            current = Batch.objects.select_for_update().get(pk=tray_id)
            if current.layout != layout:  # the layout changed meanwhile: its own task rebuilds it
                return current
            if current.tray_file:
                current.tray_file.delete(save=False)
            with open(out, "rb") as handle:
                current.tray_file.save(out.name, File(handle), save=False)
            current.layout = {**layout, "tray_file": report}
            current.save(update_fields=["tray_file", "layout", "updated_at"])
    return current
