"""What reconstruction adds to the lower apps' extension points (imported once, from ``apps.ready``).

An item entering ready_for_design gets its AI base mesh on the reconstruction (GPU) queue. The
orders app only runs the follow-ups registered for a state; it never names this app.
"""

from __future__ import annotations

from django.conf import settings

from orders.models import ItemStatus
from orders.services.transitions import ITEM_FOLLOW_UPS
from studio.workflow import FollowUp

RECONSTRUCT_ITEM = FollowUp("reconstruction.tasks.reconstruct_item", settings.RECONSTRUCTION_QUEUE)

_hooks = ITEM_FOLLOW_UPS.setdefault(ItemStatus.READY_FOR_DESIGN, [])
if RECONSTRUCT_ITEM not in _hooks:
    _hooks.append(RECONSTRUCT_ITEM)
