"""An item moves to ready_for_design when paid and with a usable front photo; its preview is due 48 business hours on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from orders.models import Order
from orders.services import order_mark_paid_offline
from studio.business_time import business_hours_between
from tests.kits.photo.images import blurred, encode, figure_photo, photo_jpeg
from tests.orders.helpers import place_order, portal_header, post_event, session_event, upload

pytestmark = pytest.mark.django_db


def _assert_ready(item) -> None:
    assert item.status == "ready_for_design"
    assert item.ready_for_design_at is not None
    hours = business_hours_between(
        item.ready_for_design_at,
        item.preview_due_at,
        tz=settings.STUDIO_TIME_ZONE,
        country=settings.STUDIO_COUNTRY,
    )
    assert hours == pytest.approx(48, abs=1e-6)
    assert item.preview_due_at - item.ready_for_design_at >= timedelta(hours=48)


def test_paid_then_front_photo_makes_the_item_ready(client, enqueued, django_capture_on_commit_callbacks):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    post_event(client, session_event("evt_1", order.number, order.total_cents))
    item = order.items.get()
    assert item.status == "awaiting_photos"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client, data["number"], item.pk, photo_jpeg(), **portal_header(data["portal_token"])
        )
    assert response.status_code == 201
    item.refresh_from_db()
    _assert_ready(item)
    order.refresh_from_db()
    assert order.status == "in_design"
    assert ("reconstruction.tasks.reconstruct_item", (item.pk,), settings.RECONSTRUCTION_QUEUE) in enqueued


def test_front_photo_then_payment_makes_the_item_ready(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    upload(client, data["number"], item.pk, photo_jpeg(), **portal_header(data["portal_token"]))
    item.refresh_from_db()
    assert item.status == "awaiting_photos"  # not paid yet
    order_mark_paid_offline(order_id=order.pk)
    item.refresh_from_db()
    _assert_ready(item)


def test_an_unusable_or_side_photo_does_not_make_it_ready(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    order_mark_paid_offline(order_id=order.pk)
    item = order.items.get()
    auth = portal_header(data["portal_token"])
    upload(client, data["number"], item.pk, photo_jpeg(seed=1), kind="side", **auth)
    upload(client, data["number"], item.pk, encode(blurred(figure_photo(seed=2), 6.0), "JPEG"), **auth)
    item.refresh_from_db()
    assert item.status == "awaiting_photos" and item.preview_due_at is None


def test_a_couple_needs_a_front_photo_of_each_person(client, enqueued):
    data = place_order(client, items=[{"product_line": "couple", "height_mm": 100, "persons": 2}])
    order = Order.objects.get(number=data["number"])
    order_mark_paid_offline(order_id=order.pk)
    item = order.items.get()
    auth = portal_header(data["portal_token"])
    upload(client, data["number"], item.pk, photo_jpeg(seed=1), person_index=0, **auth)
    item.refresh_from_db()
    assert item.status == "awaiting_photos"
    upload(client, data["number"], item.pk, photo_jpeg(seed=2), person_index=1, **auth)
    item.refresh_from_db()
    _assert_ready(item)
