"""Revision services: the only code that changes a revision's state, and the rounds around it.

``revision_transition`` is the guarded state change; on top of it: a sculptor's upload (streamed),
the check task's verdict, publishing a round, the customer's feedback with pins, and the approval that
locks the exact file by its SHA-256.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from orders import events
from orders.lock_objects import lock_item
from orders.models import Customer, Item, ItemStatus
from orders.services import item_transition
from revisions.lock_objects import lock_revision
from revisions.models import (
    REVISION_LOCKED_FIELDS,
    Approval,
    CheckJob,
    Feedback,
    FeedbackKind,
    Pin,
    Revision,
    RevisionSource,
    RevisionStatus,
)
from revisions.storage import ALLOWED_EXTENSIONS, round_mesh_name
from revisions.upload_checks import refuse_unusable_mesh
from studio.errors import ApplicationError, Conflict, NotFound, TransitionNotAllowed
from studio.storage import UploadTooLarge, save_streaming, stored_file_check
from studio.tasks import enqueue_on_commit
from studio.workflow import FollowUp, TransitionResult, run_transition

REVISION_FOLLOW_UPS: dict[str, list[FollowUp]] = {
    RevisionStatus.CHECKING: [FollowUp("revisions.tasks.check_revision")],
    RevisionStatus.REJECTED: [FollowUp("revisions.tasks.notify_sculptor_of_rejection")],
}


def revision_transition(
    *,
    revision_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
    guard=None,
) -> TransitionResult:
    """Move a revision to `to` (locks, checks the table, writes the event, enqueues after commit).

    An ``update`` that writes a round's file or what is derived from it (``REVISION_LOCKED_FIELDS``) is
    refused with 409 once the round is final (``Revision.file_locked``).
    """
    locked_fields = sorted(set(update or ()) & set(REVISION_LOCKED_FIELDS))

    def checked(revision: Revision) -> None:
        if locked_fields and revision.file_locked:
            raise Conflict(
                f"Round {revision.number} is {revision.get_status_display().lower()}: its file and what was "
                f"derived from it ({', '.join(locked_fields)}) no longer change; upload a new round instead.",
                extra={"revision_status": revision.status, "fields": locked_fields},
            )
        if guard is not None:
            guard(revision)

    return run_transition(
        lock=lambda: lock_revision(revision_id),
        target=to,
        guard=checked,
        update=update,
        write_event=events.status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=REVISION_FOLLOW_UPS,
    )


# ================================================================================================ rounds
#: Items a sculptor may upload a round for.
UPLOADABLE_ITEM_STATES = (ItemStatus.SCULPTING, ItemStatus.IN_REVIEW, ItemStatus.CHANGES_REQUESTED)
#: Older rounds a newly published round replaces (never an approved one).
SUPERSEDABLE_STATES = (
    RevisionStatus.UPLOADED,
    RevisionStatus.READY,
    RevisionStatus.PUBLISHED,
    RevisionStatus.CHANGES_REQUESTED,
)
MAX_COMMENT_CHARS = 5000
MAX_PINS = 50
MAX_PIN_TEXT_CHARS = 1000
MAX_COORDINATE = 1e6


def _staff_actor(user: Any, fallback: str = "sculptor") -> str:
    return events.actor_label(user, fallback)


def _check_item_accepts_rounds(item: Item) -> None:
    if item.status not in UPLOADABLE_ITEM_STATES:
        raise Conflict(
            f"Figurine {item.pk} is {item.get_status_display().lower()}: a new round can be uploaded only while "
            "it is in sculpting, in review or has changes requested.",
            extra={"item_status": item.status},
        )


def revision_upload(
    *, item_id: int, file: Any, user: Any = None, note: str = "", filename: str = ""
) -> Revision:
    """A sculptor's refined mesh becomes the item's next round, in ``checking``.

    Before anything is stored, :func:`revisions.upload_checks.refuse_unusable_mesh` refuses (400) what
    is no mesh or could never pass (zip bombs, XML entities, external glTF URIs, bad coordinates...).
    The file is then streamed into storage in chunks and hashed on the way; the check task does the
    rest. Refused (409, nothing stored) unless the item is in sculpting, in review or changes
    requested; 400 for a missing, empty, oversized or wrongly named file.
    """
    name = Path(filename or getattr(file, "name", "") or "").name
    if file is None or not name:
        raise ApplicationError("Attach the mesh file (GLB, OBJ, STL, PLY or 3MF).", extra={"field": "mesh"})
    extension = Path(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ApplicationError(
            f"{name}: upload a GLB, OBJ, STL, PLY or 3MF file.",
            extra={"field": "mesh", "extension": extension},
        )
    limit = settings.MAX_MESH_UPLOAD_BYTES
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise ApplicationError(
            f"{name} is {declared} bytes; the limit is {limit} bytes.", extra={"field": "mesh"}
        )
    if declared == 0:
        raise ApplicationError(f"{name} is empty.", extra={"field": "mesh"})
    if len(note) > MAX_COMMENT_CHARS:
        raise ApplicationError(
            f"The note is longer than {MAX_COMMENT_CHARS} characters.", extra={"field": "note"}
        )
    item = Item.objects.select_related("order").filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"Item {item_id} does not exist.")
    _check_item_accepts_rounds(item)
    refuse_unusable_mesh(file, name, declared, max_bytes=limit)  # 400 before anything is stored

    number = _next_round_number(item)
    storage_name = round_mesh_name(
        order_number=item.order.number, item_id=item.pk, number=number, filename=name
    )
    try:
        stored, sha256, size = save_streaming(storage_name, file, max_bytes=limit)
    except UploadTooLarge as exc:
        raise ApplicationError(f"{name}: {exc}.", extra={"field": "mesh"}) from None
    if size == 0:
        default_storage.delete(stored)
        raise ApplicationError(f"{name} is empty.", extra={"field": "mesh"})
    try:
        with transaction.atomic():
            item = lock_item(item_id)
            _check_item_accepts_rounds(item)
            if _next_round_number(item) != number:  # another upload took the number meanwhile
                number = _next_round_number(item)
                stored = _move_stored(
                    stored,
                    round_mesh_name(
                        order_number=item.order.number, item_id=item.pk, number=number, filename=name
                    ),
                )
            revision = Revision(
                item=item,
                number=number,
                source=RevisionSource.SCULPTOR,
                original_filename=name[:255],
                sha256=sha256,
                size_bytes=size,
                note=note,
                uploaded_by=user if getattr(user, "pk", None) else None,
            )
            revision.mesh.name = stored
            revision.save()
            revision_transition(
                revision_id=revision.pk,
                to=RevisionStatus.CHECKING,
                user=user,
                actor=_staff_actor(user),
                parameters={"sha256": sha256, "bytes": size, "filename": name[:255]},
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    revision.refresh_from_db()
    return revision


def _next_round_number(item: Item) -> int:
    last = item.revisions.aggregate(last=Max("number"))["last"]
    return (last + 1) if last is not None else 1


def _move_stored(stored: str, name: str) -> str:
    """Store a file again under ``name`` (its round's folder) and remove the first copy."""
    with default_storage.open(stored, "rb") as handle:
        moved = default_storage.save(name, File(handle, name=Path(name).name))
    default_storage.delete(stored)
    return moved


def revision_recheck(*, revision_id: int, user: Any = None) -> CheckJob:
    """Queue the checks of a revision in ``checking`` again (e.g. after a worker gave up)."""
    with transaction.atomic():
        revision = lock_revision(revision_id)
        if revision.status != RevisionStatus.CHECKING:
            raise Conflict(f"Round {revision.number} is {revision.status}, not checking.")
        job = CheckJob.objects.create(revision=revision)
        enqueue_on_commit("revisions.tasks.check_revision", revision.pk)
    return job


def revision_checks_finished(
    *, revision_id: int, ok: bool, fields: dict[str, Any], blocking: list[dict[str, Any]] | None = None
) -> Revision:
    """The check task's verdict: ``ready`` (with its files and reports) or ``rejected`` with the blocking issues."""
    target = RevisionStatus.READY if ok else RevisionStatus.REJECTED
    parameters: dict[str, Any] = {"triangles": fields.get("triangles")}
    if blocking:
        parameters["blocking"] = [{"code": i.get("code"), "message": i.get("message")} for i in blocking][:10]
    result = revision_transition(
        revision_id=revision_id, to=target, actor="checks", parameters=parameters, update=fields
    )
    return result.obj


def revision_publish(*, revision_id: int, user: Any = None, note: str | None = None) -> Revision:
    """Show a ready round to the customer: published, the item in review, older unapproved rounds
    superseded, and the customer e-mailed (after commit)."""
    with transaction.atomic():
        revision = lock_revision(revision_id)
        item = revision.item
        if revision.status != RevisionStatus.READY:
            raise TransitionNotAllowed(
                subject="revision",
                current=revision.status,
                target=RevisionStatus.PUBLISHED,
                message=f"Round {revision.number} is {revision.get_status_display().lower()}; only a ready round "
                "(checks passed) can be published.",
            )
        if item.status not in (ItemStatus.SCULPTING, ItemStatus.CHANGES_REQUESTED, ItemStatus.IN_REVIEW):
            raise Conflict(
                f"Figurine {item.pk} is {item.get_status_display().lower()}; a preview cannot be published now.",
                extra={"item_status": item.status},
            )
        update: dict[str, Any] = {"published_at": timezone.now()}
        if note is not None:
            update["note"] = note[:MAX_COMMENT_CHARS]
        actor = _staff_actor(user)
        for older in item.revisions.filter(number__lt=revision.number, status__in=SUPERSEDABLE_STATES):
            revision_transition(
                revision_id=older.pk,
                to=RevisionStatus.SUPERSEDED,
                user=user,
                actor=actor,
                parameters={"by_round": revision.number},
            )
        revision_transition(
            revision_id=revision.pk, to=RevisionStatus.PUBLISHED, user=user, actor=actor, update=update
        )
        if item.status != ItemStatus.IN_REVIEW:
            item_transition(
                item_id=item.pk,
                to=ItemStatus.IN_REVIEW,
                user=user,
                actor=actor,
                parameters={"round": revision.number},
            )
        enqueue_on_commit("revisions.tasks.send_revision_published_email", revision.pk)
    revision.refresh_from_db()
    return revision


# ================================================================================================ customer
@dataclass(frozen=True)
class PinInput:
    """One validated pin: a surface point in the mesh's own millimetres (Z up) and its comment."""

    position: tuple[float, float, float]
    text: str
    normal: tuple[float, float, float] | None = None


def _finite_triple(value: Any, what: str) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ApplicationError(f"{what} must be a list of three numbers [x, y, z].", extra={"field": "pins"})
    out = []
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ApplicationError(f"{what} must hold numbers only.", extra={"field": "pins"})
        number = float(number)
        if not math.isfinite(number) or abs(number) > MAX_COORDINATE:
            raise ApplicationError(
                f"{what} holds a number that is not finite or is out of range.", extra={"field": "pins"}
            )
        out.append(number)
    return out[0], out[1], out[2]


def validate_pins(raw: Any) -> list[PinInput]:
    """Pins from request data: a list of ``{position: [x, y, z], text, normal?}`` (400 on anything else)."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ApplicationError("pins must be a list of {position: [x, y, z], text}.", extra={"field": "pins"})
    if len(raw) > MAX_PINS:
        raise ApplicationError(f"At most {MAX_PINS} pins per request.", extra={"field": "pins"})
    pins = []
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise ApplicationError(
                f"Pin {index} must be an object with position and text.", extra={"field": "pins"}
            )
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApplicationError(f"Pin {index} needs a comment (text).", extra={"field": "pins"})
        if len(text) > MAX_PIN_TEXT_CHARS:
            raise ApplicationError(
                f"Pin {index}'s comment is longer than {MAX_PIN_TEXT_CHARS} characters.",
                extra={"field": "pins"},
            )
        position = _finite_triple(entry.get("position"), f"Pin {index}'s position")
        normal = None
        if entry.get("normal") is not None:
            normal = _finite_triple(entry.get("normal"), f"Pin {index}'s normal")
        pins.append(PinInput(position=position, text=text.strip(), normal=normal))
    return pins


def _customer_revision(
    revision_id: int, customer: Customer | None, order_scope: int | None = None
) -> Revision:
    """The revision as its customer may see it (published, their order), else 404 without a hint."""
    revision = Revision.objects.select_related("item__order").filter(pk=revision_id).first()
    if (
        revision is None
        or customer is None
        or revision.item.order.customer_id != customer.pk
        or (order_scope is not None and revision.item.order_id != order_scope)
        or revision.published_at is None
    ):
        raise NotFound(f"No design preview {revision_id} here.")
    return revision


def revision_request_changes(
    *,
    revision_id: int,
    customer: Customer | None,
    comment: str = "",
    pins: Any = None,
    order_scope: int | None = None,
) -> Feedback:
    """The customer asks for changes on a published round: Feedback with its pins; the round and the
    item move to ``changes_requested``. 404 for someone else's round, 409 when the round is not open."""
    if not isinstance(comment, str):
        raise ApplicationError("comment must be text.", extra={"field": "comment"})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ApplicationError(
            f"The message is longer than {MAX_COMMENT_CHARS} characters.", extra={"field": "comment"}
        )
    pin_inputs = validate_pins(pins)
    if not comment and not pin_inputs:
        raise ApplicationError("Tell us what to change: write a message or pin comments on the model.")
    _customer_revision(revision_id, customer, order_scope)
    actor = f"customer:{customer.email}"
    with transaction.atomic():
        revision = lock_revision(revision_id)
        if revision.status != RevisionStatus.PUBLISHED:
            raise TransitionNotAllowed(
                subject="revision",
                current=revision.status,
                target=RevisionStatus.CHANGES_REQUESTED,
                message=f"Round {revision.number} is {revision.get_status_display().lower()}; changes can be "
                "requested only on the round currently in review.",
            )
        feedback = Feedback.objects.create(
            revision=revision, kind=FeedbackKind.CHANGES_REQUESTED, comment=comment
        )
        Pin.objects.bulk_create(
            [
                Pin(
                    feedback=feedback,
                    x=p.position[0],
                    y=p.position[1],
                    z=p.position[2],
                    normal=p.normal,
                    text=p.text,
                )
                for p in pin_inputs
            ]
        )
        revision_transition(
            revision_id=revision.pk,
            to=RevisionStatus.CHANGES_REQUESTED,
            actor=actor,
            parameters={"feedback_id": feedback.pk, "pins": len(pin_inputs)},
        )
        item_transition(
            item_id=revision.item_id,
            to=ItemStatus.CHANGES_REQUESTED,
            actor=actor,
            parameters={"round": revision.number, "feedback_id": feedback.pk},
        )
        enqueue_on_commit("revisions.tasks.notify_sculptor_of_feedback", feedback.pk)
    return feedback


def revision_approve(
    *,
    revision_id: int,
    customer: Customer | None,
    confirm: Any,
    ip_address: str | None = None,
    user_agent: str = "",
    origin: str = "portal",
    order_scope: int | None = None,
) -> Approval:
    """The customer approves a published round: the exact file is locked by its SHA-256.

    The full-resolution file is hashed again from storage and must match the SHA-256 recorded at upload.
    Needs ``confirm is True``. 404 for someone else's (or an unpublished) round; 409 for a round that is
    not the one in review (approved already, superseded, changes requested). Two racing approvals
    record one (row locks, and Approval is one per item and per revision).
    """
    if confirm is not True:
        raise ApplicationError(
            'Approval needs an explicit confirmation ({"confirm": true}).', extra={"field": "confirm"}
        )
    revision = _customer_revision(revision_id, customer, order_scope)
    _check_approvable(revision)
    # hashed outside the locks (it may take a second), compared with the locked record inside them
    stored = stored_file_check(revision.mesh, sha256=revision.sha256)
    sha256 = stored.found
    actor = f"customer:{customer.email}"
    try:
        with transaction.atomic():
            revision = lock_revision(revision_id)
            _check_approvable(revision)
            if not stored.matches(revision.sha256):
                raise Conflict(
                    "The stored design file does not match the one that was checked; the studio has been told.",
                    extra={"expected_sha256": revision.sha256},
                )
            now = timezone.now()
            approval = Approval.objects.create(
                item=revision.item,
                revision=revision,
                sha256=sha256,
                approved_at=now,
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:400],
                origin=origin[:40],
            )
            revision_transition(
                revision_id=revision.pk,
                to=RevisionStatus.APPROVED,
                actor=actor,
                parameters={"sha256": sha256, "origin": origin},
            )
            item_transition(
                item_id=revision.item_id,
                to=ItemStatus.APPROVED,
                actor=actor,
                parameters={"round": revision.number, "sha256": sha256},
                update={"approved_at": now},
            )
            enqueue_on_commit("revisions.tasks.send_revision_approved_email", revision.pk)
    except IntegrityError:
        raise Conflict("This figurine's design is already approved.") from None
    return approval


def _check_approvable(revision: Revision) -> None:
    if revision.status != RevisionStatus.PUBLISHED:
        raise TransitionNotAllowed(
            subject="revision",
            current=revision.status,
            target=RevisionStatus.APPROVED,
            message=f"Round {revision.number} is {revision.get_status_display().lower()}; only the round in "
            "review can be approved.",
        )
    if Approval.objects.filter(item_id=revision.item_id).exists():
        raise Conflict("This figurine's design is already approved.")
