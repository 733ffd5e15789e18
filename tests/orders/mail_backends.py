"""Test mail backends: one that notes whether a transaction was open while sending, one that fails."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

#: (subject, a transaction was open) for every message the recording backend sent.
SENT: list[tuple[str, bool]] = []


class TransactionRecordingBackend(LocmemBackend):
    """The locmem outbox, plus whether each message went out inside a transaction (it never should:
    an order or item row lock could be held while the mail server is slow)."""

    def send_messages(self, messages):
        for message in messages:
            SENT.append((message.subject, connection.in_atomic_block))
        return super().send_messages(messages)


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")
