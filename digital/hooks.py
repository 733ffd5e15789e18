"""What the digital files add to the lower apps' extension points (imported once, from ``apps.ready``).

An item entering ``approved`` gets its digital files made, after the approval commits, from the file the
customer approved (``digital.tasks.make_digital_files``); a "3D model only" item entering ``delivered`` (once
those files are made: the move's guard) gets the customer's "your 3D model is ready" e-mail. The orders app
only runs the follow-ups and guards registered for a state; it never names this app, and neither does
``revisions``' approval service.
"""

from __future__ import annotations

from digital.services import guard_files_ready
from orders.models import ItemStatus
from orders.services.transitions import ITEM_FOLLOW_UPS, ITEM_GUARDS
from studio.workflow import FollowUp

MAKE_DIGITAL_FILES = FollowUp("digital.tasks.make_digital_files")
#: A "3D model only" item delivered (its files made): the customer hears their files are ready.
FILES_DELIVERED_EMAIL = FollowUp("digital.tasks.send_files_delivered_email")

for _state, _follow_up in (
    (ItemStatus.APPROVED, MAKE_DIGITAL_FILES),
    (ItemStatus.DELIVERED, FILES_DELIVERED_EMAIL),
):
    _hooks = ITEM_FOLLOW_UPS.setdefault(_state, [])
    if _follow_up not in _hooks:
        _hooks.append(_follow_up)

#: ``approved → delivered`` (a "3D model only" item: the table lets no other take it) needs all its files.
_guards = ITEM_GUARDS.setdefault((ItemStatus.APPROVED, ItemStatus.DELIVERED), [])
if guard_files_ready not in _guards:
    _guards.append(guard_files_ready)
