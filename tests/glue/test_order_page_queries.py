"""The customer's order page runs the same number of queries for one figurine as for five.

Both doors are measured: the API (``GET /api/v1/orders/{number}/``) and the portal page
(``/portal/orders/{number}/``), each item with photos, a published round, and one shipped parcel.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.auth import portal_login_link_issue, portal_token_issue
from tests.factories import staff_user
from tests.glue.builders import order_with_items
from tests.orders.helpers import portal_sign_in

pytestmark = pytest.mark.django_db


def _api_queries(client, order) -> tuple[int, dict]:
    raw = portal_token_issue(customer=order.customer, order=order)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/orders/{order.number}/", HTTP_AUTHORIZATION=f"Portal {raw}")
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def _portal_queries(client, order) -> int:
    code = portal_login_link_issue(customer=order.customer, order=order)
    portal_sign_in(client, f"/portal/login/{code}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/portal/orders/{order.number}/")
    assert response.status_code == 200
    return len(queries)


def test_the_api_order_page_runs_as_many_queries_for_five_items_as_for_one(client):
    one, one_body = _api_queries(client, order_with_items(1))
    five, five_body = _api_queries(client, order_with_items(5))
    assert len(one_body["items"]) == 1 and len(five_body["items"]) == 5
    assert all(len(item["photos"]) == 2 and len(item["revisions"]) == 1 for item in five_body["items"])
    assert [len(item["tracking"]) for item in five_body["items"]] == [1, 0, 0, 0, 0]
    assert len(five_body["tracking"]) == 1 and len(five_body["payments"]) == 1
    assert five == one, f"{one} queries for one item, {five} for five"


def test_the_portal_order_page_runs_as_many_queries_for_five_items_as_for_one(client):
    one = _portal_queries(client, order_with_items(1))
    five = _portal_queries(client, order_with_items(5))
    assert five == one, f"{one} queries for one item, {five} for five"


def test_staff_read_the_order_page_in_as_many_queries_for_five_items_as_for_one(client):
    client.force_login(staff_user("operator-q", "Operators"))
    counts = []
    for count in (1, 5):
        order = order_with_items(count)
        with CaptureQueriesContext(connection) as api:
            assert client.get(f"/api/v1/orders/{order.number}/").status_code == 200
        with CaptureQueriesContext(connection) as page:
            assert client.get(f"/portal/orders/{order.number}/").status_code == 200
        counts.append((len(api), len(page)))
    assert counts[0] == counts[1], counts
