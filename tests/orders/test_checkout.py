"""Stripe Checkout and refunds against a loopback test double (STRIPE_API_BASE points at it)."""

from __future__ import annotations

import pytest

from orders.models import Order, OrderEvent, Payment
from orders.services import order_refund
from tests.orders.helpers import place_order, portal_sign_in, post_event, session_event
from tests.orders.stripe_double import StripeDouble

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_double(settings):
    with StripeDouble() as double:
        settings.STRIPE_SECRET_KEY = "sk_test_studio"
        settings.STRIPE_API_BASE = double.url
        yield double


def test_order_gets_a_checkout_url_with_a_deterministic_idempotency_key(client, stripe_double):
    data = place_order(
        client, items=[{"product_line": "pet", "height_mm": 120}, {"product_line": "bust", "height_mm": 60}]
    )
    assert len(stripe_double.requests) == 1
    call = stripe_double.requests[0]
    assert call["path"] == "/v1/checkout/sessions"
    assert call["headers"]["idempotency-key"] == f"checkout-{data['number']}-{data['total_cents']}"
    assert call["headers"]["authorization"] == "Bearer sk_test_studio"
    form = call["form"]
    assert form["metadata[order_number]"] == data["number"]
    assert form["payment_intent_data[metadata][order_number]"] == data["number"]
    assert form["client_reference_id"] == data["number"]
    assert form["mode"] == "payment"
    assert form["customer_email"] == "ada@example.com"
    amounts = [int(v) for k, v in form.items() if k.endswith("[price_data][unit_amount]")]
    assert sorted(amounts) == [14900, 18900] and sum(amounts) == data["total_cents"]
    assert form["success_url"].endswith(f"/portal/orders/{data['number']}/?checkout=success")
    assert data["checkout_url"] == "https://checkout.stripe.test/c/pay/cs_test_1"
    order = Order.objects.get(number=data["number"])
    assert order.stripe_checkout_session_id == "cs_test_1"

    # Asking again while the session is valid gives the same URL without calling Stripe.
    again = client.post(
        f"/api/v1/orders/{data['number']}/checkout/", HTTP_AUTHORIZATION=f"Portal {data['portal_token']}"
    )
    assert again.status_code == 200 and again.json()["checkout_url"] == data["checkout_url"]
    assert len(stripe_double.requests) == 1


def test_portal_pay_button_redirects_to_checkout(client, stripe_double):
    data = place_order(client)
    portal_sign_in(client, data["portal_url"])
    response = client.post(f"/portal/orders/{data['number']}/pay/")
    assert response.status_code == 303
    assert response["Location"] == data["checkout_url"]


def test_stripe_refusing_the_checkout_still_creates_the_order(client, stripe_double):
    stripe_double.fail_with = (400, {"error": {"type": "invalid_request_error", "message": "No such price"}})
    data = place_order(client)
    assert data["checkout_url"] is None
    assert Order.objects.filter(number=data["number"], status="pending_payment").exists()
    # The portal tries again later, now successfully, with the same idempotency key.
    stripe_double.fail_with = None
    response = client.post(
        f"/api/v1/orders/{data['number']}/checkout/", HTTP_AUTHORIZATION=f"Portal {data['portal_token']}"
    )
    assert response.status_code == 200
    keys = {r["headers"]["idempotency-key"] for r in stripe_double.requests}
    assert keys == {f"checkout-{data['number']}-{data['total_cents']}"}


def test_operator_refund_goes_through_stripe_and_the_webhook_does_not_double_count(client, stripe_double):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    post_event(client, session_event("evt_paid", order.number, order.total_cents, payment_intent="pi_live"))
    payment = order_refund(order_id=order.pk, reason="customer changed their mind")
    call = stripe_double.requests[-1]
    assert call["path"] == "/v1/refunds"
    assert call["form"]["payment_intent"] == "pi_live"
    assert int(call["form"]["amount"]) == order.total_cents
    assert call["headers"]["idempotency-key"] == f"refund-{order.number}-{order.total_cents}"
    order.refresh_from_db()
    assert order.status == "refunded"
    assert (payment.kind, payment.status, payment.stripe_refund_id) == (
        "refund",
        "succeeded",
        payment.stripe_refund_id,
    )
    # Stripe then tells us about the same refund.
    event = {
        "id": "evt_ref",
        "type": "refund.updated",
        "data": {
            "object": {
                "id": payment.stripe_refund_id,
                "object": "refund",
                "payment_intent": "pi_live",
                "amount": order.total_cents,
                "status": "succeeded",
            }
        },
    }
    assert post_event(client, event).status_code == 200
    assert Payment.objects.filter(order=order, kind="refund").count() == 1
    assert OrderEvent.objects.filter(order=order, to_status="refunded", subject="order").count() == 1


def test_cancelling_an_order_closes_its_payment_page(client, stripe_double, enqueued):
    from orders.services import order_transition
    from orders.tasks import expire_checkout_task

    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    order_transition(order_id=order.pk, to="cancelled")
    assert expire_checkout_task(order.pk, "cancelled") is True
    assert (
        stripe_double.requests[-1]["path"]
        == f"/v1/checkout/sessions/{order.stripe_checkout_session_id}/expire"
    )
    order.refresh_from_db()
    assert order.stripe_checkout_url == ""
    assert OrderEvent.objects.filter(order=order, type="checkout_closed").count() == 1


def test_an_order_without_an_address_lets_checkout_collect_it(client, stripe_double, settings):
    response = client.post(
        "/api/v1/orders/",
        {"email": "min@example.com", "items": [{"product_line": "solo", "height_mm": 100}]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    form = stripe_double.requests[0]["form"]
    countries = [v for k, v in form.items() if k.startswith("shipping_address_collection[allowed_countries]")]
    assert "US" in countries and "DE" in countries and len(countries) == len(settings.SHIPPING_COUNTRIES)

    event = session_event("evt_addr", data["number"], data["total_cents"])
    event["data"]["object"]["collected_information"] = {
        "shipping_details": {
            "name": "Min Customer",
            "address": {"line1": "5 Harbour St", "city": "Hamburg", "postal_code": "20095", "country": "DE"},
        }
    }
    assert post_event(client, event).status_code == 200
    order = Order.objects.get(number=data["number"])
    assert (order.ship_name, order.ship_line1, order.ship_city, order.ship_country) == (
        "Min Customer",
        "5 Harbour St",
        "Hamburg",
        "DE",
    )
    assert order.status == "paid"


def test_an_order_with_an_address_keeps_it_and_checkout_does_not_ask(client, stripe_double):
    place_order(client)
    form = stripe_double.requests[0]["form"]
    assert not any(k.startswith("shipping_address_collection") for k in form)
