"""Customer e-mails: the confirmation with its sign-in link, and the paid e-mail (once), each with a fresh link."""

from __future__ import annotations

import pytest
from django.core import mail

from orders.models import Order
from orders.services import order_mark_paid_offline, order_refund, order_transition
from orders.tasks import send_order_email_task
from tests.orders.helpers import place_order, portal_sign_in, post_event, session_event, sign_in_link

pytestmark = pytest.mark.django_db


def test_confirmation_lists_items_totals_and_the_working_magic_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = place_order(client, items=[{"product_line": "family", "height_mm": 100, "persons": 3}])
    body = mail.outbox[0].body
    assert "Family set, 100 mm, 3 persons" in body
    assert "$417.00" in body  # 3 x $139
    link = sign_in_link(body)
    assert data["portal_token"] not in body and link != sign_in_link(data["portal_url"])
    response = portal_sign_in(client, link)
    assert response["Location"] == f"/portal/orders/{data['number']}/"


def test_paid_email_is_sent_once_with_the_order_page(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    order_mark_paid_offline(order_id=order.pk)
    mail.outbox.clear()
    assert send_order_email_task(order.pk, "paid") is True
    assert send_order_email_task(order.pk, "paid") is False  # a redelivered task sends nothing
    assert len(mail.outbox) == 1
    assert data["number"] in mail.outbox[0].subject
    body = mail.outbox[0].body
    assert data["portal_token"] not in body
    assert portal_sign_in(client, sign_in_link(body))["Location"] == f"/portal/orders/{data['number']}/"


def _run_email_tasks(enqueued) -> None:
    for func, args, _ in list(enqueued):
        if func == "orders.tasks.send_order_email_task":
            send_order_email_task(*args)
    enqueued.clear()


def test_a_failed_payment_is_told_once_per_attempt_with_the_way_to_pay_again(
    client, enqueued, django_capture_on_commit_callbacks
):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    mail.outbox.clear()
    for event_id, session in (("evt_c1", "cs_1"), ("evt_f1", "cs_1"), ("evt_f1b", "cs_1")):
        kind = "completed" if event_id == "evt_c1" else "async_payment_failed"
        with django_capture_on_commit_callbacks(execute=True):
            post_event(
                client,
                session_event(
                    event_id,
                    order.number,
                    order.total_cents,
                    session_id=session,
                    payment_status="unpaid",
                    type=f"checkout.session.{kind}",
                ),
            )
    assert ("orders.tasks.send_order_email_task", (order.pk, "payment_failed", "cs_1"), None) in enqueued
    _run_email_tasks(enqueued)  # the same failure delivered twice: one e-mail
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "did not go through" in message.subject and data["number"] in message.subject
    assert "nothing has been charged" in message.body
    assert "pay again" in message.body and data["portal_token"] not in message.body
    assert (
        portal_sign_in(client, sign_in_link(message.body))["Location"] == f"/portal/orders/{data['number']}/"
    )
    assert "$" in message.body
    # a second attempt that fails too is a new e-mail
    with django_capture_on_commit_callbacks(execute=True):
        post_event(
            client,
            session_event(
                "evt_f2",
                order.number,
                order.total_cents,
                session_id="cs_2",
                payment_intent="pi_2",
                type="checkout.session.async_payment_failed",
            ),
        )
    _run_email_tasks(enqueued)
    assert len(mail.outbox) == 2


def test_refund_e_mails_the_amount_once(client, enqueued, django_capture_on_commit_callbacks):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    order_mark_paid_offline(order_id=order.pk)
    mail.outbox.clear()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order_id=order.pk, reason="customer changed their mind")
    assert ("orders.tasks.send_order_email_task", (order.pk, "refunded"), None) in enqueued
    _run_email_tasks(enqueued)
    assert send_order_email_task(order.pk, "refunded") is False
    assert len(mail.outbox) == 1
    order.refresh_from_db()
    assert "refund" in mail.outbox[0].subject.lower()
    assert f"${order.total_cents / 100:.2f}" in mail.outbox[0].body


def test_cancelling_tells_the_customer_and_what_happens_to_their_money(
    client, enqueued, django_capture_on_commit_callbacks
):
    unpaid = Order.objects.get(number=place_order(client)["number"])
    paid = Order.objects.get(number=place_order(client, email="bo@example.com")["number"])
    order_mark_paid_offline(order_id=paid.pk)
    mail.outbox.clear()
    enqueued.clear()
    for order in (unpaid, paid):
        with django_capture_on_commit_callbacks(execute=True):
            order_transition(order_id=order.pk, to="cancelled", actor="operator")
    _run_email_tasks(enqueued)
    bodies = {m.to[0]: m for m in mail.outbox}
    assert set(bodies) == {"ada@example.com", "bo@example.com"}
    assert "cancelled" in bodies["ada@example.com"].subject
    assert "will be in touch" not in bodies["ada@example.com"].body
    assert (
        f"will be in touch about the ${paid.total_cents / 100:.2f} you paid" in bodies["bo@example.com"].body
    )


def test_a_late_failure_of_an_old_attempt_never_tells_a_paid_customer_to_pay_again(
    client, enqueued, django_capture_on_commit_callbacks
):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    with django_capture_on_commit_callbacks(execute=True):  # a bank debit, still pending
        post_event(
            client,
            session_event(
                "evt_c1", order.number, order.total_cents, session_id="cs_1", payment_status="unpaid"
            ),
        )
        # then the customer pays by card on a new session
        post_event(
            client,
            session_event(
                "evt_p2", order.number, order.total_cents, session_id="cs_2", payment_intent="pi_2"
            ),
        )
        post_event(
            client,
            session_event(
                "evt_f1",
                order.number,
                order.total_cents,
                session_id="cs_1",
                type="checkout.session.async_payment_failed",
            ),
        )
    order.refresh_from_db()
    assert order.status == "paid"
    assert not [args for func, args, _ in enqueued if args[1:2] == ("payment_failed",)]
    # and a failure e-mail task already queued before the payment landed sends nothing
    mail.outbox.clear()
    assert send_order_email_task(order.pk, "payment_failed", "cs_1") is False
    assert mail.outbox == []
