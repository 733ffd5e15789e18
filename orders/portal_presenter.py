"""What the customer's order page says about each figurine, in the customer's words.

One table per rule, each in one place:

* ``STEP_OF_STATUS`` — which step of the progress stepper (photos → design → your review → printing →
  shipped → delivered) an item's status is on; :func:`item_step` is the only reader of it;
* ``ORDER_BADGES`` / :func:`item_badge` — the badges;
* ``PRINT_STAGE_OF_JOB`` — how far the print of an approved design is, from its print jobs' states
  (strings: the print jobs are the printing app's, which glue asks and hands in here);
* ``CARRIER_TRACKING_URLS`` — the carriers' tracking pages (an unknown carrier: no link).

Dates are the studio's (its time zone, ``STUDIO_TIME_ZONE``, with its abbreviation where a time is given),
the time zone every promise of ``orders.promises`` is counted in.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format

from orders.models import ItemStatus, OrderStatus
from orders.promises import delivery_promise_text, preview_promise_text

I = ItemStatus  # noqa: E741

#: The stepper, in order: (key, label).
STEPS: tuple[tuple[str, str], ...] = (
    ("photos", "Photos"),
    ("design", "Design"),
    ("review", "Your review"),
    ("printing", "Printing"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
)
STEP_LABELS = dict(STEPS)

#: The step each item status is on (a cancelled item is on none). Changes requested: the design is
#: back with the sculptor, so the customer waits for the next preview.
STEP_OF_STATUS: dict[str, str] = {
    I.AWAITING_PHOTOS: "photos",
    I.READY_FOR_DESIGN: "design",
    I.RECONSTRUCTING: "design",
    I.SCULPTING: "design",
    I.CHANGES_REQUESTED: "design",
    I.IN_REVIEW: "review",
    I.APPROVED: "printing",
    I.IN_PRODUCTION: "printing",
    I.SHIPPED: "shipped",
    I.DELIVERED: "delivered",
}

#: The order's badge: (text, tone). Tones are the portal's badge classes ("" neutral, ok, warn, err).
ORDER_BADGES: dict[str, tuple[str, str]] = {
    OrderStatus.PENDING_PAYMENT: ("Awaiting payment", "warn"),
    OrderStatus.PAID: ("Paid", "ok"),
    OrderStatus.IN_DESIGN: ("In design", "ok"),
    OrderStatus.APPROVED: ("Approved", "ok"),
    OrderStatus.IN_PRODUCTION: ("In production", "ok"),
    OrderStatus.SHIPPED: ("Shipped", "ok"),
    OrderStatus.DELIVERED: ("Delivered", "ok"),
    OrderStatus.CANCELLED: ("Cancelled", "err"),
    OrderStatus.REFUNDED: ("Refunded", "err"),
}

#: An item's badge by status, in the customer's words (awaiting photos depends on the photos and the
#: payment: see :func:`item_badge`).
ITEM_BADGES: dict[str, tuple[str, str]] = {
    I.AWAITING_PHOTOS: ("Awaiting photos", "warn"),
    I.READY_FOR_DESIGN: ("In design", ""),
    I.RECONSTRUCTING: ("In design", ""),
    I.SCULPTING: ("In design", ""),
    I.CHANGES_REQUESTED: ("Working on your changes", ""),
    I.IN_REVIEW: ("Your review is needed", "warn"),
    I.APPROVED: ("Approved", "ok"),
    I.IN_PRODUCTION: ("In production", "ok"),
    I.SHIPPED: ("Shipped", "ok"),
    I.DELIVERED: ("Delivered", "ok"),
    I.CANCELLED: ("Cancelled", "err"),
}

#: How far an approved design's print is, from a live print job's state: queued (also on a tray,
#: waiting for the printer), printing, or printed (checked and packed). Failed, cancelled and shipped
#: jobs say nothing here (a failed print is replaced by a reprint, which is queued in turn).
PRINT_STAGE_OF_JOB: dict[str, int] = {
    "queued": 0,
    "batched": 0,
    "printing": 1,
    "printed": 2,
    "qc_passed": 2,
    "packed": 2,
}
PRINT_STAGE_TEXTS = (
    "Approved — your figurine is queued for printing.",
    "Your approved design is being printed.",
    "Printed — we are checking and packing your figurine.",
)

#: Carriers' public tracking pages; the key is the carrier's name in lower case, letters and digits only.
CARRIER_TRACKING_URLS: dict[str, str] = {
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    "dhlexpress": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "parcelforce": "https://www.parcelforce.com/track-trace?trackNumber={number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{number}",
    "gls": "https://gls-group.com/GROUP/en/parcel-tracking?match={number}",
    "postnl": "https://jouw.postnl.nl/track-and-trace/{number}",
    "canadapost": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
    "australiapost": "https://auspost.com.au/mypost/track/details/{number}",
    "auspost": "https://auspost.com.au/mypost/track/details/{number}",
}


def item_step(status: str) -> str | None:
    """The stepper's step of an item in `status` (None: cancelled, on no step)."""
    return STEP_OF_STATUS.get(status)


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for `number`, or None for a carrier not in the table."""
    key = re.sub(r"[^a-z0-9]", "", (carrier or "").lower())
    template = CARRIER_TRACKING_URLS.get(key)
    if not template or not number:
        return None
    return template.format(number=quote(number.strip(), safe=""))


def studio_date(value: datetime | date | None, *, with_time: bool = False) -> str:
    """A date as the customer reads it, in the studio's time zone: "Tue 8 Dec" (", 5:00 PM EST")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value, ZoneInfo(settings.STUDIO_TIME_ZONE))
        return date_format(value, "D j M, g:i A T" if with_time else "D j M")
    return date_format(value, "D j M")


def order_badge(status: str) -> dict[str, str]:
    text, tone = ORDER_BADGES.get(status, (status.replace("_", " ").capitalize(), ""))
    return {"text": text, "tone": tone}


def _photos_in(item: dict[str, Any]) -> bool:
    """Every person of the item has a usable front photo (what design needs from the customer)."""
    needs = item.get("photo_needs") or []
    return bool(needs) and all(need["has_front"] for need in needs)


def item_badge(item: dict[str, Any], *, paid: bool) -> dict[str, str]:
    """The item's badge: "Awaiting payment" once its photos are in but the order is not paid."""
    if item["status"] == I.AWAITING_PHOTOS and _photos_in(item) and not paid:
        return {"text": "Awaiting payment", "tone": "warn"}
    text, tone = ITEM_BADGES.get(item["status"], (item["status"].replace("_", " ").capitalize(), ""))
    return {"text": text, "tone": tone}


def print_stage(job_statuses: list[str]) -> int:
    """How far the print is (an index of ``PRINT_STAGE_TEXTS``): the most advanced live job's stage;
    0 (queued) when no job is live yet."""
    stages = [PRINT_STAGE_OF_JOB[s] for s in job_statuses if s in PRINT_STAGE_OF_JOB]
    return max(stages, default=0)


def mark_replaced_photos(photos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``replaced`` on each unusable photo a usable one of the same kind and person came after."""
    for photo in photos:
        photo["replaced"] = not photo["usable"] and any(
            other["usable"]
            and other["kind"] == photo["kind"]
            and other["person_index"] == photo["person_index"]
            and (other["uploaded_at"], other["id"]) > (photo["uploaded_at"], photo["id"])
            for other in photos
        )
    return photos


def _delivery_text(item: dict[str, Any]) -> str:
    estimate = item.get("delivery_estimate")
    if not estimate:
        return ""
    return f"Expected delivery {studio_date(estimate['earliest'])} – {studio_date(estimate['latest'])}."


def _status_text(
    item: dict[str, Any], step: str, *, paid: bool, next_preview_due: datetime | None, job_statuses: list[str]
) -> tuple[str, str]:
    """(what is happening now, the promise that goes with it), for the item on `step`."""
    status = item["status"]
    if step == "photos":
        if _photos_in(item):
            return "Your photos are in.", "We start on your design as soon as your payment is in."
        start = "as soon as it is in" if paid else "as soon as it and your payment are in"
        return "We need a clear front photo of each person.", f"We start on your design {start}."
    if step == "design":
        due = next_preview_due if status == I.CHANGES_REQUESTED else item.get("preview_due_at")
        now = (
            "Your sculptor has your changes."
            if status == I.CHANGES_REQUESTED
            else "Our sculptors are preparing your 3D preview."
        )
        if due:
            which = "next preview" if status == I.CHANGES_REQUESTED else "preview"
            return now, f"Your {which} is due by {studio_date(due, with_time=True)}."
        return now, f"Your preview is due within {preview_promise_text()}."
    if step == "review":
        return "Your 3D preview is ready.", "Approve it, or tell us what to change: revisions are free."
    if step == "printing":
        return PRINT_STAGE_TEXTS[print_stage(job_statuses)], _delivery_text(item)
    if step == "shipped":
        return "Your figurine is on its way.", _delivery_text(item)
    return "Delivered — we hope you love it.", ""


#: What the customer can expect from the step after each one.
NEXT_STEP_TEXTS: dict[str, str] = {
    "photos": f"Design: your 3D preview is due within {preview_promise_text()} of your photos and payment.",
    "design": "Your review: we e-mail you as soon as your preview is ready.",
    "review": f"Printing: nothing is printed before you approve; delivery {delivery_promise_text()} after approval.",
    "printing": "Shipped: worldwide and tracked; we e-mail you the tracking number.",
    "shipped": "Delivered: the carrier's tracking page shows when it arrives.",
}


def item_progress(
    item: dict[str, Any],
    *,
    paid: bool,
    job_statuses: list[str] | None = None,
    next_preview_due: datetime | None = None,
) -> dict[str, Any]:
    """The stepper and status texts of one item (an item of ``orders.selectors.order_detail``).

    `job_statuses`: the states of the item's print jobs; `next_preview_due`: when the next preview is
    due after the customer's last request for changes (both from the higher apps, through glue).
    """
    step = item_step(item["status"])
    badge = item_badge(item, paid=paid)
    if step is None:
        return {
            "badge": badge,
            "step": None,
            "steps": [],
            "now": "This figurine was cancelled.",
            "promise": "",
            "next": "",
        }
    keys = [key for key, _ in STEPS]
    current = keys.index(step)
    steps = [
        {
            "key": key,
            "label": label,
            "state": "done" if i < current else "current" if i == current else "upcoming",
        }
        for i, (key, label) in enumerate(STEPS)
    ]
    now, promise = _status_text(
        item, step, paid=paid, next_preview_due=next_preview_due, job_statuses=job_statuses or []
    )
    return {
        "badge": badge,
        "step": step,
        "step_label": STEP_LABELS[step],
        "steps": steps,
        "now": now,
        "promise": promise,
        "next": NEXT_STEP_TEXTS.get(step, ""),
    }


def shipping_address_lines(address: dict[str, str]) -> list[str]:
    """The order's shipping address as printed lines (empty parts left out)."""
    city = " ".join(part for part in (address.get("postcode"), address.get("city")) if part)
    lines = [
        address.get("name"),
        address.get("line1"),
        address.get("line2"),
        city,
        (address.get("country") or "").upper(),
    ]
    return [line for line in lines if line]


def present_order(
    detail: dict[str, Any],
    *,
    paid: bool,
    jobs_by_item: dict[int, list[str]] | None = None,
    next_preview_due_by_item: dict[int, datetime | None] | None = None,
) -> dict[str, Any]:
    """Decorate the order page's `detail` for the portal: each item's ``progress``, its photos'
    ``replaced`` flag, each parcel's ``tracking_url``; the order's ``badge`` and address lines."""
    jobs_by_item = jobs_by_item or {}
    next_preview_due_by_item = next_preview_due_by_item or {}
    for item in detail["items"]:
        mark_replaced_photos(item["photos"])
        for parcel in item.get("tracking") or []:
            parcel["tracking_url"] = tracking_url(parcel.get("carrier"), parcel.get("tracking_number"))
        item["progress"] = item_progress(
            item,
            paid=paid,
            job_statuses=jobs_by_item.get(item["id"], []),
            next_preview_due=next_preview_due_by_item.get(item["id"]),
        )
    detail["badge"] = order_badge(detail["status"])
    detail["address_lines"] = shipping_address_lines(detail.get("shipping_address") or {})
    return detail
