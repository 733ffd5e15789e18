"""Design Guarantee claims: the customer reports a print that does not match the approved design, with
photos of what arrived; an operator reviews it before any free reprint is made.

States (`printing.models.GUARANTEE_CLAIM_TRANSITIONS`): ``submitted → approved | declined``.

- `guarantee_claim_create` (the customer, portal or API): a submitted claim with 1–5 photos; no reprint yet;
- `guarantee_claim_approve` (an operator): the free reprint of the same approved file
  (`reprints.reprint_create`: same SHA-256, zero charge), linked to the claim, in the same transaction;
- `guarantee_claim_decline` (an operator): with the reason the customer is told.

Each review is a transition (`studio.workflow.run_transition`: the claim row locked after its order and
item, the table checked, the event on the item's timeline) and e-mails the customer after the commit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from kits.photo import PhotoRejected, open_photo, reencode
from orders import events
from orders.lock_objects import lock_item, lock_item_row
from orders.models import Item, ItemStatus
from printing.models import ClaimPhoto, GuaranteeClaim, GuaranteeClaimStatus, PrintJobStatus
from printing.services.reprints import reprint_create
from studio.errors import ApplicationError, Conflict, NotFound, TransitionNotAllowed
from studio.workflow import FollowUp, run_transition

MAX_CLAIM_PHOTOS = 5
MAX_REASON = 2000
CLAIMABLE_ITEM_STATUSES = (ItemStatus.SHIPPED, ItemStatus.DELIVERED)
REPRINT_REASON_PREFIX = "Design Guarantee claim: "

#: After a review commits, the customer hears of it (approved: the reprint; declined: why).
CLAIM_FOLLOW_UPS: dict[str, list[FollowUp]] = {
    GuaranteeClaimStatus.APPROVED: [FollowUp("printing.tasks.send_claim_reviewed_email")],
    GuaranteeClaimStatus.DECLINED: [FollowUp("printing.tasks.send_claim_reviewed_email")],
}


def lock_claim(claim_id: int) -> GuaranteeClaim:
    """The claim's row, locked after its order and item (the studio's lock order)."""
    return lock_item_row(GuaranteeClaim, claim_id, "Design Guarantee claim")


def guarantee_claim_create(*, item_id: int, customer: Any, reason: str, photos: list[Any]) -> GuaranteeClaim:
    """The customer's Design Guarantee claim, with 1–5 photos of what arrived: submitted for review.

    The customer must own the item (404 otherwise); it must have shipped and have no other claim under
    review (409 otherwise). Photos go through the studio's photo intake (type sniffed, size limits,
    re-encoded without metadata). No reprint is made until an operator approves the claim.
    """
    item = Item.objects.select_related("order").filter(pk=item_id, order__customer=customer).first()
    if item is None:
        raise NotFound(f"Item {item_id} does not exist.")
    _check_claimable(item)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Tell us what does not match the design you approved (reason).")
    if len(reason) > MAX_REASON:
        raise ApplicationError(f"The reason is longer than {MAX_REASON} characters.")
    if not photos:
        raise ApplicationError("Add at least one photo of the figurine you received.")
    if len(photos) > MAX_CLAIM_PHOTOS:
        raise ApplicationError(f"Add at most {MAX_CLAIM_PHOTOS} photos.")
    stored = []
    for index, upload in enumerate(photos, start=1):
        try:
            photo = open_photo(upload, max_bytes=settings.MAX_PHOTO_UPLOAD_BYTES)
        except PhotoRejected as exc:
            raise ApplicationError(f"Photo {index}: {exc.message}", extra={"code": exc.code}) from None
        stored.append(reencode(photo, max_side=4000))
    with transaction.atomic():
        item = lock_item(item.pk)  # two claims sent at once: one is recorded
        _check_claimable(item)
        last = (
            item.print_jobs.filter(status__in=(PrintJobStatus.SHIPPED, PrintJobStatus.DELIVERED))
            .order_by("-shipped_at", "-pk")
            .first()
        )
        claim = GuaranteeClaim.objects.create(item=item, reason=reason, print_job=last)
        for index, photo in enumerate(stored, start=1):
            record = ClaimPhoto(claim=claim, sha256=photo.sha256, width=photo.width, height=photo.height)
            record.image.save(
                f"claim-{claim.pk}-{index}{photo.extension}", ContentFile(photo.data), save=False
            )
            record.width, record.height = photo.width, photo.height
            record.save()
        events.guarantee_claim_event(
            item=item, claim_id=claim.pk, print_job_id=last.pk if last else None, photos=len(stored)
        )
    return claim


def _check_claimable(item: Item) -> None:
    if item.status not in CLAIMABLE_ITEM_STATUSES:
        raise Conflict(
            "A Design Guarantee claim is for a figurine that has been shipped to you.",
            extra={"item_status": item.status},
        )
    open_claim = item.guarantee_claims.filter(status=GuaranteeClaimStatus.SUBMITTED).first()
    if open_claim is not None:
        raise Conflict(
            "We are already looking at your claim for this figurine; we will e-mail you as soon as we have.",
            extra={"claim_id": open_claim.pk},
        )


def _check_reviewable(claim_id: int, target: str) -> GuaranteeClaim:
    claim = GuaranteeClaim.objects.filter(pk=claim_id).first()
    if claim is None:
        raise NotFound(f"Design Guarantee claim {claim_id} does not exist.")
    if not claim.can_transition(target):
        raise TransitionNotAllowed(subject=claim.SUBJECT, current=claim.status, target=target)
    return claim


def guarantee_claim_approve(*, claim_id: int, user: Any = None, actor: str = "staff") -> GuaranteeClaim:
    """An operator approves a submitted claim: a free reprint of the same approved file (same SHA-256,
    zero charge, replacing the print the claim is about) is made and linked to the claim, the item goes
    back to production, the customer is e-mailed. 409 when the claim was reviewed already or the item
    cannot be reprinted (e.g. a reprint is already on its way); nothing changes then."""
    _check_reviewable(claim_id, GuaranteeClaimStatus.APPROVED)  # refused before anything is made
    with transaction.atomic():
        claim = lock_claim(claim_id)
        if not claim.can_transition(GuaranteeClaimStatus.APPROVED):
            raise TransitionNotAllowed(
                subject=claim.SUBJECT, current=claim.status, target=GuaranteeClaimStatus.APPROVED
            )
        reprint = reprint_create(
            item_id=claim.item_id,
            reason=f"{REPRINT_REASON_PREFIX}{claim.reason}"[:MAX_REASON],
            user=user,
            actor=actor,
            reprint_of_id=claim.print_job_id,
        )
        result = _review(
            claim_id,
            GuaranteeClaimStatus.APPROVED,
            user=user,
            actor=actor,
            update={"reprint": reprint},
            parameters={"print_job_id": reprint.pk},
        )
    return result


def guarantee_claim_decline(
    *, claim_id: int, reason: str, user: Any = None, actor: str = "staff"
) -> GuaranteeClaim:
    """An operator declines a submitted claim with `reason` (the customer reads it on the order page and
    in the e-mail). 400 without a reason; 409 when the claim was reviewed already."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the claim is declined (reason): the customer reads it.")
    if len(reason) > MAX_REASON:
        raise ApplicationError(f"The reason is longer than {MAX_REASON} characters.")
    _check_reviewable(claim_id, GuaranteeClaimStatus.DECLINED)
    return _review(
        claim_id,
        GuaranteeClaimStatus.DECLINED,
        user=user,
        actor=actor,
        update={"decline_reason": reason},
        parameters={"reason": reason},
    )


def _review(
    claim_id: int, to: str, *, user: Any, actor: str, update: dict[str, Any], parameters: dict[str, Any]
) -> GuaranteeClaim:
    result = run_transition(
        lock=lambda: lock_claim(claim_id),
        target=to,
        write_event=events.guarantee_claim_status_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=CLAIM_FOLLOW_UPS,
        update={
            **update,
            "reviewed_at": timezone.now(),
            "reviewed_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return result.obj
