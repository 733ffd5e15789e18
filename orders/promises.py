"""The studio's two promises to a customer, each computed here and nowhere else.

* a design preview within ``PREVIEW_DUE_BUSINESS_HOURS`` business hours (the studio's working days,
  time zone and public holidays) of the moment the studio owes one: the item ready for design, or
  the customer's request for changes;
* delivery ``DELIVERY_EARLIEST_DAYS`` to ``DELIVERY_LATEST_DAYS`` days after approval.

Templates and e-mails print the same figures through ``{% load promises %}`` (``{% preview_promise %}``,
``{% delivery_promise %}``), so changing a setting changes what customers read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from studio.business_time import add_business_hours


def preview_due_after(start: datetime) -> datetime:
    """When a preview owed since `start` is due (business hours in the studio's calendar)."""
    return add_business_hours(
        start,
        settings.PREVIEW_DUE_BUSINESS_HOURS,
        tz=settings.STUDIO_TIME_ZONE,
        country=settings.STUDIO_COUNTRY,
    )


def delivery_window(approved_at: datetime) -> tuple[datetime, datetime]:
    """The promised delivery after an approval at `approved_at`: (earliest, latest)."""
    return (
        approved_at + timedelta(days=settings.DELIVERY_EARLIEST_DAYS),
        approved_at + timedelta(days=settings.DELIVERY_LATEST_DAYS),
    )


def item_delivery_window(item) -> tuple[datetime, datetime] | None:
    """An item's promised delivery (earliest, latest), from its approval; None before approval."""
    return delivery_window(item.approved_at) if item.approved_at else None


def delivery_promise_text() -> str:
    """The delivery promise in words, e.g. '2–4 weeks' (days when the settings are not whole weeks)."""
    early, late = settings.DELIVERY_EARLIEST_DAYS, settings.DELIVERY_LATEST_DAYS
    if early % 7 == 0 and late % 7 == 0:
        return f"{early // 7}–{late // 7} weeks"
    return f"{early}–{late} days"


def delivery_latest_text() -> str:
    """The latest promised delivery in words, e.g. '4 weeks' (a print job is due then)."""
    late = settings.DELIVERY_LATEST_DAYS
    return f"{late // 7} weeks" if late % 7 == 0 else f"{late} days"


def preview_promise_text() -> str:
    """The preview promise in words, e.g. '48 business hours'."""
    return f"{settings.PREVIEW_DUE_BUSINESS_HOURS:g} business hours"
