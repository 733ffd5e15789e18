"""Print job and tray transitions (the only code that changes their states).

A print job's item and tray follow the job: after every move of the job, in the same transaction,
each of `PRINT_JOB_FOLLOWERS` brings its row up to date from the job's new state (as an order
follows its items, `orders.services.transitions.order_sync_status`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from orders import events
from printing.lock_objects import lock_print_job, lock_tray
from printing.models import Batch, PrintJob, PrintJobStatus, TrayEvent, TrayEventType
from studio.workflow import FollowUp, TransitionResult, run_transition

PRINT_JOB_FOLLOW_UPS: dict[str, list[FollowUp]] = {
    PrintJobStatus.PRINTING: [FollowUp("printing.tasks.send_production_started_email")],  # once per item
}
TRAY_FOLLOW_UPS: dict[str, list[FollowUp]] = {}

#: What follows a print job, run after each of its moves in the move's transaction:
#: ``follower(job, tray_ids=(the tray it left, the tray it is on; none, one or both), user=, actor=)``.
#: `printing.services` registers them: the tray (`trays.tray_follows_job`), then the item
#: (`items.item_follows_job`, whose order follows in turn).
PRINT_JOB_FOLLOWERS: list[Callable[..., None]] = []


def print_job_transition(
    *,
    print_job_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
    guard=None,
) -> TransitionResult:
    """Move a print job to `to` (locks, checks the table, writes the event, enqueues after commit);
    then its tray and its item follow, in the same transaction (`PRINT_JOB_FOLLOWERS`)."""
    left: list[int | None] = []

    def lock() -> PrintJob:
        job = lock_print_job(print_job_id)
        left.append(job.batch_id)  # the tray it is on before the move (an update may take it off)
        return job

    with transaction.atomic():
        result = run_transition(
            lock=lock,
            target=to,
            guard=guard,
            update=update,
            write_event=events.status_changed_event,
            user=user,
            actor=actor,
            parameters=parameters,
            follow_ups=PRINT_JOB_FOLLOW_UPS,
        )
        tray_ids = tuple(dict.fromkeys(t for t in (*left, result.obj.batch_id) if t))
        for follow in PRINT_JOB_FOLLOWERS:
            follow(result.obj, tray_ids=tray_ids, user=user, actor=actor)
    return result


def tray_status_changed_event(
    *, obj: Batch, previous: str, current: str, user: Any = None, actor: str = "system", parameters=None
) -> TrayEvent:
    """A tray's state change, on the tray's own history (a tray belongs to no single order)."""
    real_user = user if user is not None and getattr(user, "is_authenticated", False) else None
    return TrayEvent.objects.create(
        tray=obj,
        type=TrayEventType.STATUS_CHANGED,
        from_status=previous,
        to_status=current,
        user=real_user,
        actor=events.actor_label(real_user, actor),
        parameters=parameters or {},
    )


def tray_transition(
    *,
    tray_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move a tray (batch) to `to` (the change goes on the tray's own events)."""
    return run_transition(
        lock=lambda: lock_tray(tray_id),
        target=to,
        write_event=tray_status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=TRAY_FOLLOW_UPS,
    )
