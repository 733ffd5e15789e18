"""Which model permissions each staff action on revision rounds needs: the one table the admin and the
API share. Sculptors own rounds (group "Sculptors", orders migration 0002); Operators only read them."""

from __future__ import annotations

VIEW_ROUNDS = ("revisions.view_revision",)
UPLOAD_ROUND = ("revisions.add_revision",)
PUBLISH_ROUND = ("revisions.change_revision",)
#: Take an unassigned figurine from the work queue ("Assign to me"): whoever makes its rounds.
TAKE_WORK = UPLOAD_ROUND
#: Answer the customer's feedback on a round (the reply shows under their comment on the portal):
#: whoever makes the rounds.
REPLY_TO_FEEDBACK = UPLOAD_ROUND
