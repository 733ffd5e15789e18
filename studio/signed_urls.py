"""Signed file URLs: a link that works on its own for a while, like an object store's presigned URL.

A photo or print-file URL the API hands out carries ``?sig=`` (a timestamped HMAC of the path under
SECRET_KEY): an ``<img>`` tag, a download tool or a worker can fetch it without the caller's
credentials until it expires (``SIGNED_FILE_URL_SECONDS``); after that, or with a wrong signature, the
view falls back to its own permission check (staff, or the customer who owns the file).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

_SALT = "studio.signed-file-url"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def signed_path(path: str) -> str:
    """``path`` with a signature that lets anyone holding it GET that path until it expires."""
    token = _signer().sign(path)[len(path) + 1 :]
    return f"{path}?{urlencode({'sig': token})}"


def has_valid_signature(request: HttpRequest) -> bool:
    token = request.GET.get("sig", "")
    if not token:
        return False
    try:
        _signer().unsign(f"{request.path}:{token}", max_age=settings.SIGNED_FILE_URL_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return True
