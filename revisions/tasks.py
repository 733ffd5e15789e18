"""Revision background tasks (django-q2). Each is idempotent: the broker delivers at least once.

* ``check_revision`` — the automatic checks of a round (CheckJob row: attempts, stages), its web GLB,
  turntable renders, its AR USDZ at the ordered height and the difference from the previous round; then
  ``ready`` or ``rejected``.
* ``send_revision_published_email`` — the customer's "your preview is ready" e-mail (once per round).
* ``send_revision_approved_email`` — "you approved round N — we'll print exactly this design", with the
  file's fingerprint and what happens next (once per approved round).
* ``notify_sculptor_of_feedback`` — the assigned sculptor hears about a request for changes (once).
* ``warn_due_previews`` — scheduled: warns the assigned sculptor before a preview is due (once per
  item and due time).
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from kits.mesh import MeshLoadError
from orders import events
from orders.models import Item
from orders.notifications import notification_send
from orders.promises import delivery_window
from orders.services import customer_email_send
from revisions import selectors
from revisions.checking import mesh_check_limits
from revisions.meshwork import process_revision_mesh
from revisions.models import Approval, CheckJob, Feedback, Revision, RevisionStatus, revision_upload_to
from revisions.services import revision_checks_finished
from studio.http import public_url
from studio.jobs import JobStatus
from studio.storage import local_copy, sha256_matches

logger = logging.getLogger(__name__)


# ================================================================================================ checks
def _store(revision: Revision, local: Path, filename: str) -> str:
    """Save a generated file under the round's folder, replacing an earlier run's copy."""
    name = revision_upload_to(revision, filename)
    if default_storage.exists(name):
        default_storage.delete(name)
    with open(local, "rb") as handle:
        return default_storage.save(name, File(handle, name=filename))


def _previous_copy(stack: ExitStack, previous: Revision | None) -> Path | None:
    """A local path to the previous round's mesh, or None when there is none (or its file is gone)."""
    if previous is None:
        return None
    try:
        return stack.enter_context(local_copy(previous.mesh))
    except FileNotFoundError:
        return None


def _job_for(revision: Revision) -> CheckJob:
    job = (
        CheckJob.objects.filter(revision=revision, status__in=(JobStatus.PENDING, JobStatus.RUNNING))
        .order_by("-created_at")
        .first()
    )
    return job or CheckJob.objects.create(revision=revision)


def check_revision(revision_id: int, *, render_size: int | None = None) -> str:
    """Run the checks of a round in ``checking``; returns what happened ("ready", "rejected", "skipped").

    ``render_size`` overrides ``REVISION_RENDER_SIZE`` (the demo asks for small renders).
    """
    revision = Revision.objects.select_related("item__order").filter(pk=revision_id).first()
    if revision is None or revision.status != RevisionStatus.CHECKING:
        return "skipped"
    job = CheckJob.claim(_job_for(revision).pk)
    if job is None:
        return "skipped"
    item = revision.item
    previous = selectors.previous_comparable_revision(revision)
    size = render_size or settings.REVISION_RENDER_SIZE
    try:
        with tempfile.TemporaryDirectory(prefix=f"check-r{revision.pk}-") as tmp, ExitStack() as stack:
            scratch = Path(tmp)
            try:
                mesh_path = stack.enter_context(local_copy(revision.mesh))
            except FileNotFoundError:
                raise MeshLoadError("unreadable", "the uploaded file is missing from storage") from None
            previous_path = _previous_copy(stack, previous)
            work = process_revision_mesh(
                mesh_path,
                scratch / "out",
                height_mm=float(item.height_mm),
                previous_path=previous_path,
                progress=job.set_progress,
                max_bytes=max(settings.MAX_MESH_UPLOAD_BYTES, revision.size_bytes) + 1,
                render_size=size,
                limits=mesh_check_limits().check_kwargs(),
            )
            if not sha256_matches(work.sha256, revision.sha256):  # the bytes checked are the upload's
                raise MeshLoadError(
                    "unreadable", "the stored file changed since it was uploaded (SHA-256 differs)"
                )
            if previous and previous_path is None:
                work.diff_report = {"error": f"round {previous.number}'s file is missing from storage"}
            fields = {
                "triangles": work.triangles,
                "vertices": work.vertices,
                "check_report": {
                    **work.check_report,
                    "web_preview": work.web_report,
                    "ar_usdz": work.ar_report,
                },
                "web_glb": _store(revision, work.web_glb, "preview.glb"),
                "renders": [_store(revision, path, f"renders/{path.name}") for path in work.renders],
                "diff_report": (
                    {
                        **work.diff_report,
                        "previous_revision_id": previous.pk,
                        "previous_round": previous.number,
                    }
                    if previous
                    else {}
                ),
                "heatmap_glb": _store(revision, work.heatmap_glb, "heatmap.glb") if work.heatmap_glb else "",
                "ar_usdz": _store(revision, work.ar_usdz, "preview.usdz") if work.ar_usdz else "",
            }
    except MeshLoadError as exc:
        issue = exc.as_issue()
        revision_checks_finished(
            revision_id=revision.pk,
            ok=False,
            fields={"check_report": {"printable": False, "issues": [issue]}},
            blocking=[issue],
        )
        job.terminate(JobStatus.COMPLETED, verdict="rejected", issues=[issue])
        return "rejected"
    except Exception as exc:
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        job.save(update_fields=["error"])
        logger.exception("checks of revision %s failed (attempt %s)", revision_id, job.attempts)
        raise  # the broker retries; CheckJob.claim gives up after TASK_MAX_ATTEMPTS
    blocking = work.blocking_issues
    revision_checks_finished(revision_id=revision.pk, ok=not blocking, fields=fields, blocking=blocking)
    verdict = "ready" if not blocking else "rejected"
    job.terminate(
        JobStatus.COMPLETED,
        verdict=verdict,
        printable=work.printable,
        triangles=work.triangles,
        seconds=work.web_report.get("seconds", {}),
    )
    return verdict


# ================================================================================================ e-mails
def send_revision_published_email(revision_id: int) -> bool:
    """Tell the customer a new preview round is ready, with a sign-in link (at most once per round)."""
    revision = Revision.objects.select_related("item__order__customer").filter(pk=revision_id).first()
    if revision is None or revision.published_at is None:
        return False
    item = revision.item
    return customer_email_send(
        kind="revision_published",
        key=revision.pk,
        item=item,
        subject=f"Your 3D preview is ready — order {item.order.number}, round {revision.number}",
        template="emails/revision_published.txt",
        context={"revision": revision, "preview_url": public_url("portal-revision", revision.pk)},
        event_keys={"revision_id": revision.pk},
    )


def send_revision_approved_email(revision_id: int) -> bool:
    """Confirm the customer's approval: the round, the file's fingerprint (SHA-256, short form) that will
    be printed exactly, and what happens next, with a sign-in link (at most once per approved round)."""
    approval = (
        Approval.objects.select_related("revision", "item__order__customer")
        .filter(revision_id=revision_id)
        .first()
    )
    if approval is None:
        return False
    revision, item = approval.revision, approval.item
    order = item.order
    earliest, latest = delivery_window(approval.approved_at)
    promise = "your 3D files are on the way" if item.is_digital_only else "we'll print exactly this design"
    return customer_email_send(
        kind="revision_approved",
        key=revision.pk,
        item=item,
        subject=f"You approved round {revision.number} — {promise} (order {order.number})",
        template="emails/revision_approved.txt",
        context={
            "revision": revision,
            "approval": approval,
            "fingerprint": approval.sha256[:12],
            "delivery_earliest": timezone.localtime(earliest),
            "delivery_latest": timezone.localtime(latest),
        },
        event_keys={"revision_id": revision.pk},
    )


def notify_sculptor_of_feedback(feedback_id: int) -> bool:
    """E-mail the assigned sculptor the customer's requested changes (at most once per feedback)."""
    feedback = Feedback.objects.select_related("revision").filter(pk=feedback_id).first()
    if feedback is None:
        return False
    item = Item.objects.select_related("order", "assigned_sculptor").get(pk=feedback.revision.item_id)
    recipients = selectors.sculptor_addresses(item)
    if not recipients:
        logger.warning("no sculptor to tell about feedback %s on %s", feedback.pk, item)
        return False

    def compose() -> tuple[str, str]:
        context = {
            "item": item,
            "feedback": feedback,
            "pins": list(feedback.pins.all()),
            "due_at": selectors.preview_due_at(item),
            "admin_url": public_url("admin:revisions_item_page", item.pk),
        }
        return (
            f"Changes requested on {item} (round {feedback.revision.number})",
            render_to_string("emails/revision_feedback_to_sculptor.txt", context),
        )

    return notification_send(
        kind="feedback_to_sculptor",
        key=feedback.pk,
        recipient=recipients,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            item=item, template="feedback_to_sculptor", to=", ".join(recipients), feedback_id=feedback.pk
        ),
    )


def notify_sculptor_of_rejection(revision_id: int) -> bool:
    """Tell the uploader (else the assigned sculptor) why a round was rejected (at most once per round)."""
    revision = (
        Revision.objects.select_related("item__order", "item__assigned_sculptor", "uploaded_by")
        .filter(pk=revision_id)
        .first()
    )
    if revision is None or revision.status != RevisionStatus.REJECTED:
        return False
    item = revision.item
    # a base mesh has no uploader, and its item may have no sculptor yet: then the team hears of it
    recipients = selectors.sculptor_addresses(item, first_choice=revision.uploaded_by)
    if not recipients:
        logger.warning("no sculptor to tell that round %s of %s was rejected", revision.number, item)
        return False

    def compose() -> tuple[str, str]:
        issues = [i for i in (revision.check_report or {}).get("issues", []) if i.get("severity") == "error"]
        context = {
            "item": item,
            "revision": revision,
            "issues": issues,
            "admin_url": public_url("admin:revisions_item_page", item.pk),
        }
        return (
            f"Round {revision.number} of {item} was rejected by the checks",
            render_to_string("emails/revision_rejected.txt", context),
        )

    return notification_send(
        kind="revision_rejected",
        key=revision.pk,
        recipient=recipients,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            item=item, template="revision_rejected", to=", ".join(recipients), revision_id=revision.pk
        ),
    )


# ================================================================================================ deadlines
def warn_due_previews(*, within_business_hours: float | None = None, now=None) -> int:
    """Warn each assigned sculptor once per item and due time when a preview is due soon (or late).

    Scheduled every 15 minutes (migration 0002), which also retries a warning whose e-mail failed.
    Returns how many warnings were sent.
    """
    within = within_business_hours
    if within is None:
        within = float(getattr(settings, "PREVIEW_WARNING_BUSINESS_HOURS", 8))
    now = now or timezone.now()
    sent = 0
    for entry in selectors.work_queue(now=now):
        if entry.business_hours_left is None or entry.business_hours_left > within:
            continue
        if entry.item.assigned_sculptor is None or not entry.item.assigned_sculptor.email:
            continue
        try:
            warned = _warn_one(entry.item.pk, entry.due_at, entry.business_hours_left)
        except Exception:  # noqa: BLE001 - recorded on its Notification; the next run (15 min) retries it
            continue
        sent += int(warned)
    return sent


def _warn_one(item_id: int, due_at, hours_left: float) -> bool:
    due_key = due_at.isoformat()
    item: Item = Item.objects.select_related("order", "assigned_sculptor").get(pk=item_id)
    sculptor = item.assigned_sculptor

    def compose() -> tuple[str, str]:
        context = {
            "item": item,
            "due_at": due_at,
            "hours_left": hours_left,
            "admin_url": public_url("admin:revisions_item_page", item.pk),
        }
        late = hours_left < 0
        return (
            f"{'Overdue' if late else 'Due soon'}: preview of {item}",
            render_to_string("emails/preview_due_warning.txt", context),
        )

    return notification_send(
        kind="preview_due_warning",
        key=f"{item.pk}:{due_key}",
        recipient=sculptor.email,
        compose=compose,
        on_sent=lambda: events.preview_due_warning_event(
            item=item, due=due_key, to=sculptor.email, business_hours_left=hours_left
        ),
    )
