"""Photo intake for a figurine: checked, re-encoded without metadata, stored once, and its item moved on.

The pure work (type sniffing, bomb refusal, EXIF orientation, re-encoding, quality report) is
``kits.photo``; this module adds the rules: which items take photos, how many, duplicates,
and ``item_mark_ready_if_possible``.
"""

from __future__ import annotations

import logging
import uuid
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kits.photo import KIND_LABELS, PhotoRejected, assess_photo, open_photo, reencode
from kits.photo.perception import subject_for_product_line
from orders import events
from orders.lock_objects import lock_item
from orders.models import Item, ItemStatus, OrderStatus, Photo, PhotoKind, ProductLineCode
from orders.photo_limits import photo_refusal, refuse_oversized_photo
from orders.promises import preview_due_after
from orders.services.transitions import item_transition
from studio.errors import ApplicationError, Conflict, NotFound
from studio.storage import storage_errors

logger = logging.getLogger(__name__)

#: Photos a figurine takes per person (usable ones) and uploads per person in all (retakes included).
MAX_USABLE_PHOTOS_PER_PERSON = 5
MAX_UPLOADS_PER_PERSON = 12
#: Longest side of the stored copy; more adds nothing to reconstruction.
STORED_MAX_SIDE = 4096


def _person_label(item: Item, person_index: int) -> str:
    return f" of person {person_index + 1}" if item.persons > 1 else ""


def photo_upload(
    *,
    item_id: int,
    upload: IO[bytes],
    kind: str,
    person_index: int = 0,
    filename: str = "",
    order_id: int | None = None,
    user: Any = None,
    actor: str = "customer",
) -> Photo:
    """Take one photo of an item: refuse bad input (400, nothing stored), store a clean copy, report quality.

    Duplicates (the same picture uploaded twice for the item, with or without its metadata) and uploads
    to items past photo intake are refused with 409. After storing, the item moves to ``ready_for_design``
    when it is paid and has a usable front photo for each person.
    """
    if kind not in PhotoKind.values:
        raise ApplicationError(
            f"Photo kind must be one of {', '.join(PhotoKind.values)}, not '{kind}'.", extra={"field": "kind"}
        )
    item = Item.objects.filter(pk=item_id).select_related("order").first()
    if item is None or (order_id is not None and item.order_id != order_id):
        raise NotFound("No such figurine on this order.")
    _check_open(item)
    if not 0 <= person_index < item.persons:
        raise ApplicationError(
            f"This figurine has {item.persons} person(s); person_index must be 0–{item.persons - 1}.",
            extra={"field": "person_index"},
        )

    # 1. Everything that reads the upload happens before anything is written.
    refuse_oversized_photo(getattr(upload, "size", None))
    try:
        photo = open_photo(upload, max_bytes=settings.MAX_PHOTO_UPLOAD_BYTES)
    except PhotoRejected as exc:
        raise photo_refusal(exc) from exc
    # The same file again (a retry, a double click) is answered before the check spends a second of CPU
    # on it; the same picture re-encoded is found below, under the lock, once its clean copy is hashed.
    again = Photo.objects.filter(item=item, original_sha256=photo.sha256).first()
    if again is not None:
        raise _duplicate(item, again)
    report = assess_photo(
        photo,
        kind=kind,
        expected_subjects=1,
        subject_type=subject_for_product_line(item.product_line),
        bust=item.product_line == ProductLineCode.BUST,
    )
    stored = reencode(photo, max_side=STORED_MAX_SIDE)
    report.update(format=photo.format, metadata_removed=photo.had_metadata)

    saved_name: str | None = None
    try:
        with transaction.atomic():
            item = lock_item(item_id)
            _check_open(item)
            duplicate = _same_photo(item, stored.sha256, photo.sha256).first()
            if duplicate is not None:
                raise _duplicate(item, duplicate)
            mine = Photo.objects.filter(item=item, person_index=person_index)
            if mine.count() >= MAX_UPLOADS_PER_PERSON:
                raise Conflict(
                    f"{MAX_UPLOADS_PER_PERSON} photos were already uploaded{_person_label(item, person_index)}; "
                    "delete some before uploading more.",
                    extra={"limit": MAX_UPLOADS_PER_PERSON},
                )
            if report["acceptable"] and mine.filter(is_usable=True).count() >= MAX_USABLE_PHOTOS_PER_PERSON:
                raise Conflict(
                    f"A figurine takes at most {MAX_USABLE_PHOTOS_PER_PERSON} photos per person; delete one "
                    "before adding another.",
                    extra={"limit": MAX_USABLE_PHOTOS_PER_PERSON},
                )
            record = Photo(
                item=item,
                kind=kind,
                person_index=person_index,
                sha256=stored.sha256,
                original_sha256=photo.sha256,
                original_filename=(filename or "")[:255],
                report=report,
                is_usable=bool(report["acceptable"]),
            )
            with storage_errors():  # a storage that does not answer: 503, nothing stored, no row
                record.image.save(
                    f"{uuid.uuid4().hex}{stored.extension}", ContentFile(stored.data), save=False
                )
            saved_name = record.image.name
            record.width, record.height = stored.width, stored.height
            try:
                with transaction.atomic():
                    record.save()
            except IntegrityError as exc:
                if not _same_photo(item, stored.sha256, photo.sha256).exists():
                    raise
                raise _duplicate(item, None) from exc  # the same file raced in through another request
            events.photo_uploaded_event(
                item=item,
                photo_id=record.pk,
                kind=kind,
                person_index=person_index,
                usable=record.is_usable,
                issues=[issue["code"] for issue in report["issues"]],
                user=user,
                actor=actor,
            )
            item_mark_ready_if_possible(item_id=item.pk, user=user, actor=actor)
    except BaseException:
        if saved_name:
            _delete_file(saved_name)
        raise
    return record


def _same_photo(item: Item, stored_sha256: str, original_sha256: str):
    """The item's photos that are this one: judged on the stored (cleaned: metadata dropped, orientation
    applied, re-encoded) bytes, so the same picture with and without its EXIF is one photo; the original
    bytes too (the same file always is)."""
    return Photo.objects.filter(item=item).filter(
        Q(sha256=stored_sha256) | Q(original_sha256=original_sha256)
    )


def _check_open(item: Item) -> None:
    if not item.takes_photos:
        raise Conflict(
            f"This figurine is {item.get_status_display().lower()}; photos can no longer be changed.",
            extra={"status": item.status},
        )
    _check_order_open(item)


def _check_order_open(item: Item) -> None:
    if item.order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        raise Conflict(
            f"Order {item.order.number} is {item.order.status}.", extra={"status": item.order.status}
        )


def _duplicate(item: Item, existing: Photo | None) -> Conflict:
    where = ""
    if existing is not None:
        where = f" (as the {KIND_LABELS.get(existing.kind, existing.kind).lower()}{_person_label(item, existing.person_index)})"
    return Conflict(
        f"You already uploaded this photo for this figurine{where}.",
        extra={"code": "duplicate_photo", "photo_id": existing.pk if existing else None},
    )


def _delete_file(name: str) -> None:
    from django.core.files.storage import default_storage

    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001 - cleanup must not hide the original error
        logger.exception("could not remove %s after a refused upload", name)


def photo_delete(*, photo_id: int, item_id: int, user: Any = None, actor: str = "customer") -> None:
    """Remove a photo (its file too, after commit) by the rule of ``Photo.removal_refusal``: at the photo
    stage, and once paid only a photo the check rejected; 409 with the reason otherwise."""
    with transaction.atomic():
        item = lock_item(item_id)
        photo = Photo.objects.filter(pk=photo_id, item=item).first()
        if photo is None:
            raise NotFound("No such photo on this figurine.")
        photo.item = item  # the locked row: the rule reads its state
        refusal = photo.removal_refusal()
        if refusal:
            raise Conflict(
                refusal,
                extra={"code": "photo_kept", "status": item.status, "usable": photo.is_usable},
            )
        _check_order_open(item)
        name = photo.image.name
        photo.delete()
        events.photo_deleted_event(
            item=item,
            photo_id=photo_id,
            kind=photo.kind,
            person_index=photo.person_index,
            user=user,
            actor=actor,
        )
        transaction.on_commit(lambda: _delete_file(name))


def item_has_usable_front_photos(item: Item) -> bool:
    """A usable front photo for every person of the figurine."""
    persons = set(
        Photo.objects.filter(item=item, kind=PhotoKind.FRONT, is_usable=True).values_list(
            "person_index", flat=True
        )
    )
    return all(p in persons for p in range(item.persons))


def item_mark_ready_if_possible(*, item_id: int, user: Any = None, actor: str = "system") -> bool:
    """Move a paid item with usable front photos to ``ready_for_design`` and set its preview due time.

    Called after a payment and after each photo upload; does nothing (False) when not yet possible.
    The due time is ``PREVIEW_DUE_BUSINESS_HOURS`` working hours of the studio ahead.
    """
    with transaction.atomic():
        item = lock_item(item_id)
        order = item.order
        if item.status != ItemStatus.AWAITING_PHOTOS:
            return False
        if order.paid_at is None or order.status in (
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.CANCELLED,
            OrderStatus.REFUNDED,
        ):
            return False
        if not item_has_usable_front_photos(item):
            return False
        now = timezone.now()
        due = preview_due_after(now)
        item_transition(
            item_id=item.pk,
            to=ItemStatus.READY_FOR_DESIGN,
            user=user,
            actor=actor,
            parameters={"reason": "paid_and_front_photo"},
            update={"ready_for_design_at": now, "preview_due_at": due},
        )
    return True
