"""The Stripe webhook: signatures, each event once, out-of-order and concurrent deliveries, refunds."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from orders.models import Order, OrderEvent, Payment, StripeEvent
from tests.orders.helpers import WEBHOOK_SECRET, place_order, post_event, session_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(client) -> Order:
    return Order.objects.get(number=place_order(client)["number"])


def paid_transitions(order: Order) -> int:
    return OrderEvent.objects.filter(order=order, subject="order", to_status="paid").count()


def test_completed_paid_session_pays_the_order_once(
    client, order, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, session_event("evt_1", order.number, order.total_cents))
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "paid"
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    payment = Payment.objects.get(order=order)
    assert (payment.kind, payment.status, payment.amount_cents) == ("charge", "succeeded", order.total_cents)
    assert payment.stripe_payment_intent_id == "pi_test_1"
    assert ("orders.tasks.send_order_email_task", (order.pk, "paid"), None) in enqueued
    # The same event delivered again: acknowledged, nothing more happens.
    again = post_event(client, session_event("evt_1", order.number, order.total_cents))
    assert again.status_code == 200 and again.json()["outcome"].startswith("duplicate")
    assert Payment.objects.filter(order=order).count() == 1
    assert paid_transitions(order) == 1
    assert StripeEvent.objects.filter(event_id="evt_1").count() == 1


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        ("tamper", "does not match"),
        ("stale", "tolerance"),
        ("wrong_secret", "does not match"),
        ("missing", "Missing Stripe-Signature"),
    ],
)
def test_bad_signatures_are_refused_with_400_and_change_nothing(client, order, mutate, fragment):
    event = session_event("evt_bad", order.number, order.total_cents)
    payload = json.dumps(event).encode()
    headers = {"HTTP_STRIPE_SIGNATURE": sign(payload)}
    if mutate == "tamper":
        payload = payload.replace(
            b'"amount_total": ' + str(order.total_cents).encode(), b'"amount_total": 99999999'
        )
    elif mutate == "stale":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(payload, timestamp=int(time.time()) - 3600)
    elif mutate == "wrong_secret":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(payload, secret="whsec_someone_else")
    else:
        headers = {}
    response = client.post("/webhooks/stripe/", data=payload, content_type="application/json", **headers)
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()


def test_webhook_refuses_everything_when_no_secret_is_configured(client, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_event(client, session_event("evt_x", order.number, order.total_cents))
    assert response.status_code == 400 and "not configured" in response.json()["message"]


def test_completed_with_unpaid_status_does_not_fulfil(client, order):
    response = post_event(
        client, session_event("evt_u", order.number, order.total_cents, payment_status="unpaid")
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "pending_payment" and order.paid_at is None
    assert Payment.objects.get(order=order).status == "pending"


def test_async_success_then_completion_ends_paid_once(client, order):
    # Stripe may deliver the async success before the completion (which still says "unpaid").
    succeeded = session_event(
        "evt_a", order.number, order.total_cents, type="checkout.session.async_payment_succeeded"
    )
    assert post_event(client, succeeded).json()["outcome"] == "paid"
    late = session_event("evt_c", order.number, order.total_cents, payment_status="unpaid")
    assert post_event(client, late).status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(order=order).count() == 1
    assert Payment.objects.get(order=order).status == "succeeded"
    assert paid_transitions(order) == 1


def test_unpaid_completion_then_async_success_pays(client, order):
    post_event(client, session_event("evt_c", order.number, order.total_cents, payment_status="unpaid"))
    post_event(
        client,
        session_event(
            "evt_s", order.number, order.total_cents, type="checkout.session.async_payment_succeeded"
        ),
    )
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get(order=order).status == "succeeded"


def test_async_failure_leaves_the_order_unpaid_and_a_late_failure_cannot_undo_a_payment(client, order):
    post_event(client, session_event("evt_c", order.number, order.total_cents, payment_status="unpaid"))
    failed = session_event(
        "evt_f", order.number, order.total_cents, type="checkout.session.async_payment_failed"
    )
    assert post_event(client, failed).json()["outcome"] == "payment failed"
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert Payment.objects.get(order=order).status == "failed"
    # A new session paid later still pays the order.
    post_event(
        client,
        session_event(
            "evt_p", order.number, order.total_cents, session_id="cs_test_2", payment_intent="pi_2"
        ),
    )
    order.refresh_from_db()
    assert order.status == "paid"
    late_fail = session_event(
        "evt_f2",
        order.number,
        order.total_cents,
        session_id="cs_test_2",
        type="checkout.session.async_payment_failed",
    )
    post_event(client, late_fail)
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get(stripe_checkout_session_id="cs_test_2").status == "succeeded"


def test_a_short_payment_does_not_fulfil(client, order):
    response = post_event(client, session_event("evt_s", order.number, order.total_cents - 100))
    assert "does not match" in response.json()["outcome"]
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_unknown_event_types_and_unknown_orders_are_acknowledged(client, order):
    response = post_event(
        client, {"id": "evt_n", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    )
    assert response.status_code == 200 and "not handled" in response.json()["outcome"]
    response = post_event(client, session_event("evt_o", "FS-NOSUCH", 100))
    assert response.status_code == 200 and "no matching order" in response.json()["outcome"]


def test_full_refund_event_refunds_the_order_and_cancels_unprinted_items(client, order):
    post_event(client, session_event("evt_1", order.number, order.total_cents))
    refund = {
        "id": "evt_r1",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_test_1",
                "amount": order.total_cents,
                "amount_refunded": order.total_cents,
                "refunded": True,
            }
        },
    }
    assert post_event(client, refund).json()["outcome"] == "refunded"
    # Stripe also sends the refund object itself: the same refund is not counted twice.
    refund_obj = {
        "id": "evt_r2",
        "type": "refund.updated",
        "data": {
            "object": {
                "id": "re_1",
                "object": "refund",
                "payment_intent": "pi_test_1",
                "amount": order.total_cents,
                "status": "succeeded",
            }
        },
    }
    assert post_event(client, refund_obj).status_code == 200
    order.refresh_from_db()
    assert order.status == "refunded"
    refunds = Payment.objects.filter(order=order, kind="refund")
    assert refunds.count() == 1 and refunds.get().stripe_refund_id == "re_1"
    assert set(order.items.values_list("status", flat=True)) == {"cancelled"}


def test_partial_refund_is_recorded_without_refunding_the_order(client, order):
    post_event(client, session_event("evt_1", order.number, order.total_cents))
    refund_obj = {
        "id": "evt_r",
        "type": "refund.created",
        "data": {
            "object": {
                "id": "re_p",
                "object": "refund",
                "payment_intent": "pi_test_1",
                "amount": 1000,
                "status": "succeeded",
            }
        },
    }
    assert "refunded 1000" in post_event(client, refund_obj).json()["outcome"]
    order.refresh_from_db()
    assert order.status == "paid"


@pytest.mark.postgres
def test_twenty_concurrent_deliveries_of_one_event_fulfil_once(require_postgres, enqueued, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    number = place_order(Client())["number"]
    order = Order.objects.get(number=number)
    event = session_event("evt_race", number, order.total_cents)
    payload = json.dumps(event).encode()
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            response = Client().post(
                "/webhooks/stripe/",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(payload),
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 20
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(order=order).count() == 1
    assert paid_transitions(order) == 1
    assert StripeEvent.objects.filter(event_id="evt_race").count() == 1


@pytest.mark.postgres
def test_concurrent_completed_and_async_success_fulfil_once(require_postgres, enqueued, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    number = place_order(Client())["number"]
    order = Order.objects.get(number=number)
    events = [
        session_event(
            f"evt_{i}",
            number,
            order.total_cents,
            type="checkout.session.completed" if i % 2 else "checkout.session.async_payment_succeeded",
        )
        for i in range(10)
    ]
    barrier = threading.Barrier(len(events))

    def deliver(event) -> None:
        try:
            barrier.wait(timeout=30)
            post_event(Client(), event)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(order=order).count() == 1
    assert paid_transitions(order) == 1
    assert StripeEvent.objects.count() == len(events)


def test_a_refund_delivered_before_the_payment_is_applied_once_the_payment_arrives(client, order):
    refund = {
        "id": "evt_early_refund",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_9",
                "object": "charge",
                "payment_intent": "pi_test_1",
                "amount": order.total_cents,
                "amount_refunded": order.total_cents,
                "refunded": True,
            }
        },
    }
    assert post_event(client, refund).json()["outcome"].startswith("deferred")
    order.refresh_from_db()
    assert order.status == "pending_payment"
    response = post_event(client, session_event("evt_paid_late", order.number, order.total_cents))
    assert response.json()["outcome"] == "paid; then refunded"
    order.refresh_from_db()
    assert order.status == "refunded"
    assert Payment.objects.filter(order=order, kind="charge").count() == 1
    assert Payment.objects.filter(order=order, kind="refund").count() == 1
    assert StripeEvent.objects.get(event_id="evt_early_refund").outcome == "replayed: refunded"
    # Delivered again, the early refund changes nothing.
    assert post_event(client, refund).json()["outcome"].startswith("duplicate")
    assert Payment.objects.filter(order=order, kind="refund").count() == 1
