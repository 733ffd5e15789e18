"""The studio's promises are one rule each: changing a setting changes what customers read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string

from orders import promises
from orders.selectors import next_steps
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_default_promises_in_words():
    assert promises.preview_promise_text() == "48 business hours"
    assert promises.delivery_promise_text() == "2–4 weeks"


def test_the_delivery_window_follows_the_settings(settings):
    settings.DELIVERY_EARLIEST_DAYS, settings.DELIVERY_LATEST_DAYS = 10, 20
    approved = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert promises.delivery_window(approved) == (
        approved + timedelta(days=10),
        approved + timedelta(days=20),
    )
    assert promises.delivery_promise_text() == "10–20 days"


def test_the_preview_due_time_counts_business_hours_of_the_setting(settings):
    settings.STUDIO_TIME_ZONE, settings.STUDIO_COUNTRY = "UTC", "US"
    settings.PREVIEW_DUE_BUSINESS_HOURS = 24
    friday_noon = datetime(2026, 3, 6, 12, tzinfo=UTC)
    assert promises.preview_due_after(friday_noon) == datetime(2026, 3, 9, 12, tzinfo=UTC)  # weekend off
    settings.PREVIEW_DUE_BUSINESS_HOURS = 48
    assert promises.preview_due_after(friday_noon) == datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_emails_and_portal_texts_render_the_settings(settings):
    settings.PREVIEW_DUE_BUSINESS_HOURS = 24
    settings.DELIVERY_EARLIEST_DAYS, settings.DELIVERY_LATEST_DAYS = 21, 35
    item = ItemFactory(status="sculpting", order__status="in_design")
    context = {
        "order": item.order,
        "customer": item.order.customer,
        "items": [item],
        "portal_url": "x",
        "days": 90,
    }
    for template in ("emails/order_confirmation.txt", "emails/order_paid.txt"):
        text = render_to_string(template, context)
        assert "24 business hours" in text and "3–5 weeks" in text, template
        assert "48 business hours" not in text and "2–4 weeks" not in text, template
    assert any("24 business hours" in step for step in next_steps(item.order))
    assert not mail.outbox
