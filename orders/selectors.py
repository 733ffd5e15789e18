"""Read-only queries for orders: who may see which order, and the order as the customer sees it.

Nothing here writes (a GET never changes anything).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from kits.photo import KIND_LABELS, PHOTO_GUIDANCE
from orders.auth import customer_can_see_order
from orders.customer_timeline import customer_timeline
from orders.models import Item, Order, OrderEvent, Payment, Photo, ProductLine, Size
from orders.promises import delivery_promise_text, item_delivery_window, preview_promise_text
from orders.stripe_client import stripe_online
from orders.templatetags.portal import money
from studio.errors import NotFound
from studio.http import absolute_url
from studio.permissions import is_staff_request
from studio.signed_urls import signed_path


def catalog_product_lines() -> QuerySet[ProductLine]:
    """Active product lines with their active sizes, in catalog order."""
    return ProductLine.objects.filter(active=True).prefetch_related(
        Prefetch("sizes", queryset=Size.objects.filter(active=True).order_by("height_mm"))
    )


def order_get_for_request(*, number: str, request) -> Order:
    """The order for staff, or for the customer who owns it (others get 404, never a hint it exists)."""
    order = (
        Order.objects.select_related("customer")
        .prefetch_related(
            Prefetch("items", queryset=Item.objects.order_by("id").prefetch_related("photos")),
            Prefetch("payments", queryset=Payment.objects.order_by("created_at")),
        )
        .filter(number=number)
        .first()
    )
    if order is None or not (is_staff_request(request) or customer_can_see_order(request, order)):
        raise NotFound(f"No order {number} here.")
    return order


def orders_for_customer(*, customer_id: int, order_scope: int | None = None):
    qs = Order.objects.filter(customer_id=customer_id).order_by("-created_at")
    return qs.filter(pk=order_scope) if order_scope else qs


def photo_url(photo: Photo) -> str:
    """Where a photo is served: a permission-checked view (staff, or the order's customer), never a
    public media path, on disk or in a bucket alike; signed, so the link itself works for a while."""
    return signed_path(reverse("portal-photo", args=[photo.pk]))


def photo_data(photo: Photo, request=None) -> dict[str, Any]:
    report = photo.report or {}
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "person_index": photo.person_index,
        "url": absolute_url(request, photo_url(photo)) if photo.image else None,
        "width": photo.width,
        "height": photo.height,
        "sha256": photo.sha256,
        "usable": photo.is_usable,
        "issues": report.get("issues", []),
        "uploaded_at": photo.uploaded_at,
        "removable": photo.removal_refusal() is None,
    }


def delivery_estimate(item: Item) -> dict[str, Any] | None:
    """The promised delivery after approval (None before), as dates."""
    window = item_delivery_window(item)
    if window is None:
        return None
    return {"earliest": window[0].date(), "latest": window[1].date()}


def photo_needs(item: Item) -> list[dict[str, Any]]:
    """Per person: how many usable photos, whether the front is in, and what is still missing."""
    photos = list(item.photos.all())
    out = []
    for person in range(item.persons):
        mine = [p for p in photos if p.person_index == person]
        usable = [p for p in mine if p.is_usable]
        has_front = any(p.kind == "front" for p in usable)
        has_side = any(p.kind == "side" for p in usable)
        missing = []
        if not has_front:
            missing.append("a usable front photo (required)")
        if not has_side:
            missing.append("a side profile (recommended)")
        out.append(
            {
                "person_index": person,
                "usable": len(usable),
                "uploaded": len(mine),
                "has_front": has_front,
                "missing": missing,
            }
        )
    return out


def item_data(item: Item, request=None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "product_line": item.product_line,
        "product_line_name": item.get_product_line_display(),
        "height_mm": item.height_mm,
        "persons": item.persons,
        "style": item.style,
        "notes": item.notes,
        "price_cents": item.price_cents,
        "status": item.status,
        "accepts_photos": item.takes_photos,
        "photos": [photo_data(p, request) for p in item.photos.all()],
        "photo_needs": photo_needs(item),
        "revisions": [],  # the rounds and the parcels are the higher apps': glue.order_page fills them
        "ready_for_design_at": item.ready_for_design_at,
        "preview_due_at": item.preview_due_at,
        "approved_at": item.approved_at,
        "delivery_estimate": delivery_estimate(item),
        "tracking": [],
    }


def timeline(order: Order, *, staff: bool = False) -> list[dict[str, Any]]:
    """The order's timeline: for staff the full log (every event, with its subject, states and actor);
    for the customer their own few lines, each fact once (``orders.customer_timeline``, as the portal
    shows it): ``{date, type, item_id, text}``."""
    if not staff:
        items = list(order.items.all())
        names = {item.pk: f"{item.get_product_line_display()} · {item.height_mm} mm" for item in items}
        return customer_timeline(order, item_names=names)
    return [
        {
            "date": e.date,
            "type": e.type,
            "item_id": e.item_id,
            "text": event_text(e, order),
            "subject": e.subject,
            "subject_id": e.subject_id,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
        }
        for e in OrderEvent.objects.filter(order=order).order_by("date", "id")
    ]


def event_text(event: OrderEvent, order: Order) -> str:
    """One line of the staff's log, in words."""
    p = event.parameters or {}
    if event.type == "order_placed":
        return "Order placed."
    if event.type == "payment_recorded":
        return f"Payment received ({money(int(p.get('amount_cents') or 0), order.currency)})."
    if event.type == "refund_recorded":
        return f"Refund issued ({money(int(p.get('amount_cents') or 0), order.currency)})."
    if event.type == "payment_failed":
        return "The payment did not go through; please try again."
    if event.type == "photo_uploaded":
        label = KIND_LABELS.get(p.get("kind", ""), "Photo")
        return f"{label} uploaded" + (" — usable." if p.get("usable") else " — needs a retake.")
    if event.type == "status_changed":
        what = {"order": "Order", "item": "Figurine", "revision": "Design preview", "print_job": "Print"}.get(
            event.subject, event.subject.capitalize()
        )
        return f"{what} {event.to_status.replace('_', ' ')}."
    return event.type.replace("_", " ").capitalize() + "."


def payments_data(order: Order) -> list[dict[str, Any]]:
    """The order's payments, oldest first (``order_get_for_request`` prefetched them in that order)."""
    return [
        {
            "kind": p.kind,
            "provider": p.provider,
            "method": p.method,
            "status": p.status,
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "created_at": p.created_at,
        }
        for p in order.payments.all()
    ]


def order_detail(order: Order, request=None, *, staff: bool = False) -> dict[str, Any]:
    """The order's own part of the customer's order page: items, photos, payments, timeline.

    Each item's ``revisions`` and ``tracking`` (and the order's ``tracking``) are left empty here:
    they belong to the revisions and printing apps, and ``glue.order_page`` fills them in.
    """
    items = [item_data(item, request) for item in order.items.all()]
    due = [i["preview_due_at"] for i in items if i["preview_due_at"]]
    estimates = [i["delivery_estimate"] for i in items if i["delivery_estimate"]]
    return {
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "subtotal_cents": order.subtotal_cents,
        "shipping_cents": order.shipping_cents,
        "total_cents": order.total_cents,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "customer": {"email": order.customer.email, "name": order.customer.name},
        "shipping_address": {
            "name": order.ship_name,
            "line1": order.ship_line1,
            "line2": order.ship_line2,
            "city": order.ship_city,
            "postcode": order.ship_postcode,
            "country": order.ship_country,
        },
        "payment_mode": "stripe" if stripe_online() else "offline",
        "items": items,
        "payments": payments_data(order),
        "events": timeline(order, staff=staff),
        "preview_due_at": min(due) if due else None,
        "delivery_estimate": {
            "earliest": min(e["earliest"] for e in estimates),
            "latest": max(e["latest"] for e in estimates),
        }
        if estimates
        else None,
        "tracking": [],
    }


def photo_guidance() -> list[dict[str, Any]]:
    return [{"kind": kind, **PHOTO_GUIDANCE[kind]} for kind in PHOTO_GUIDANCE]


def next_steps(order: Order) -> list[str]:
    """What happens next, in the customer's words."""
    if order.status == "pending_payment":
        return [
            "Pay for your order (or wait for us to confirm your offline payment).",
            "Upload a clear front photo of each person; a side profile helps.",
        ]
    if order.status in ("cancelled", "refunded"):
        return [f"This order is {order.status}. Questions? Reply to our e-mail."]
    steps = []
    statuses = {i.status for i in order.items.all()}
    if "awaiting_photos" in statuses:
        steps.append("Upload a usable front photo for each figurine; we start as soon as it is in.")
    if statuses & {"ready_for_design", "reconstructing", "sculpting"}:
        steps.append(f"Our sculptors are preparing your 3D preview (due within {preview_promise_text()}).")
    if "in_review" in statuses:
        steps.append("Your 3D preview is ready: review it, then approve it or ask for changes.")
    if "changes_requested" in statuses:
        steps.append("We are working on the changes you asked for.")
    if statuses & {"approved", "in_production"}:
        # whether a print job is printing yet is the printing app's: the portal's stepper says it
        steps.append(
            f"Your design is approved and goes to print; delivery {delivery_promise_text()} after approval."
        )
    if "shipped" in statuses:
        steps.append("Your figurine is on its way (see tracking below).")
    return steps or ["Nothing to do right now; we will e-mail you at each step."]
