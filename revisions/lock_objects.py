"""Row locks for revisions: the item's order and item first (see orders.lock_objects), then the revision."""

from __future__ import annotations

from orders.lock_objects import lock_item_row
from revisions.models import Revision


def lock_revision(revision_id: int) -> Revision:
    return lock_item_row(Revision, revision_id, "Revision")
