"""The photo size limit: one setting, one message, one error, decided before the body is read.

``settings.MAX_PHOTO_UPLOAD_BYTES`` (25 MB) is the one limit. A request whose declared
``Content-Length`` cannot hold a photo under it (the limit plus room for the multipart framing and
the form's few small fields) is refused by :func:`refuse_oversized_body` before anything reads or
spools the body: the API view and the portal view both call it first. A file that gets through that
and is still over the limit is refused by :func:`refuse_oversized_photo` in the upload service.
Both raise :class:`PhotoTooLarge` (HTTP 413, code ``too_large``) with the message of
:func:`kits.photo.too_large_message`, the same text the kit gives when it refuses the bytes itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kits.photo import PhotoRejected, too_large_message
from studio.errors import ApplicationError

#: Room in a multipart body for the boundaries, part headers and the small fields (kind,
#: person_index, the CSRF token) around a photo at the limit. A body larger than the limit plus
#: this cannot hold a photo the studio takes.
MULTIPART_ALLOWANCE = 64 * 1024


class PhotoRefused(ApplicationError):
    """The upload is not a photo we can take (unreadable, too many pixels): HTTP 400, nothing stored."""

    def __init__(self, code: str, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)
        self.code = code


class PhotoTooLarge(PhotoRefused):
    """The upload is over ``MAX_PHOTO_UPLOAD_BYTES``: HTTP 413, code ``too_large``, nothing stored."""

    status_code = 413

    def __init__(self) -> None:
        limit = settings.MAX_PHOTO_UPLOAD_BYTES
        super().__init__("too_large", too_large_message(limit), extra={"max_bytes": limit})


def declared_length(meta: dict[str, Any]) -> int:
    """The request's declared ``Content-Length`` (0 when absent or not a number)."""
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except (TypeError, ValueError):
        return 0


def refuse_oversized_body(meta: dict[str, Any]) -> None:
    """Refuse a photo upload whose declared body cannot hold a photo under the limit.

    Reads only ``request.META``: call it before anything touches ``request.POST``/``FILES``/``data``
    (Django parses, and spools to disk, the multipart body on first access).
    """
    if declared_length(meta) > settings.MAX_PHOTO_UPLOAD_BYTES + MULTIPART_ALLOWANCE:
        raise PhotoTooLarge()


def refuse_oversized_photo(size: int | None) -> None:
    """Refuse an uploaded file over the limit (``size`` in bytes; None when the size is not known)."""
    if size is not None and size > settings.MAX_PHOTO_UPLOAD_BYTES:
        raise PhotoTooLarge()


def photo_refusal(exc: PhotoRejected) -> PhotoRefused:
    """The application error for the kit's refusal: the byte limit is :class:`PhotoTooLarge`."""
    if exc.code == "too_large" and exc.message == too_large_message(settings.MAX_PHOTO_UPLOAD_BYTES):
        return PhotoTooLarge()
    return PhotoRefused(exc.code, exc.message)
