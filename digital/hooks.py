"""What the digital files add to the lower apps' extension points (imported once, from ``apps.ready``).

An item entering ``approved`` gets its digital files made, after the approval commits, from the file the
customer approved (``digital.tasks.make_digital_files``). The orders app only runs the follow-ups registered
for a state; it never names this app, and neither does ``revisions``' approval service.
"""

from __future__ import annotations

from orders.models import ItemStatus
from orders.services.transitions import ITEM_FOLLOW_UPS
from studio.workflow import FollowUp

MAKE_DIGITAL_FILES = FollowUp("digital.tasks.make_digital_files")

_hooks = ITEM_FOLLOW_UPS.setdefault(ItemStatus.APPROVED, [])
if MAKE_DIGITAL_FILES not in _hooks:
    _hooks.append(MAKE_DIGITAL_FILES)
