"""The customer portal: server-rendered pages reached through an e-mailed single-use sign-in link.

``GET /portal/login/<code>/`` only shows a "Sign in" button (a mail scanner that follows the link
spends nothing); its POST spends the code (once: a used or expired link shows how to get a new
one), sets the session and redirects to the clean order URL, so the code is not kept in later URLs,
the history or Referer headers. ``/portal/login/`` e-mails a new link to a customer's address.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kits.photo import KIND_LABELS
from orders import selectors, services
from orders.auth import (
    SESSION_KEY,
    SESSION_ORDER_KEY,
    authenticate_api_headers,
    customer_can_see_order,
    customer_for_request,
    order_scope_for_request,
    portal_login_link_find,
)
from orders.models import Order, Photo
from orders.photo_limits import PhotoTooLarge, refuse_oversized_body
from orders.services.portal import LoginLinkSpent, link_validity_days
from orders.stripe_client import stripe_online
from studio.errors import ApplicationError
from studio.file_responses import stored_file_response
from studio.http import client_ip
from studio.permissions import is_staff_request
from studio.signed_urls import has_valid_signature

logger = logging.getLogger(__name__)


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # strict-origin: other hosts (and our own) see at most the origin, never the code in the path;
    # "no-referrer" would make the browser send "Origin: null" on the sign-in POST, which CSRF refuses
    response["Referrer-Policy"] = "strict-origin"
    response["Cache-Control"] = "no-store"
    return response


def _link_refused(request: HttpRequest, reason: str) -> HttpResponse:
    """The friendly page of a link that signs no one in, with the form that e-mails a new one."""
    status = 404 if reason == "unknown" else 410
    context = {"reason": reason, "days": link_validity_days()}
    return _no_referrer(render(request, "portal/link_invalid.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def portal_login(request: HttpRequest, code: str) -> HttpResponse:
    """A sign-in link: GET asks to confirm (and changes nothing); POST spends the code, sets the
    session and redirects to the clean order URL."""
    if request.method == "GET":
        link = portal_login_link_find(code)
        if link is None:
            return _link_refused(request, "unknown")
        if not link.is_usable:
            return _link_refused(request, "used" if link.used_at else "expired")
        return _no_referrer(render(request, "portal/login_confirm.html", {"order": None, "link": link}))
    try:
        link = services.portal_login_link_spend(raw_code=code)
    except LoginLinkSpent as exc:
        return _link_refused(request, exc.reason)
    except ApplicationError:
        return _link_refused(request, "unknown")
    request.session.cycle_key()  # a fresh session id: no fixation
    request.session[SESSION_KEY] = link.customer_id
    if link.order_id:
        request.session[SESSION_ORDER_KEY] = link.order_id
    else:
        request.session.pop(SESSION_ORDER_KEY, None)
    request.session.set_expiry(timedelta(days=settings.PORTAL_SESSION_DAYS))
    order = link.order or link.customer.orders.order_by("-created_at").first()
    target = reverse("portal-order", args=[order.number]) if order else reverse("portal-home")
    return _no_referrer(HttpResponseRedirect(target, status=303))


@never_cache
@require_http_methods(["GET", "POST"])
def portal_login_request(request: HttpRequest) -> HttpResponse:
    """The portal's sign-in page: e-mail a new sign-in link to a customer's address.

    The answer is the same whether or not the address is a customer's (no one learns who orders here).
    """
    context = {"days": link_validity_days(), "sent": False}
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip()
        if not email or "@" not in email or len(email) > 254:
            context["error"] = "Enter the e-mail address you ordered with."
            return _no_referrer(render(request, "portal/login_request.html", context, status=400))
        services.portal_login_link_request(email=email, ip_address=client_ip(request))
        context["sent"] = True
    return _no_referrer(render(request, "portal/login_request.html", context))


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


def _size_checked_before_csrf(view):
    """Refuse an oversized photo upload before anything reads its body, then check CSRF as usual.

    The CSRF middleware reads ``request.POST`` (parsing and spooling a multipart body) to find the
    token, so the view is exempt from the middleware and protected here instead, after the size rule
    of :func:`orders.photo_limits.refuse_oversized_body`, which reads only the headers.
    """
    protected = csrf_protect(view)

    @wraps(view)
    def checked(request: HttpRequest, number: str, item_id: int) -> HttpResponse:
        try:
            refuse_oversized_body(request.META)
        except PhotoTooLarge as exc:
            order = order_or_response(request, number)
            if isinstance(order, HttpResponse):
                return order
            context = {"order": order, "refusal": exc.message, "back": f"#item-{item_id}"}
            return render(request, "portal/upload_too_large.html", context, status=exc.status_code)
        return protected(request, number, item_id)

    return csrf_exempt(checked)


@require_POST
@_size_checked_before_csrf
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
    content_type = _PHOTO_TYPES.get(photo.image.name.rsplit(".", 1)[-1].lower())
    return stored_file_response(photo.image.name, content_type=content_type)


_PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@require_POST
def portal_logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SESSION_ORDER_KEY, None)
    request.session.cycle_key()
    return render(request, "portal/signed_out.html", {"logged_out": True})
