"""Who sees which order: portal tokens, the single-use sign-in link and its session, staff; and what the order shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.auth import SESSION_KEY, hash_token, portal_token_find, portal_token_resolve
from orders.models import Order, OrderEvent, PortalToken
from orders.services import order_mark_paid_offline, portal_token_reissue
from tests.factories import PrintJobFactory, RevisionFactory, staff_user
from tests.orders.helpers import place_order, portal_header, portal_sign_in, sign_in_link

pytestmark = pytest.mark.django_db


def test_a_customer_sees_only_their_own_order(client):
    ada = place_order(client, email="ada@example.com")
    bob = place_order(client, email="bob@example.com")
    own = client.get(f"/api/v1/orders/{ada['number']}/", **portal_header(ada["portal_token"]))
    assert own.status_code == 200 and own.json()["number"] == ada["number"]
    other = client.get(f"/api/v1/orders/{bob['number']}/", **portal_header(ada["portal_token"]))
    assert other.status_code == 404
    assert "bob@example.com" not in other.content.decode()
    assert client.get(f"/api/v1/orders/{ada['number']}/").status_code in (401, 403)


def test_an_order_placed_with_someone_elses_email_does_not_open_their_orders(client):
    first = place_order(client, email="ada@example.com")
    second = place_order(client, email="ada@example.com")  # anyone can type this address
    response = client.get(f"/api/v1/orders/{first['number']}/", **portal_header(second["portal_token"]))
    assert response.status_code == 404
    # The sign-in link of the second order opens that order only, in the portal and the API.
    portal_sign_in(client, second["portal_url"])
    assert client.get(f"/portal/orders/{first['number']}/").status_code == 404
    assert client.get(f"/api/v1/orders/{first['number']}/").status_code == 404
    # An operator's re-issued link goes to the address itself, and opens all of the customer's orders.
    customer = Order.objects.get(number=first["number"]).customer
    mail.outbox.clear()
    assert portal_token_reissue(customer_id=customer.pk) is True
    assert mail.outbox[0].to == ["ada@example.com"]
    owner = client.__class__()
    portal_sign_in(owner, sign_in_link(mail.outbox[0].body))
    for number in (first["number"], second["number"]):
        assert owner.get(f"/api/v1/orders/{number}/").status_code == 200
        assert owner.get(f"/portal/orders/{number}/").status_code == 200


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_expired_and_revoked_tokens_are_refused(client, state):
    data = place_order(client)
    token = PortalToken.objects.get(token_hash=hash_token(data["portal_token"]))
    if state == "expired":
        token.expires_at = timezone.now() - timedelta(minutes=1)
    else:
        token.revoked_at = timezone.now()
    token.save()
    api = client.get(f"/api/v1/orders/{data['number']}/", **portal_header(data["portal_token"]))
    assert api.status_code == 401
    assert "expired or was revoked" in api.json()["message"]
    # a portal token never works as a sign-in link
    link = client.post(f"/portal/login/{data['portal_token']}/")
    assert link.status_code == 404
    assert SESSION_KEY not in client.session


def test_magic_link_sets_a_session_and_redirects_to_a_clean_url(client):
    data = place_order(client)
    path = sign_in_link(data["portal_url"])
    assert data["portal_token"] not in data["portal_url"]
    confirm = client.get(path)  # opening the link (or a mail scanner fetching it) spends nothing
    assert confirm.status_code == 200 and "Sign in and open my order" in confirm.content.decode()
    assert SESSION_KEY not in client.session and confirm["Referrer-Policy"] == "strict-origin"
    response = client.post(path)
    assert response.status_code == 303
    assert response["Location"] == f"/portal/orders/{data['number']}/"
    assert data["portal_token"] not in response["Location"] and path not in response["Location"]
    assert response["Referrer-Policy"] == "strict-origin"
    assert client.session[SESSION_KEY] == Order.objects.get(number=data["number"]).customer_id
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert data["number"] in html and data["portal_token"] not in html and path not in html
    assert "Awaiting offline payment" in html and 'name="image"' in html
    # The session also authenticates the API.
    assert client.get(f"/api/v1/orders/{data['number']}/").status_code == 200


def test_unknown_link_is_404_and_pages_without_a_session_are_401(client):
    assert client.get("/portal/login/not-a-real-token/").status_code == 404
    data = place_order(client)
    assert client.get(f"/portal/orders/{data['number']}/").status_code == 401


def test_a_session_customer_gets_404_for_other_orders_in_the_portal(client):
    mine = place_order(client, email="ada@example.com")
    theirs = place_order(client, email="bob@example.com")
    portal_sign_in(client, mine["portal_url"])
    assert client.get(f"/portal/orders/{theirs['number']}/").status_code == 404


def test_a_get_never_writes(client):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    before = (
        OrderEvent.objects.count(),
        order.updated_at,
        list(PortalToken.objects.values_list("last_used_at", flat=True)),
    )
    for _ in range(2):
        assert (
            client.get(f"/api/v1/orders/{data['number']}/", **portal_header(data["portal_token"])).status_code
            == 200
        )
    order.refresh_from_db()
    after = (
        OrderEvent.objects.count(),
        order.updated_at,
        list(PortalToken.objects.values_list("last_used_at", flat=True)),
    )
    assert before == after


def test_staff_see_any_order_with_the_full_timeline(client):
    data = place_order(client)
    staff = staff_user("operator1", "Operators")
    client.force_login(staff)
    response = client.get(f"/api/v1/orders/{data['number']}/")
    assert response.status_code == 200
    assert any(e["type"] == "order_placed" for e in response.json()["events"])


def test_the_customer_timeline_leaves_out_the_studios_internal_rounds(client):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    for to in ("checking", "ready", "rejected", "superseded", "published", "approved"):
        OrderEvent.objects.create(
            order=order, item=item, subject="revision", subject_id=7, type="status_changed", to_status=to
        )
    body = client.get(f"/api/v1/orders/{data['number']}/", **portal_header(data["portal_token"])).json()
    seen = [e["text"] for e in body["events"] if e["item_id"] == item.pk]
    assert seen == ["Your 3D preview is ready.", "You approved the design."]
    client.force_login(staff_user("sculptor1", "Sculptors"))
    staff = client.get(f"/api/v1/orders/{data['number']}/").json()
    assert len([e for e in staff["events"] if e["subject"] == "revision"]) == 6


def test_order_detail_lists_items_photos_published_revisions_payments_and_tracking(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    order_mark_paid_offline(order_id=order.pk)
    hidden = RevisionFactory(item=item, number=0)
    shown = RevisionFactory(item=item, number=1, published_at=timezone.now())
    job = PrintJobFactory(revision=shown, item=item)
    job.carrier, job.tracking_number = "DHL", "JD0123456789"
    job.save()
    body = client.get(f"/api/v1/orders/{data['number']}/", **portal_header(data["portal_token"])).json()
    assert body["status"] == "paid"
    assert [(i["id"], i["status"]) for i in body["items"]] == [(item.pk, "awaiting_photos")]
    revisions = body["items"][0]["revisions"]
    assert [r["id"] for r in revisions] == [shown.pk] and hidden.pk not in [r["id"] for r in revisions]
    assert {"id", "number", "status", "preview_url"} <= set(revisions[0])
    assert revisions[0]["portal_url"] == f"/portal/revisions/{shown.pk}/"
    assert [(p["kind"], p["provider"], p["status"]) for p in body["payments"]] == [
        ("charge", "offline", "succeeded")
    ]
    assert body["tracking"] == [
        {"carrier": "DHL", "tracking_number": "JD0123456789", "shipped_at": None, "is_reprint": False}
    ]
    assert [(e["type"], e["text"]) for e in body["events"]] == [
        ("order_placed", "Order placed."),
        ("payment_recorded", f"Payment received: ${order.total_cents / 100:,.2f}."),
    ]
    assert all(set(e) == {"date", "type", "item_id", "text"} for e in body["events"])  # no actors
    assert body["delivery_estimate"] is None and body["preview_due_at"] is None


def test_back_from_checkout_the_page_refreshes_until_the_payment_is_confirmed(client, enqueued):
    data = place_order(client)
    portal_sign_in(client, data["portal_url"])
    waiting = client.get(f"/portal/orders/{data['number']}/?checkout=success").content.decode()
    assert 'http-equiv="refresh"' in waiting and "confirming your payment" in waiting
    order_mark_paid_offline(order_id=Order.objects.get(number=data["number"]).pk)
    paid = client.get(f"/portal/orders/{data['number']}/?checkout=success").content.decode()
    assert 'http-equiv="refresh"' not in paid and "Paid" in paid


def test_the_header_reads_a_token_through_one_lookup_and_a_token_is_no_sign_in_link(client):
    data = place_order(client)
    raw = data["portal_token"]
    token = portal_token_find(raw)
    assert token is not None and token.order.number == data["number"] and portal_token_resolve(raw) == token
    PortalToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert portal_token_find(raw) == token and portal_token_resolve(raw) is None  # known, but revoked
    assert client.get(f"/api/v1/orders/{data['number']}/", **portal_header(raw)).status_code == 401
    assert client.get(f"/portal/login/{raw}/").status_code == 404
    for unknown in ("", "x" * 201, "not-a-token"):
        assert portal_token_find(unknown) is None and portal_token_resolve(unknown) is None
