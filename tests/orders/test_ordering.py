"""Placing orders: catalog pricing for every line and size, shipping, the answer, the e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from orders.auth import hash_token
from orders.models import Customer, Order, OrderEvent, PortalToken, ShippingRule
from orders.services import ItemRequest, order_quote
from tests.orders.helpers import order_body, place_order, portal_sign_in, sign_in_link

pytestmark = pytest.mark.django_db

# DESIGN.md section 1: the default catalog, in dollars.
CATALOG = {
    "solo": {100: 149, 150: 229, 200: 329},
    "couple": {100: 259, 150: 399, 200: 569},
    "pet": {100: 149, 120: 189, 150: 239},
    "bust": {60: 149, 80: 189, 100: 239},
    "family": {100: 139, 150: 209, 200: 299},
}
CASES = [(line, height, dollars) for line, sizes in CATALOG.items() for height, dollars in sizes.items()]


@pytest.mark.parametrize(("line", "height", "dollars"), CASES)
def test_every_product_line_and_size_is_priced_from_the_catalog(line, height, dollars):
    persons = {"couple": 2, "family": 3}.get(line, 1)
    quote = order_quote(items=[ItemRequest(product_line=line, height_mm=height, persons=persons)])
    expected = dollars * 100 * (3 if line == "family" else 1)
    assert quote.items[0].unit_price_cents == dollars * 100
    assert quote.subtotal_cents == expected
    assert quote.shipping_cents == 0  # every default price is at least the $149 threshold
    assert quote.total_cents == expected


@pytest.mark.parametrize("persons", [2, 5, 8])
def test_family_set_is_priced_per_person(persons):
    quote = order_quote(items=[ItemRequest(product_line="family", height_mm=150, persons=persons)])
    assert quote.subtotal_cents == 20900 * persons


def test_shipping_is_a_flat_fee_below_the_threshold_and_free_from_it():
    ShippingRule.objects.update(active=False)
    ShippingRule.objects.create(name="test", flat_fee_cents=1500, free_from_cents=30000, active=True)
    below = order_quote(items=[ItemRequest(product_line="solo", height_mm=200)])  # $329 >= $300
    assert below.shipping_cents == 0
    small = order_quote(items=[ItemRequest(product_line="solo", height_mm=150)])  # $229 < $300
    assert (small.shipping_cents, small.total_cents) == (1500, 22900 + 1500)
    exact = order_quote(
        items=[
            ItemRequest(product_line="solo", height_mm=100),
            ItemRequest(product_line="solo", height_mm=100),
        ]
    )  # $298
    assert exact.shipping_cents == 1500
    ShippingRule.objects.filter(name="test").update(free_from_cents=29800)
    assert order_quote(items=[ItemRequest(product_line="solo", height_mm=100)] * 2).shipping_cents == 0


def test_post_orders_answers_number_token_link_and_totals(client, django_capture_on_commit_callbacks):
    body = order_body(
        items=[
            {"product_line": "solo", "height_mm": 150},
            {"product_line": "family", "height_mm": 100, "persons": 4, "style": "chibi"},
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert re.fullmatch(r"FS-[A-HJ-NP-Z2-9]{6}", data["number"])
    assert not set(data["number"][3:]) & set("01IO")
    assert data["status"] == "pending_payment"
    assert data["checkout_url"] is None  # offline: no Stripe key
    assert data["subtotal_cents"] == 22900 + 4 * 13900
    assert data["shipping_cents"] == 0
    assert data["total_cents"] == data["subtotal_cents"]
    assert [i["price_cents"] for i in data["items"]] == [22900, 55600]
    assert all(i["status"] == "awaiting_photos" and i["id"] for i in data["items"])
    # the answer's link is a single-use sign-in link, never the long-lived token
    assert data["portal_url"].startswith("http://testserver/portal/login/")
    assert data["portal_token"] not in data["portal_url"]
    assert len(data["portal_token"]) >= 40
    # Only the hash is stored, and the token opens only this order.
    token = PortalToken.objects.get()
    assert (
        token.token_hash == hash_token(data["portal_token"]) and data["portal_token"] not in token.token_hash
    )
    order = Order.objects.get(number=data["number"])
    assert token.order == order
    assert order.ship_country == "GB" and order.customer.name == "Ada Lovelace"
    assert OrderEvent.objects.filter(order=order, type="order_placed").count() == 1
    # The confirmation e-mail carries a sign-in link of its own (not the answer's, not the token).
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    body = mail.outbox[0].body
    assert data["portal_token"] not in body and sign_in_link(body) != sign_in_link(data["portal_url"])
    assert data["number"] in mail.outbox[0].subject
    assert portal_sign_in(client, sign_in_link(body))["Location"] == f"/portal/orders/{data['number']}/"


def test_the_same_email_reuses_the_customer(client):
    first = place_order(client, email="Sam@Example.com")
    second = place_order(client, email="sam@example.com")
    assert Customer.objects.count() == 1
    assert first["number"] != second["number"]


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([], "items"),
        ([{"product_line": "dragon", "height_mm": 150}], "product_line"),
        ([{"product_line": "solo", "height_mm": 175}], "175 mm is not available"),
        ([{"product_line": "family", "height_mm": 150, "persons": 1}], "persons"),
        ([{"product_line": "couple", "height_mm": 150, "persons": 3}], "persons"),
        ([{"product_line": "solo", "height_mm": "tall"}], "height_mm"),
        ([{"product_line": "solo", "height_mm": 150, "style": "cubist"}], "style"),
    ],
)
def test_bad_orders_get_a_clear_400_and_create_nothing(client, items, fragment):
    response = client.post("/api/v1/orders/", order_body(items=items), content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert Order.objects.count() == 0 and Customer.objects.count() == 0 and PortalToken.objects.count() == 0


def test_missing_customer_is_400_and_a_partial_address_too(client):
    response = client.post(
        "/api/v1/orders/",
        {"items": [{"product_line": "solo", "height_mm": 150}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "customer" in response.json()["message"]
    partial = client.post(
        "/api/v1/orders/",
        {
            "email": "a@example.com",
            "shipping_address": {"city": "Paris"},
            "items": [{"product_line": "solo", "height_mm": 150}],
        },
        content_type="application/json",
    )
    assert partial.status_code == 400
    assert "line1" in partial.json()["message"] and "country" in partial.json()["message"]
    assert Order.objects.count() == 0


def test_flat_customer_fields_are_accepted(client):
    body = order_body()
    customer = body.pop("customer")
    body.update(customer)
    response = client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 201


def test_order_placement_is_throttled(client, settings):
    settings.ORDER_CREATE_THROTTLE = "2/hour"
    assert client.post("/api/v1/orders/", order_body(), content_type="application/json").status_code == 201
    assert client.post("/api/v1/orders/", order_body(), content_type="application/json").status_code == 201
    third = client.post("/api/v1/orders/", order_body(), content_type="application/json")
    assert third.status_code == 429
    assert Order.objects.count() == 2
