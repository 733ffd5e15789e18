"""The customer's order page in the portal (its parts composed in glue.order_page)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from glue.order_page import order_page
from kits.photo import KIND_LABELS
from orders import selectors as order_selectors
from orders.portal_views import order_or_response
from orders.stripe_client import stripe_online


@never_cache
@require_GET
def portal_order(request: HttpRequest, number: str) -> HttpResponse:
    """The order page: status, payment, photos with their reports, previews, timeline, what happens next."""
    order = order_or_response(request, number)
    if isinstance(order, HttpResponse):
        return order
    detail = order_page(order, request)
    checkout = request.GET.get("checkout")
    context = {
        "order": order,
        "detail": detail,
        "portal_customer": order.customer,
        "online": stripe_online(),
        "checkout_state": checkout if checkout in ("success", "cancelled") else None,
        "guidance": order_selectors.photo_guidance(),
        "kind_labels": KIND_LABELS,
        "next_steps": order_selectors.next_steps(order),
        "max_mb": settings.MAX_PHOTO_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "portal/order.html", context)
