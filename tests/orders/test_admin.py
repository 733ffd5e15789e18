"""Operator actions in the admin: mark paid offline, refund, re-issue and revoke portal links."""

from __future__ import annotations

import pytest
from django.core import mail

from orders.auth import hash_token, portal_token_resolve
from orders.models import Order, Payment, PortalToken
from tests.factories import staff_user
from tests.orders.helpers import place_order, portal_sign_in, sign_in_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    # No password: hashing one costs a second per test, and force_login does not need it.
    client.force_login(staff_user("boss", is_superuser=True))
    return client


def _action(client, model: str, action: str, pks: list[int]):
    return client.post(f"/admin/orders/{model}/", {"action": action, "_selected_action": pks}, follow=True)


def test_mark_paid_offline_then_refund_offline(operator_client, enqueued):
    data = place_order(operator_client)
    order = Order.objects.get(number=data["number"])
    response = _action(operator_client, "order", "mark_paid_offline", [order.pk])
    assert response.status_code == 200 and "1 order(s) marked paid" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    charge = Payment.objects.get(order=order, kind="charge")
    assert (charge.provider, charge.status, charge.amount_cents) == (
        "offline",
        "succeeded",
        order.total_cents,
    )
    assert charge.recorded_by.username == "boss"
    # Marking it paid again is refused, per order, with a message.
    again = _action(operator_client, "order", "mark_paid_offline", [order.pk])
    assert "not awaiting payment" in again.content.decode()
    assert Payment.objects.filter(order=order).count() == 1

    _action(operator_client, "order", "refund_orders", [order.pk])
    order.refresh_from_db()
    assert order.status == "refunded"
    refund = Payment.objects.get(order=order, kind="refund")
    assert (refund.provider, refund.amount_cents) == ("offline", order.total_cents)
    assert set(order.items.values_list("status", flat=True)) == {"cancelled"}


def test_refund_of_an_unpaid_order_is_refused(operator_client):
    data = place_order(operator_client)
    order = Order.objects.get(number=data["number"])
    response = _action(operator_client, "order", "refund_orders", [order.pk])
    assert "cannot be refunded" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_reissue_revokes_old_links_and_emails_a_new_one(operator_client):
    data = place_order(operator_client)
    token = PortalToken.objects.get(token_hash=hash_token(data["portal_token"]))
    mail.outbox.clear()
    _action(operator_client, "portaltoken", "reissue_portal_links", [token.pk])
    assert portal_token_resolve(data["portal_token"]) is None
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    new_link = sign_in_link(body)
    assert data["portal_token"] not in body
    anonymous = operator_client.__class__()
    assert portal_sign_in(anonymous, new_link)["Location"] == f"/portal/orders/{data['number']}/"
    # the links sent before (here: the order's answer) were revoked with the token
    assert operator_client.__class__().post(sign_in_link(data["portal_url"])).status_code == 410


def test_revoke_action(operator_client):
    data = place_order(operator_client)
    token = PortalToken.objects.get(token_hash=hash_token(data["portal_token"]))
    _action(operator_client, "portaltoken", "revoke_portal_links", [token.pk])
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = operator_client.__class__().get(
        f"/api/v1/orders/{data['number']}/", HTTP_AUTHORIZATION=f"Portal {data['portal_token']}"
    )
    assert api.status_code == 401


def test_admin_pages_render(operator_client):
    data = place_order(operator_client)
    order = Order.objects.get(number=data["number"])
    for url in (
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/orders/portaltoken/",
        "/admin/orders/payment/",
        "/admin/orders/stripeevent/",
        "/admin/orders/customer/",
    ):
        assert operator_client.get(url).status_code == 200, url


def test_the_sent_emails_are_listed_read_only(admin_client):
    from orders.models import Notification

    Notification.objects.create(kind="order_paid", key="FS-1", recipient="ana@example.com", status="sent")
    page = admin_client.get("/admin/orders/notification/")
    assert page.status_code == 200 and "ana@example.com" in page.content.decode()
    assert admin_client.get("/admin/orders/notification/add/").status_code == 403
