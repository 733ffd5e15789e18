"""E-mails sent at most once: one `Notification` row per kind and key, claimed before sending.

`notification_send` is the one way the studio's tasks send an e-mail:

1. claim the row in a short transaction of its own (durable: never inside a caller's transaction,
   so no order or item row lock is held while the mail server is slow). A sent row, or one another
   worker claimed less than a task's time limit ago, means there is nothing to do;
2. compose and send with no transaction open;
3. mark the row sent and run ``on_sent`` (the timeline's line, e.g. ``events.email_sent_event``) in
   one short transaction.

A failed send is recorded on the row (``failed``, the error) and raised, so the task fails visibly
and a retry (a redelivered task, an operator) sends it again. A worker that dies between the claim
and the mark leaves a stale claim that the next try takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from orders.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)

#: What `compose` answers: the subject and the plain-text body.
Message = tuple[str, str]


def order_email_kind(status: str) -> str:
    """The notification kind of the order e-mail for `status` (paid, shipped, payment_failed...)."""
    return f"order_{status}"


def claim_lease() -> timedelta:
    """How long a claim holds: past a task's time limit its worker is gone, and a retry takes over."""
    return timedelta(seconds=int(getattr(settings, "TASK_TIMEOUT_S", 600)))


def notification_claimed(*, kind: str, key: str | int) -> bool:
    """The e-mail has gone out, or is going out now (a failed one is not: its retry will send it)."""
    return (
        Notification.objects.filter(kind=kind, key=str(key))
        .exclude(status=NotificationStatus.FAILED)
        .exists()
    )


def _claim(*, kind: str, key: str, recipient: str) -> Notification | None:
    now = timezone.now()
    with transaction.atomic(durable=True):
        row, created = Notification.objects.select_for_update().get_or_create(
            kind=kind,
            key=key,
            defaults={
                "recipient": recipient,
                "status": NotificationStatus.SENDING,
                "claimed_at": now,
                "attempts": 1,
            },
        )
        if created:
            return row
        if row.status == NotificationStatus.SENT:
            return None
        if (
            row.status == NotificationStatus.SENDING
            and row.claimed_at
            and row.claimed_at > now - claim_lease()
        ):
            return None  # another worker is sending it right now
        row.status, row.claimed_at, row.recipient = NotificationStatus.SENDING, now, recipient
        row.attempts += 1
        row.save(update_fields=["status", "claimed_at", "recipient", "attempts"])
        return row


def notification_send(
    *,
    kind: str,
    key: str | int,
    recipient: str | list[str],
    compose: Callable[[], Message],
    on_sent: Callable[[], object] | None = None,
) -> bool:
    """Send the e-mail `kind` about `key` to `recipient` (an address or several) unless it was sent
    already; True when sent now.

    `compose` (called only once the row is claimed, outside any transaction) answers the subject and
    body; `on_sent` records the fact (in the same transaction as the row's `sent` mark).
    """
    recipients = [recipient] if isinstance(recipient, str) else list(recipient)
    row = _claim(kind=kind, key=str(key), recipient=", ".join(recipients)[:254])
    if row is None:
        return False
    try:
        subject, body = compose()
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception as exc:
        logger.exception("could not send %s %s to %s", kind, key, recipient)
        with transaction.atomic(durable=True):
            Notification.objects.filter(pk=row.pk).update(
                status=NotificationStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
            )
        raise
    with transaction.atomic(durable=True):
        Notification.objects.filter(pk=row.pk).update(
            status=NotificationStatus.SENT, sent_at=timezone.now(), error=""
        )
        if on_sent is not None:
            on_sent()
    return True
