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
from orders.portal_presenter import present_order
from orders.portal_views import order_or_response
from orders.stripe_client import stripe_online
from printing.models import PrintJob
from revisions.selectors import preview_due_by_item


def _print_job_states(item_ids) -> dict[int, list[str]]:
    """Each item's print jobs' states (one query): how far its print is, for the stepper."""
    states: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
    for item_id, status in PrintJob.objects.filter(item_id__in=list(states)).values_list("item_id", "status"):
        states[item_id].append(status)
    return states


@never_cache
@require_GET
def portal_order(request: HttpRequest, number: str) -> HttpResponse:
    """The order page: each figurine's progress stepper and status, payment, photos with their reports,
    previews, parcels (tracking links) and the shipping address, and the customer's timeline."""
    order = order_or_response(request, number)
    if isinstance(order, HttpResponse):
        return order
    detail = order_page(order, request)
    items = list(order.items.all())
    present_order(
        detail,
        paid=order.is_paid,
        jobs_by_item=_print_job_states([item.pk for item in items]),
        next_preview_due_by_item=preview_due_by_item(items),
    )
    checkout = request.GET.get("checkout")
    context = {
        "order": order,
        "detail": detail,
        "portal_customer": order.customer,
        "online": stripe_online(),
        "checkout_state": checkout if checkout in ("success", "cancelled") else None,
        "guidance": order_selectors.photo_guidance(),
        "kind_labels": KIND_LABELS,
        "timeline": detail["events"],  # the customer's timeline (orders.customer_timeline)
        "max_mb": settings.MAX_PHOTO_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "portal/order.html", context)
