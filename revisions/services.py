"""Revision transitions: the only code that changes a revision's state."""

from __future__ import annotations

from typing import Any

from orders import events
from revisions.lock_objects import lock_revision
from revisions.models import Revision, RevisionStatus
from studio.workflow import FollowUp, TransitionResult, run_transition

REVISION_FOLLOW_UPS: dict[str, list[FollowUp]] = {
    RevisionStatus.CHECKING: [FollowUp("revisions.tasks.check_revision")],
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
    """Move a revision to `to` (locks, checks the table, writes the event, enqueues after commit)."""

    return run_transition(
        lock=lambda: lock_revision(revision_id),
        target=to,
        guard=guard,
        update=update,
        write_event=lambda rev, prev, cur: events.revision_status_changed_event(
            revision=rev, previous=prev, current=cur, user=user, actor=actor, parameters=parameters
        ),
        follow_ups=REVISION_FOLLOW_UPS,
    )
