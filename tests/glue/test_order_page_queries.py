"""The customer's order page runs the same number of queries for one figurine as for five.

Both doors are measured: the API (``GET /api/v1/orders/{number}/``) and the portal page
(``/portal/orders/{number}/``), each item with photos, a published round, and one shipped parcel.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from orders import events
from orders.auth import portal_token_issue
from orders.models import ItemStatus, OrderStatus, Payment, PaymentStatus, Photo
from printing.models import PrintJobStatus
from revisions.models import RevisionStatus
from tests.factories import ItemFactory, OrderFactory, PrintJobFactory, RevisionFactory

pytestmark = pytest.mark.django_db


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 120, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _order_with_items(count: int):
    """A paid order of `count` figurines: each with two photos and a published round; the first shipped."""
    order = OrderFactory(status=OrderStatus.IN_DESIGN)
    Payment.objects.create(
        order=order, provider="offline", status=PaymentStatus.SUCCEEDED, amount_cents=order.total_cents
    )
    events.order_placed_event(order=order, actor="customer", items=count, total_cents=order.total_cents)
    for index in range(count):
        item = ItemFactory(order=order, status=ItemStatus.IN_REVIEW, persons=1 + index % 2)
        for kind, shade in (("front", 10 * index), ("side", 10 * index + 5)):
            Photo.objects.create(
                item=item,
                kind=kind,
                image=ContentFile(_jpeg(shade), name=f"{kind}.jpg"),
                sha256=f"{index}{kind}",
                is_usable=True,
                report={"acceptable": True, "issues": []},
            )
        revision = RevisionFactory(item=item, status=RevisionStatus.PUBLISHED, published_at=timezone.now())
        if index == 0:
            PrintJobFactory(
                revision=revision,
                item=item,
                status=PrintJobStatus.SHIPPED,
                carrier="DHL",
                tracking_number=f"JD{order.pk:06d}",
                shipped_at=timezone.now(),
            )
    return order


def _api_queries(client, order) -> tuple[int, dict]:
    raw = portal_token_issue(customer=order.customer, order=order)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/orders/{order.number}/", HTTP_AUTHORIZATION=f"Portal {raw}")
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def _portal_queries(client, order) -> int:
    raw = portal_token_issue(customer=order.customer, order=order)
    assert client.get(f"/portal/login/{raw}/").status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/portal/orders/{order.number}/")
    assert response.status_code == 200
    return len(queries)


def test_the_api_order_page_runs_as_many_queries_for_five_items_as_for_one(client):
    one, one_body = _api_queries(client, _order_with_items(1))
    five, five_body = _api_queries(client, _order_with_items(5))
    assert len(one_body["items"]) == 1 and len(five_body["items"]) == 5
    assert all(len(item["photos"]) == 2 and len(item["revisions"]) == 1 for item in five_body["items"])
    assert [len(item["tracking"]) for item in five_body["items"]] == [1, 0, 0, 0, 0]
    assert len(five_body["tracking"]) == 1 and len(five_body["payments"]) == 1
    assert five == one, f"{one} queries for one item, {five} for five"


def test_the_portal_order_page_runs_as_many_queries_for_five_items_as_for_one(client):
    one = _portal_queries(client, _order_with_items(1))
    five = _portal_queries(client, _order_with_items(5))
    assert five == one, f"{one} queries for one item, {five} for five"


def test_staff_read_the_order_page_in_as_many_queries_for_five_items_as_for_one(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("operator-q", is_staff=True))
    counts = []
    for count in (1, 5):
        order = _order_with_items(count)
        with CaptureQueriesContext(connection) as api:
            assert client.get(f"/api/v1/orders/{order.number}/").status_code == 200
        with CaptureQueriesContext(connection) as page:
            assert client.get(f"/portal/orders/{order.number}/").status_code == 200
        counts.append((len(api), len(page)))
    assert counts[0] == counts[1], counts
