"""The item follows its print jobs (as an order follows its items).

Its state is read from its jobs: in production while one is on its way (queued to packed), else
as its latest parcel (shipped, or delivered), else back to approved (every job cancelled or failed
without a replacement). The item is walked there one legal step at a time with orders'
`item_transition` (each step an event; its order follows in turn). It runs after every move of a
job (`print_job_transition`) and after a job is created (send to print, reprints).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from orders.lock_objects import lock_item
from orders.models import ITEM_PROGRESS, Item, ItemStatus
from orders.services.transitions import item_transition
from printing.models import LIVE_STATUSES, PrintJob, PrintJobStatus

#: The item states its print jobs decide (before approval, or cancelled, its jobs say nothing).
FOLLOWING_STATUSES = (ItemStatus.APPROVED, ItemStatus.IN_PRODUCTION, ItemStatus.SHIPPED, ItemStatus.DELIVERED)
_PARCEL = {PrintJobStatus.SHIPPED: ItemStatus.SHIPPED, PrintJobStatus.DELIVERED: ItemStatus.DELIVERED}
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def item_target_status(item: Item) -> str | None:
    """Where the item should be given its print jobs, or None when they say nothing about it
    (not approved yet, cancelled, never sent to print, or a digital-only item)."""
    if item.status not in FOLLOWING_STATUSES:
        return None
    jobs = list(
        PrintJob.objects.filter(item_id=item.pk).values_list("status", "shipped_at", "delivered_at", "pk")
    )
    if not jobs:
        return None
    if any(status in LIVE_STATUSES for status, *_ in jobs):
        return ItemStatus.IN_PRODUCTION
    parcels = [
        (delivered_at or shipped_at or _LONG_AGO, pk, status)
        for status, shipped_at, delivered_at, pk in jobs
        if status in _PARCEL
    ]
    if parcels:
        return _PARCEL[max(parcels)[2]]  # the parcel that moved last
    return ItemStatus.APPROVED


def item_follow_print_jobs(
    *, item_id: int, user: Any = None, actor: str = "system", parameters: dict[str, Any] | None = None
) -> list[str]:
    """Walk the item's state to follow its print jobs, one legal step at a time; the steps taken."""
    moved: list[str] = []
    with transaction.atomic():
        item = lock_item(item_id)
        target = item_target_status(item)
        for _ in range(len(ITEM_PROGRESS)):
            step = _next_step(item.status, target)
            if step is None:
                break
            item_transition(item_id=item.pk, to=step, user=user, actor=actor, parameters=parameters)
            item.refresh_from_db()
            moved.append(step)
    return moved


def item_follows_job(job: PrintJob, *, user: Any = None, actor: str = "system", **_: Any) -> None:
    """The item's follower of a print job move (registered in `PRINT_JOB_FOLLOWERS`)."""
    parameters: dict[str, Any] = {"print_job_id": job.pk, "reason": f"print job {job.status}"}
    if job.status == PrintJobStatus.SHIPPED:
        parameters["tracking_number"] = job.tracking_number
    item_follow_print_jobs(item_id=job.item_id, user=user, actor=actor, parameters=parameters)


def _next_step(current: str, target: str | None) -> str | None:
    """`target` when the table allows it, else the next state forward on the way there."""
    if target is None or target == current:
        return None
    allowed = Item.allowed_targets(current)
    if target in allowed:
        return target
    rank = ITEM_PROGRESS.get(current, -1)
    if ITEM_PROGRESS.get(target, -1) <= rank:
        return None
    forward = [s for s in allowed if rank < ITEM_PROGRESS.get(s, -1) < ITEM_PROGRESS[target]]
    return min(forward, key=ITEM_PROGRESS.__getitem__) if forward else None
