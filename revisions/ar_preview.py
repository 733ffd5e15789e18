"""The phone's "View in your room": a signed, expiring link to one round's AR preview.

On a desktop the preview page shows a QR code (drawn by ``segno`` as inline SVG: no image request) of a link
``/portal/ar/<token>/``. The token is ``django.core.signing`` of ``{"r": revision id, "o": order number}``
under its own salt, timestamped, and works for :data:`AR_LINK_MAX_AGE_SECONDS` (24 h). It signs in to
nothing: the page it opens shows that round's model with the AR button (WebXR / Scene Viewer on Android,
Quick Look with the round's USDZ on an iPhone) and no actions; its files come through the round's checked
file view with short signed paths (``studio.signed_urls``), which the view accepts for the AR files only.
An expired link answers 410 and a tampered or unknown one 404, each with a page saying what to do.
"""

from __future__ import annotations

import segno
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from revisions.models import Revision
from studio.http import public_url
from studio.signed_urls import signed_path

AR_LINK_SALT = "revisions.ar-preview-link"
#: How long the QR code's link opens the round's AR preview.
AR_LINK_MAX_AGE_SECONDS = 24 * 3600
#: The round's files the AR page may fetch with a signed path instead of the customer's session.
AR_FILE_KINDS = ("preview.glb", "ar.usdz", "render-0.png")


class ArLinkExpired(Exception):
    """The link was genuine but is older than its max age."""


class ArLinkInvalid(Exception):
    """The link was not made by the studio (tampered, truncated) or names no round it may show."""


def ar_link_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=AR_LINK_SALT)


def ar_link_token(*, revision: Revision, signer: signing.TimestampSigner | None = None) -> str:
    """The signed token of ``revision``'s AR preview (``signer``: the studio's by default)."""
    return (signer or ar_link_signer()).sign_object({"r": revision.pk, "o": revision.item.order.number})


def ar_link_url(*, revision: Revision) -> str:
    """The public address the QR code opens (``PUBLIC_BASE_URL``, so a phone reaches it)."""
    return public_url("portal-revision-ar", ar_link_token(revision=revision))


def ar_link_revision(*, token: str, max_age: int = AR_LINK_MAX_AGE_SECONDS) -> Revision:
    """The published round a token names, or ArLinkExpired / ArLinkInvalid."""
    try:
        data = ar_link_signer().unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ArLinkExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ArLinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        raise ArLinkInvalid
    revision = Revision.objects.select_related("item__order").filter(pk=data["r"]).first()
    if revision is None or revision.published_at is None or revision.item.order.number != data.get("o"):
        raise ArLinkInvalid
    return revision


def qr_svg(url: str) -> SafeString:
    """``url`` as a QR code, inline SVG (segno's own markup of a URL it encoded: nothing of ours in it)."""
    code = segno.make(url, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=4, border=2, dark="#111", light="#fff", title="QR code"))  # noqa: S308


def ar_files(revision: Revision, *, signed: bool) -> dict[str, str]:
    """The viewer's model (``src``), the iPhone's USDZ (``ios_src``, empty without one) and the poster."""

    def url(kind: str) -> str:
        path = reverse("revision-file", args=[revision.pk, kind])
        return signed_path(path) if signed else path

    return {
        "src": url("preview.glb") if revision.web_glb else "",
        "ios_src": url("ar.usdz") if revision.ar_usdz else "",
        "poster": url("render-0.png") if revision.renders else "",
    }


@never_cache
@require_GET
def revision_ar(request: HttpRequest, token: str) -> HttpResponse:
    """The round's model with "View in your room", opened from the QR code (read-only, no sign-in)."""
    try:
        revision = ar_link_revision(token=token)
    except ArLinkExpired:
        return render(request, "portal/ar_link_invalid.html", {"reason": "expired"}, status=410)
    except ArLinkInvalid:
        return render(request, "portal/ar_link_invalid.html", {"reason": "invalid"}, status=404)
    item = revision.item
    # no ``order`` nor ``portal_customer``: the page names neither the customer nor links into the order
    context = {"revision": revision, "item": item, "ar": ar_files(revision, signed=True)}
    response = render(request, "portal/revision_ar.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response
