"""Print job and tray transitions (the only code that changes their states)."""

from __future__ import annotations

from typing import Any

from orders import events
from printing.lock_objects import lock_print_job, lock_tray
from printing.models import Batch, TrayEvent, TrayEventType
from studio.workflow import FollowUp, TransitionResult, run_transition

PRINT_JOB_FOLLOW_UPS: dict[str, list[FollowUp]] = {}
TRAY_FOLLOW_UPS: dict[str, list[FollowUp]] = {}


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
    """Move a print job to `to` (locks, checks the table, writes the event, enqueues after commit)."""

    return run_transition(
        lock=lambda: lock_print_job(print_job_id),
        target=to,
        guard=guard,
        update=update,
        write_event=events.status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=PRINT_JOB_FOLLOW_UPS,
    )


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
