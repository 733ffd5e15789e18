"""Signed but malformed Stripe events: a clear 400 (or 200 and ignored for a type the studio does not
handle), never a 500, and nothing recorded (no event row, no payment, no order change)."""

from __future__ import annotations

import json

import pytest

from orders.models import Order, OrderEvent, Payment, StripeEvent
from tests.orders.helpers import WEBHOOK_SECRET, place_order, session_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def _post_raw(client, payload: bytes):
    return client.post(
        "/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )


def _session(number: str, **changes) -> dict:
    event = session_event("evt_bad", number, 22900)
    event["data"]["object"].update(changes)
    return event


def _malformed(number: str) -> list:
    no_id = _session(number)
    del no_id["data"]["object"]["id"]
    refund = {
        "id": "evt_refund_bad",
        "object": "event",
        "type": "refund.created",
        "data": {
            "object": {"id": "re_1", "object": "refund", "payment_intent": "pi_test_1", "currency": "usd"}
        },
    }
    as_string = session_event("evt_bad", number, 22900)
    as_string["data"]["object"] = "hello"
    as_list = session_event("evt_bad", number, 22900)
    as_list["data"]["object"] = [1, 2]
    return [
        [1, 2, 3],
        "hello",
        None,
        as_string,
        as_list,
        _session(number, metadata=["order_number", number]),
        no_id,
        _session(number, currency=5),
        refund,
    ]


CASES = [
    "list body",
    "string body",
    "null body",
    "data.object a string",
    "data.object a list",
    "metadata a list",
    "session without id",
    "currency a number",
    "refund without amount",
]


@pytest.mark.parametrize("case", range(len(CASES)), ids=CASES)
def test_a_malformed_signed_event_is_refused_and_records_nothing(client, case):
    number = place_order(client)["number"]
    before = (StripeEvent.objects.count(), Payment.objects.count(), OrderEvent.objects.count())
    status = Order.objects.get(number=number).status
    answer = _post_raw(client, json.dumps(_malformed(number)[case]).encode())
    assert answer.status_code == 400, answer.content
    assert answer.json()["message"]
    assert (StripeEvent.objects.count(), Payment.objects.count(), OrderEvent.objects.count()) == before
    assert Order.objects.get(number=number).status == status


def test_a_well_formed_event_still_takes_effect_once(client):
    number = place_order(client)["number"]
    payload = json.dumps(
        session_event("evt_ok", number, Order.objects.get(number=number).total_cents)
    ).encode()
    assert _post_raw(client, payload).status_code == 200
    assert _post_raw(client, payload).status_code == 200
    assert Order.objects.get(number=number).status == "paid"
    assert Payment.objects.filter(order__number=number).count() == 1
