"""Row locks for revisions: the item's order and item first (see orders.lock_objects), then the revision."""

from __future__ import annotations

from orders.lock_objects import lock_item
from revisions.models import Revision
from studio.errors import NotFound


def lock_revision(revision_id: int) -> Revision:
    item_id = Revision.objects.filter(pk=revision_id).values_list("item_id", flat=True).first()
    if item_id is None:
        raise NotFound(f"Revision {revision_id} does not exist.")
    item = lock_item(item_id)
    revision = Revision.objects.select_for_update().filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(f"Revision {revision_id} does not exist.")
    revision.item = item
    return revision
