"""The sculptor's replies to the customer's feedback: one service, the rule of who may write one.

A reply belongs to one feedback (the customer's message and pins on a round); the customer reads it under
their comment on that round's preview page. Sculptors reply (``revisions.roles.REPLY_TO_FEEDBACK``),
checked before anything else: another role gets 403 and nothing is written.
"""

from __future__ import annotations

from typing import Any

from revisions import roles
from revisions.models import Feedback, FeedbackReply
from studio.errors import ApplicationError, NotFound, PermissionDenied
from studio.permissions import is_staff_user, missing_permissions

MAX_REPLY_CHARS = 5000


def feedback_reply_create(*, feedback_id: int, user: Any, text: Any) -> FeedbackReply:
    """A sculptor answers the customer's feedback ``feedback_id``.

    403 for anyone without the Sculptors' permission (operators included), 404 for an unknown feedback,
    400 for an empty or overlong text.
    """
    if not is_staff_user(user) or missing_permissions(user, roles.REPLY_TO_FEEDBACK):
        raise PermissionDenied("Only the sculptors reply to the customer's feedback.")
    if not isinstance(text, str) or not text.strip():
        raise ApplicationError("Write a reply first: it cannot be empty.", extra={"field": "text"})
    text = text.strip()
    if len(text) > MAX_REPLY_CHARS:
        raise ApplicationError(
            f"The reply is longer than {MAX_REPLY_CHARS} characters.", extra={"field": "text"}
        )
    feedback = Feedback.objects.filter(pk=feedback_id).first()
    if feedback is None:
        raise NotFound(f"No feedback {feedback_id}.")
    return FeedbackReply.objects.create(feedback=feedback, author=user, text=text)
