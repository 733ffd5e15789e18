"""Read-only queries for revision rounds: what the sculptor, the operator and the customer see.

Nothing here writes. Times left are counted in the studio's business hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from orders.models import Item, ItemStatus
from orders.promises import preview_due_after
from orders.roles import SCULPTORS_GROUP
from revisions.models import Approval, Feedback, FeedbackKind, Pin, Revision, RevisionStatus
from studio.business_time import business_hours_between
from studio.http import absolute_url

#: Items waiting on the studio for a (new) preview.
AWAITING_PREVIEW_STATES = (
    ItemStatus.READY_FOR_DESIGN,
    ItemStatus.RECONSTRUCTING,
    ItemStatus.SCULPTING,
    ItemStatus.CHANGES_REQUESTED,
)
#: Rounds whose mesh passed its checks (a comparison baseline).
CHECKED_STATES = (
    RevisionStatus.READY,
    RevisionStatus.PUBLISHED,
    RevisionStatus.APPROVED,
    RevisionStatus.CHANGES_REQUESTED,
    RevisionStatus.SUPERSEDED,
)


def _business(a: datetime, b: datetime) -> float:
    return business_hours_between(a, b, tz=settings.STUDIO_TIME_ZONE, country=settings.STUDIO_COUNTRY)


def previous_comparable_revision(revision: Revision) -> Revision | None:
    """The latest earlier round of the same item that passed its checks (rejected ones never count)."""
    return (
        Revision.objects.filter(
            item_id=revision.item_id, number__lt=revision.number, status__in=CHECKED_STATES
        )
        .exclude(mesh="")
        .order_by("-number")
        .first()
    )


def latest_feedback(item: Item) -> Feedback | None:
    """The customer's last request for changes on the item, with its pins."""
    return (
        Feedback.objects.filter(revision__item=item, kind=FeedbackKind.CHANGES_REQUESTED)
        .select_related("revision")
        .prefetch_related("pins")
        .order_by("-created_at", "-id")
        .first()
    )


def preview_due_at(item: Item) -> datetime | None:
    """When the studio owes the customer its next preview.

    The first preview is due at the item's ``preview_due_at`` (48 business hours after it was ready for
    design); after a request for changes, the next round is due the same number of business hours after
    that request.
    """
    if item.status == ItemStatus.CHANGES_REQUESTED:
        feedback = latest_feedback(item)
        return _next_preview_due(item, feedback.created_at if feedback else None)
    return item.preview_due_at


def _next_preview_due(item: Item, changes_requested_at: datetime | None) -> datetime | None:
    if item.status == ItemStatus.CHANGES_REQUESTED and changes_requested_at is not None:
        return preview_due_after(changes_requested_at)
    return item.preview_due_at


def preview_due_by_item(items) -> dict[int, datetime | None]:
    """:func:`preview_due_at` of each item, for the customer's order page (one query)."""
    items = list(items)
    waiting = [item.pk for item in items if item.status == ItemStatus.CHANGES_REQUESTED]
    requested: dict[int, datetime] = {}
    if waiting:
        rows = (
            Feedback.objects.filter(revision__item_id__in=waiting, kind=FeedbackKind.CHANGES_REQUESTED)
            .values("revision__item_id")
            .annotate(last=Max("created_at"))
        )
        requested = {row["revision__item_id"]: row["last"] for row in rows}
    return {item.pk: _next_preview_due(item, requested.get(item.pk)) for item in items}


@dataclass
class QueueEntry:
    """One line of the sculptor's work queue."""

    item: Item
    due_at: datetime | None
    business_hours_left: float | None
    latest_revision: Revision | None

    @property
    def overdue(self) -> bool:
        return self.business_hours_left is not None and self.business_hours_left < 0


def items_awaiting_preview(*, sculptor: Any = None) -> QuerySet[Item]:
    """Items the studio owes a preview, optionally only those assigned to ``sculptor``."""
    qs = (
        Item.objects.filter(status__in=AWAITING_PREVIEW_STATES)
        .select_related("order", "order__customer", "assigned_sculptor")
        .prefetch_related(Prefetch("revisions", queryset=Revision.objects.order_by("-number")))
    )
    if sculptor is not None:
        qs = qs.filter(assigned_sculptor=sculptor)
    return qs


def work_queue(
    *, sculptor: Any = None, now: datetime | None = None, overdue_only: bool = False
) -> list[QueueEntry]:
    """The sculptors' queue ordered by due time: overdue first, then the soonest due; undated last."""
    now = now or timezone.now()
    entries = []
    for item in items_awaiting_preview(sculptor=sculptor):
        due = preview_due_at(item)
        left = round(_business(now, due), 1) if due is not None else None
        revisions = list(item.revisions.all())
        entries.append(
            QueueEntry(
                item=item,
                due_at=due,
                business_hours_left=left,
                latest_revision=revisions[0] if revisions else None,
            )
        )
    if overdue_only:
        entries = [e for e in entries if e.overdue]
    far = timezone.now() + timedelta(days=3650)
    entries.sort(key=lambda e: (not e.overdue, e.due_at or far, e.item.pk))
    return entries


def overdue_items(*, now: datetime | None = None) -> list[QueueEntry]:
    """Items whose preview is late (for operators)."""
    return work_queue(now=now, overdue_only=True)


def item_round_metrics(item: Item) -> dict[str, Any]:
    """Rounds and time per round of an item: upload -> ready (checks), upload -> published (studio),
    published -> the customer's answer (customer). Hours are wall-clock and business hours."""
    rounds = []
    feedback_by_revision: dict[int, datetime] = {}
    for fb in Feedback.objects.filter(revision__item=item).order_by("created_at"):
        feedback_by_revision.setdefault(fb.revision_id, fb.created_at)
    approval = Approval.objects.filter(item=item).first()
    for rev in item.revisions.order_by("number"):
        answered = feedback_by_revision.get(rev.pk)
        if approval is not None and approval.revision_id == rev.pk:
            answered = approval.approved_at
        entry: dict[str, Any] = {
            "number": rev.number,
            "status": rev.status,
            "source": rev.source,
            "uploaded_at": rev.created_at,
            "published_at": rev.published_at,
            "answered_at": answered,
            "studio_hours": None,
            "studio_business_hours": None,
            "customer_hours": None,
        }
        if rev.published_at:
            entry["studio_hours"] = round((rev.published_at - rev.created_at).total_seconds() / 3600, 2)
            entry["studio_business_hours"] = round(_business(rev.created_at, rev.published_at), 2)
            if answered:
                entry["customer_hours"] = round((answered - rev.published_at).total_seconds() / 3600, 2)
        rounds.append(entry)
    published = [r for r in rounds if r["published_at"]]
    studio = [r["studio_hours"] for r in published if r["studio_hours"] is not None]
    return {
        "rounds": len([r for r in rounds if r["number"] > 0]),
        "published_rounds": len(published),
        "rejected_rounds": len([r for r in rounds if r["status"] == RevisionStatus.REJECTED]),
        "mean_studio_hours_per_round": round(sum(studio) / len(studio), 2) if studio else None,
        "total_hours_to_approval": (
            round((item.approved_at - item.ready_for_design_at).total_seconds() / 3600, 2)
            if item.approved_at and item.ready_for_design_at
            else None
        ),
        "per_round": rounds,
    }


def pins_of_revision(revision: Revision) -> list[Pin]:
    """Every pin the customer placed on a round (all its feedback)."""
    return list(Pin.objects.filter(feedback__revision=revision).order_by("feedback__created_at", "id"))


def customer_revisions(item: Item) -> QuerySet[Revision]:
    """The rounds the customer has been shown (published at some point), oldest first."""
    return Revision.objects.filter(item=item, published_at__isnull=False).order_by("number")


def published_rounds_by_item(item_ids, request=None) -> dict[int, list[dict[str, Any]]]:
    """The rounds shown to the customer, per item id, for the customer's order page (one query)."""
    rounds: dict[int, list[dict[str, Any]]] = {item_id: [] for item_id in item_ids}
    published = Revision.objects.filter(item_id__in=list(rounds), published_at__isnull=False).order_by(
        "item_id", "number"
    )
    for rev in published:
        rounds[rev.item_id].append(
            {
                "id": rev.pk,
                "number": rev.number,
                "status": rev.status,
                "published_at": rev.published_at,
                "preview_url": absolute_url(
                    request, reverse("revision-file", args=[rev.pk, "preview.glb"]) if rev.web_glb else None
                ),
                "portal_url": reverse("portal-revision", args=[rev.pk]),
                "note": rev.note,
            }
        )
    return rounds


def previous_published_revision(revision: Revision) -> Revision | None:
    """The customer's previous round (the one before this in the portal)."""
    return (
        Revision.objects.filter(
            item_id=revision.item_id, number__lt=revision.number, published_at__isnull=False
        )
        .filter(~Q(web_glb=""))
        .order_by("-number")
        .first()
    )


def latest_workable_revision(item: Item) -> Revision | None:
    """The round a sculptor should start from: the newest that passed its checks, else the newest."""
    return (
        Revision.objects.filter(item=item, status__in=(*CHECKED_STATES,)).order_by("-number").first()
        or Revision.objects.filter(item=item).order_by("-number").first()
    )


def sculptor_addresses(item: Item, *, first_choice: Any = None) -> list[str]:
    """Who hears about an item's round: ``first_choice`` (the uploader), else the assigned sculptor,
    else every active sculptor (an unassigned item's base mesh or feedback still reaches the team)."""
    for person in (first_choice, item.assigned_sculptor):
        if person is not None and person.is_active and person.email:
            return [person.email]
    team = get_user_model().objects.filter(groups__name=SCULPTORS_GROUP, is_active=True).exclude(email="")
    return sorted(set(team.values_list("email", flat=True)))
