"""The customer portal: server-rendered pages reached through the e-mailed magic link.

The link's token is exchanged for a session at ``/portal/login/<token>/`` and the browser is sent
to a clean URL at once, so the token never appears in later URLs or Referer headers.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kits.photo import KIND_LABELS
from orders import selectors, services
from orders.auth import (
    SESSION_KEY,
    SESSION_ORDER_KEY,
    authenticate_api_headers,
    customer_can_see_order,
    customer_for_request,
    order_scope_for_request,
    portal_token_find,
)
from orders.models import Order, Photo, PortalToken
from orders.stripe_client import stripe_online
from studio.errors import ApplicationError
from studio.permissions import is_staff_request
from studio.signed_urls import has_valid_signature

logger = logging.getLogger(__name__)


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
def portal_login(request: HttpRequest, token: str) -> HttpResponse:
    """Exchange a magic-link token for a session, then redirect to the clean order URL."""
    record = portal_token_find(token)
    if record is None or not record.is_active:
        reason = "unknown" if record is None else ("revoked" if record.revoked_at else "expired")
        status = 404 if record is None else 403
        response = render(request, "portal/link_invalid.html", {"reason": reason}, status=status)
        return _no_referrer(response)
    request.session.cycle_key()  # a fresh session id: no fixation
    request.session[SESSION_KEY] = record.customer_id
    if record.order_id:
        request.session[SESSION_ORDER_KEY] = record.order_id
    else:
        request.session.pop(SESSION_ORDER_KEY, None)
    PortalToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    order = record.order or record.customer.orders.order_by("-created_at").first()
    target = reverse("portal-order", args=[order.number]) if order else reverse("portal-home")
    return _no_referrer(HttpResponseRedirect(target))


@never_cache
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's orders (or how to sign in)."""
    customer = customer_for_request(request)
    if customer is None:
        return render(request, "portal/signed_out.html", status=401)
    orders = selectors.orders_for_customer(
        customer_id=customer.pk, order_scope=order_scope_for_request(request)
    )
    return render(request, "portal/home.html", {"orders": orders, "portal_customer": customer})


def order_or_response(request: HttpRequest, number: str) -> Order | HttpResponse:
    if customer_for_request(request) is None and not is_staff_request(request):
        return render(request, "portal/signed_out.html", status=401)
    try:
        return selectors.order_get_for_request(number=number, request=request)
    except ApplicationError:
        return render(request, "portal/not_found.html", {"number": number}, status=404)


@require_POST
def portal_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Send the customer to Stripe Checkout (created on demand, reused while valid)."""
    order = order_or_response(request, number)
    if isinstance(order, HttpResponse):
        return order
    back = reverse("portal-order", args=[order.number])
    if not stripe_online():
        messages.info(request, "Online payment is not available; we will confirm your payment by hand.")
        return HttpResponseRedirect(back)
    try:
        url = services.checkout_session_create(order_id=order.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(url, status=303)


@require_POST
def portal_photo_upload(request: HttpRequest, number: str, item_id: int) -> HttpResponse:
    """The upload form: the same service as the API; the page then shows the photo's report."""
    order = order_or_response(request, number)
    if isinstance(order, HttpResponse):
        return order
    back = reverse("portal-order", args=[order.number]) + f"#item-{item_id}"
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, "Choose a photo to upload first.")
        return HttpResponseRedirect(back)
    try:
        person_index = int(request.POST.get("person_index") or 0)
        photo = services.photo_upload(
            item_id=item_id,
            order_id=order.pk,
            upload=upload,
            kind=request.POST.get("kind") or "front",
            person_index=person_index,
            filename=upload.name or "",
            actor=f"customer:{order.customer.email}",
        )
    except ValueError:
        messages.error(request, "Pick the person this photo shows.")
        return HttpResponseRedirect(back)
    except ApplicationError as exc:
        messages.error(request, f"{upload.name}: {exc.message}")
        return HttpResponseRedirect(back)
    label = KIND_LABELS.get(photo.kind, "Photo")
    if not photo.is_usable:
        messages.error(
            request, f"{label} received, but it cannot be used: see the report below and retake it."
        )
    elif photo.report.get("issues"):
        messages.warning(request, f"{label} received and usable, with some advice below.")
    else:
        messages.success(request, f"{label} received: it looks great.")
    return HttpResponseRedirect(reverse("portal-order", args=[order.number]) + f"#photo-{photo.pk}")


@require_POST
def portal_photo_delete(request: HttpRequest, number: str, item_id: int, photo_id: int) -> HttpResponse:
    order = order_or_response(request, number)
    if isinstance(order, HttpResponse):
        return order
    try:
        if not order.items.filter(pk=item_id).exists():
            raise ApplicationError("No such figurine on this order.")
        services.photo_delete(photo_id=photo_id, item_id=item_id, actor=f"customer:{order.customer.email}")
        messages.success(request, "Photo removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("portal-order", args=[order.number]) + f"#item-{item_id}")


@require_GET
def portal_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    """A customer's photo, for the staff and the order's own customer only (404 for anyone else)."""
    authenticate_api_headers(request)
    photo = Photo.objects.select_related("item__order").filter(pk=photo_id).first()
    if photo is None or not photo.image:
        raise Http404
    allowed = has_valid_signature(request) or is_staff_request(request)
    if not (allowed or customer_can_see_order(request, photo.item.order)):
        raise Http404
    try:
        handle = default_storage.open(photo.image.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=_PHOTO_TYPES.get(photo.image.name.rsplit(".", 1)[-1].lower())
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


_PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@require_POST
def portal_logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SESSION_ORDER_KEY, None)
    request.session.cycle_key()
    return render(request, "portal/signed_out.html", {"logged_out": True})
