"""Request helpers shared by the apps."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, as far as the studio's own proxies vouch for it.

    With ``TRUSTED_PROXIES = n`` (n reverse proxies, each appending the address it saw to
    X-Forwarded-For) the client is the n-th entry from the right; entries further left are the
    client's own words. With 0, or without the header, or when that entry is no bare IP address
    (e.g. with a port), it is the socket's address (REMOTE_ADDR). DRF's throttles count proxies the
    same way (``NUM_PROXIES`` is set from the same setting) but take the entry as it is.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def absolute_url(request: HttpRequest | None, url: str | None) -> str | None:
    """A URL, absolute when a request tells the host; None for none.

    Takes the URL of a permission-checked view, never a stored file (``FieldFile.url`` would name a
    path under MEDIA_URL, which no route serves)."""
    if not url:
        return None
    if not isinstance(url, str):
        raise TypeError("absolute_url takes a URL string: link a stored file through its checked view")
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


def public_url(viewname: str, *args) -> str:
    """The studio's public address of a view (for e-mails and Stripe): ``PUBLIC_BASE_URL`` + its path."""
    return settings.PUBLIC_BASE_URL + reverse(viewname, args=args)
