"""The customer's preview page in the portal: the 3D viewer, renders, photos, pins, approve or ask for changes.

The page is server-rendered; its buttons call the revisions API with the portal session (CSRF checked).
Staff may open the page too (to see what the customer sees), without the buttons.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from orders.auth import customer_for_request
from orders.models import ItemStatus, Photo
from orders.portal_presenter import studio_date
from revisions import selectors
from revisions.apis import revision_for_request
from revisions.ar_preview import AR_LINK_MAX_AGE_SECONDS, ar_files, ar_link_url, qr_svg
from revisions.models import Revision, RevisionStatus
from studio.errors import NotFound
from studio.file_responses import stored_file_response
from studio.permissions import is_staff_request


def _file(revision: Revision, kind: str) -> str:
    return reverse("revision-file", args=[revision.pk, kind])


def _feedback(revision: Revision) -> list[dict]:
    """The customer's messages on the round, each with the sculptor's replies under it (oldest first)."""
    return [
        {
            "comment": fb.comment,
            "replies": [
                {
                    "author": (reply.author.first_name if reply.author else "") or "Your sculptor",
                    "text": reply.text,
                    "when": studio_date(reply.created_at, with_time=True),
                }
                for reply in fb.replies.all()
            ],
        }
        for fb in revision.feedback.prefetch_related("replies__author")
    ]


def _pins(revision: Revision) -> list[dict]:
    return [
        {"id": p.pk, "position": p.position, "normal": p.normal, "text": p.text}
        for p in selectors.pins_of_revision(revision)
    ]


@never_cache
@require_GET
def revision_preview(request: HttpRequest, revision_id: int) -> HttpResponse:
    """One round as the customer sees it (404 for anyone else's, or a round not yet published)."""
    customer = customer_for_request(request)
    if customer is None and not is_staff_request(request):
        return render(request, "portal/signed_out.html", status=401)
    try:
        revision = revision_for_request(request, revision_id)
    except NotFound:
        return render(request, "portal/revision_not_found.html", status=404)
    item = revision.item
    order = item.order
    previous = selectors.previous_published_revision(revision)
    rounds = list(selectors.customer_revisions(item))
    can_act = (
        customer is not None and not is_staff_request(request) and revision.status == RevisionStatus.PUBLISHED
    )
    # changes sent, the next round not shown yet: say who has them and when the next preview is due
    changes_sent = (
        revision.status == RevisionStatus.CHANGES_REQUESTED and item.status == ItemStatus.CHANGES_REQUESTED
    )
    config = {
        "revision": {"id": revision.pk, "number": revision.number, "status": revision.status},
        "canAct": can_act,
        "glb": _file(revision, "preview.glb") if revision.web_glb else None,
        "heatmap": _file(revision, "heatmap.glb") if revision.heatmap_glb else None,
        "previous": (
            {
                "id": previous.pk,
                "number": previous.number,
                "glb": _file(previous, "preview.glb"),
                "pins": _pins(previous),
            }
            if previous
            else None
        ),
        "pins": _pins(revision),
        "api": {
            "requestChanges": reverse("revision-request-changes", args=[revision.pk]),
            "approve": reverse("revision-approve", args=[revision.pk]),
        },
    }
    # signed like the phone's: Quick Look and Scene Viewer fetch the file outside the page's own requests
    ar = ar_files(revision, signed=True)
    ar_link = ar_link_url(revision=revision) if config["glb"] and revision.published_at else ""
    context = {
        "ar": ar,
        "ar_qr": qr_svg(ar_link) if ar_link else "",
        "ar_link": ar_link,
        "ar_link_hours": AR_LINK_MAX_AGE_SECONDS // 3600,
        "order": order,
        "item": item,
        "revision": revision,
        "portal_customer": order.customer,
        "rounds": rounds,
        "previous": previous,
        "renders": [_file(revision, f"render-{i}.png") for i in range(len(revision.renders or []))],
        "poster": _file(revision, "render-0.png") if revision.renders else "",
        "photos": [
            {"url": reverse("portal-revision-photo", args=[revision.pk, p.pk]), "kind": p.get_kind_display()}
            for p in item.photos.all()
        ],
        "diff": revision.diff_report or {},
        "diff_percent": 100 * float((revision.diff_report or {}).get("area_changed_fraction") or 0),
        "config": config,
        "feedback": _feedback(revision),
        "previous_feedback": _feedback(previous) if previous else [],
        "changes_sent": changes_sent,
        "next_preview_due": studio_date(selectors.preview_due_at(item), with_time=True)
        if changes_sent
        else "",
        "can_act": can_act,
        "approval": getattr(revision, "approval", None)
        if revision.status == RevisionStatus.APPROVED
        else None,
    }
    return render(request, "portal/revision_preview.html", context)


@require_GET
def revision_photo(request: HttpRequest, revision_id: int, photo_id: int) -> HttpResponseBase:
    """A photo of the round's figurine, for the page beside the model (same access as the round)."""
    try:
        revision = revision_for_request(request, revision_id)
    except NotFound:
        raise Http404 from None
    photo = Photo.objects.filter(pk=photo_id, item_id=revision.item_id).first()
    if photo is None or not photo.image:
        raise Http404
    return stored_file_response(photo.image.name)
