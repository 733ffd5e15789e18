"""Typed application errors, mapped once to HTTP answers in studio.api.exception_handler."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request; nothing was changed."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "forbidden"


class Conflict(ApplicationError):
    """The request does not fit the current state of the object (HTTP 409)."""

    status_code = 409
    code = "conflict"


class StorageUnavailable(ApplicationError):
    """The file storage (disk or bucket) could not be reached; nothing was stored (HTTP 503)."""

    status_code = 503
    code = "storage_unavailable"


class TransitionNotAllowed(Conflict):
    """An illegal state transition: refused, nothing changed."""

    code = "transition_not_allowed"

    def __init__(self, *, subject: str, current: str, target: str, message: str | None = None) -> None:
        super().__init__(
            message or f"A {subject} in state '{current}' cannot move to '{target}'.",
            extra={"subject": subject, "from": current, "to": target},
        )
        self.subject = subject
        self.current = current
        self.target = target


class StatusWriteError(RuntimeError):
    """A status was written outside a transition service (a programming error, not user input)."""
