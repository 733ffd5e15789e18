"""The order's timeline as the customer reads it: a few meaningful lines, in the customer's words.

The order's log (``OrderEvent``) records every move, the studio's internal ones too (checks,
reconstruction, print files, QC, e-mails, tokens). Staff keep that full log (the admin and the staff API).
The customer's timeline shows only what ``CUSTOMER_EVENTS`` names — one table: an event's
(type, subject, new status) to its line — and each fact once: a payment recorded twice, a round
published again, a parcel shipped again show one line; consecutive photo uploads of a figurine show
one line. An event type that is not in the table (new, internal, or a studio failure) is never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kits.photo import KIND_LABELS
from orders.models import Order, OrderEvent
from orders.templatetags.portal import money

Text = Callable[[OrderEvent, Order], str]


@dataclass(frozen=True)
class CustomerLine:
    text: Text
    #: what makes two events the same fact, shown once: a key from the event and how many Design
    #: Guarantee claims its figurine had before it (None: every event is its own fact)
    once: Callable[[OrderEvent, int], Any] | None = None


def _amount(event: OrderEvent, order: Order) -> str:
    return money(int((event.parameters or {}).get("amount_cents") or 0), order.currency)


def _round(event: OrderEvent) -> str:
    number = (event.parameters or {}).get("round")
    return f" (round {number})" if number is not None else ""


def _shipped(event: OrderEvent, order: Order) -> str:
    p = event.parameters or {}
    carrier, number = p.get("carrier") or "", p.get("tracking_number") or ""
    text = f"Shipped with {carrier}" if carrier else "Shipped"
    return f"{text}, tracking number {number}." if number else f"{text}."


def _kind(event: OrderEvent) -> str:
    return KIND_LABELS.get((event.parameters or {}).get("kind", ""), "Photo").lower()


def _photos(event: OrderEvent, order: Order) -> str:
    return f"Photos received: {_kind(event)}."


def _same_status(event: OrderEvent, claims: int) -> tuple:
    return ("status", event.subject, event.subject_id, event.to_status)


def _per_figurine_and_claim(event: OrderEvent, claims: int) -> tuple:
    """Printing and shipping: once per figurine, and again only after a Design Guarantee claim (a
    reprint after the studio's own QC failure is not news to the customer)."""
    return (event.subject, event.to_status, event.item_id, claims)


#: (type, subject, to_status) -> the customer's line; "" matches any subject / no status.
CUSTOMER_EVENTS: dict[tuple[str, str, str], CustomerLine] = {
    ("order_placed", "", ""): CustomerLine(lambda e, o: "Order placed.", once=lambda e, c: "placed"),
    ("payment_recorded", "", ""): CustomerLine(
        lambda e, o: f"Payment received: {_amount(e, o)}.",
        once=lambda e, c: ("payment", (e.parameters or {}).get("payment_id") or e.pk),
    ),
    ("payment_failed", "", ""): CustomerLine(
        lambda e, o: "Your payment did not go through; please try again."
    ),
    ("refund_recorded", "", ""): CustomerLine(
        lambda e, o: f"Refund issued: {_amount(e, o)}.",
        once=lambda e, c: ("refund", (e.parameters or {}).get("payment_id") or e.pk),
    ),
    ("photo_uploaded", "", ""): CustomerLine(_photos),
    ("status_changed", "item", "ready_for_design"): CustomerLine(
        lambda e, o: "Your photos are good: design has started.", once=_same_status
    ),
    ("status_changed", "revision", "published"): CustomerLine(
        lambda e, o: f"Your 3D preview is ready{_round(e)}.", once=_same_status
    ),
    ("status_changed", "revision", "changes_requested"): CustomerLine(
        lambda e, o: f"You sent your changes{_round(e)}.", once=_same_status
    ),
    ("status_changed", "revision", "approved"): CustomerLine(
        lambda e, o: f"You approved the design{_round(e)}.", once=_same_status
    ),
    ("status_changed", "print_job", "printing"): CustomerLine(
        lambda e, o: "Printing started.", once=_per_figurine_and_claim
    ),
    ("status_changed", "print_job", "shipped"): CustomerLine(_shipped, once=_per_figurine_and_claim),
    ("status_changed", "item", "delivered"): CustomerLine(
        lambda e, o: "Delivered.", once=_per_figurine_and_claim
    ),
    ("status_changed", "order", "cancelled"): CustomerLine(
        lambda e, o: "Order cancelled.", once=_same_status
    ),
    ("guarantee_claim", "item", "approved"): CustomerLine(
        lambda e, o: "Your Design Guarantee claim was approved: a free reprint is on its way.",
        once=lambda e, c: ("claim", (e.parameters or {}).get("claim_id") or e.pk, e.to_status),
    ),
    ("guarantee_claim", "item", "declined"): CustomerLine(
        lambda e, o: (
            f"Your Design Guarantee claim was declined: {(e.parameters or {}).get('reason', '')}".strip()
        ),
        once=lambda e, c: ("claim", (e.parameters or {}).get("claim_id") or e.pk, e.to_status),
    ),
    ("guarantee_claim", "", ""): CustomerLine(
        lambda e, o: "We received your Design Guarantee claim.",
        once=lambda e, c: ("claim", (e.parameters or {}).get("claim_id") or e.pk),
    ),
}


def customer_line(event: OrderEvent) -> CustomerLine | None:
    """The table's line for `event`, or None: not the customer's."""
    return CUSTOMER_EVENTS.get((event.type, event.subject, event.to_status)) or CUSTOMER_EVENTS.get(
        (event.type, "", "")
    )


def customer_timeline(order: Order, *, item_names: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The customer's lines, oldest first: ``{date, type, item_id, text}`` (one query).

    `item_names` (item id -> "Solo portrait · 150 mm"): on an order of several figurines each
    figurine's line says which one it is.
    """
    item_names = item_names or {}
    seen: set = set()
    claims: dict[int | None, int] = {}
    lines: list[dict[str, Any]] = []
    for event in OrderEvent.objects.filter(order=order).order_by("date", "id"):
        line = customer_line(event)
        if line is None:
            continue
        key = line.once(event, claims.get(event.item_id, 0)) if line.once else ("event", event.pk)
        if key in seen:
            continue
        seen.add(key)
        if event.type == "guarantee_claim" and not event.to_status:  # a claim made, not its review
            claims[event.item_id] = claims.get(event.item_id, 0) + 1
        last = lines[-1] if lines else None
        if (
            event.type == "photo_uploaded"
            and last
            and last["type"] == event.type
            and last["item_id"] == event.item_id
        ):
            if _kind(event) not in last["kinds"]:
                last["kinds"].append(_kind(event))
            last["text"] = f"Photos received: {', '.join(last['kinds'])}."
            continue
        lines.append(
            {
                "date": event.date,
                "type": event.type,
                "item_id": event.item_id,
                "text": line.text(event, order),
                "kinds": [_kind(event)] if event.type == "photo_uploaded" else [],
            }
        )
    for entry in lines:
        name = item_names.get(entry["item_id"]) if len(item_names) > 1 else None
        if name:
            entry["text"] = f"{entry['text'].rstrip('.')} — {name}."
        del entry["kinds"]
    return lines
