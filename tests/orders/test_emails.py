"""Customer e-mails: the confirmation with its magic link, and the paid e-mail (once)."""

from __future__ import annotations

import pytest
from django.core import mail

from orders.models import Order
from orders.services import order_mark_paid_offline
from orders.tasks import send_order_email_task
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


def test_confirmation_lists_items_totals_and_the_working_magic_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = place_order(client, items=[{"product_line": "family", "height_mm": 100, "persons": 3}])
    body = mail.outbox[0].body
    assert "Family set, 100 mm, 3 persons" in body
    assert "$417.00" in body  # 3 x $139
    link = next(line.strip() for line in body.splitlines() if "/portal/login/" in line)
    assert link == data["portal_url"]
    response = client.get(link.removeprefix("http://testserver"))
    assert response.status_code == 302 and response["Location"] == f"/portal/orders/{data['number']}/"


def test_paid_email_is_sent_once_with_the_order_page(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    order_mark_paid_offline(order_id=order.pk)
    mail.outbox.clear()
    assert send_order_email_task(order.pk, "paid") is True
    assert send_order_email_task(order.pk, "paid") is False  # a redelivered task sends nothing
    assert len(mail.outbox) == 1
    assert data["number"] in mail.outbox[0].subject
    assert f"/portal/orders/{data['number']}/" in mail.outbox[0].body
