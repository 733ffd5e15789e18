"""The single-use sign-in link: it signs in once, then shows how to get a new one; the long-lived
portal token never appears in a URL, an e-mail or a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from orders.auth import SESSION_KEY, SESSION_ORDER_KEY, hash_token, portal_login_link_issue
from orders.models import Order, PortalLoginLink
from orders.services import (
    LoginLinkSpent,
    order_mark_paid_offline,
    portal_login_link_spend,
    portal_token_reissue,
)
from orders.tasks import send_order_email_task
from studio.errors import NotFound
from tests.orders.helpers import place_order, portal_sign_in, sign_in_link

pytestmark = pytest.mark.django_db


def _link(code: str) -> PortalLoginLink:
    return PortalLoginLink.objects.get(code_hash=hash_token(code))


def test_the_link_signs_in_once_then_shows_the_friendly_page_and_sets_no_session(client, settings):
    data = place_order(client)
    path = sign_in_link(data["portal_url"])
    first = portal_sign_in(client, path)
    assert first["Location"] == f"/portal/orders/{data['number']}/"
    order = Order.objects.get(number=data["number"])
    assert client.session[SESSION_KEY] == order.customer_id and client.session[SESSION_ORDER_KEY] == order.pk
    assert abs(client.session.get_expiry_age() - settings.PORTAL_SESSION_DAYS * 24 * 3600) <= 5
    assert _link(path.split("/")[-2]).used_at is not None
    for method in ("get", "post"):  # a second use, opening or pressing the button: refused
        again = Client()
        response = getattr(again, method)(path)
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link was already used" in html and 'action="/portal/login/"' in html
        assert 'name="email"' in html and response["Referrer-Policy"] == "strict-origin"
        assert SESSION_KEY not in again.session
        assert again.get(f"/portal/orders/{data['number']}/").status_code == 401


def test_opening_the_link_spends_nothing(client):
    customer = Order.objects.get(number=place_order(client)["number"]).customer
    code = portal_login_link_issue(customer=customer)
    for _ in range(3):  # a mail scanner, a preview, the customer
        assert Client().get(f"/portal/login/{code}/").status_code == 200
    assert _link(code).used_at is None
    assert SESSION_KEY not in client.session


def test_an_expired_link_is_refused_and_sets_no_session(client):
    customer = Order.objects.get(number=place_order(client)["number"]).customer
    code = portal_login_link_issue(customer=customer)
    PortalLoginLink.objects.filter(code_hash=hash_token(code)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    fresh = Client()
    for method in ("get", "post"):
        response = getattr(fresh, method)(f"/portal/login/{code}/")
        assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert SESSION_KEY not in fresh.session and _link(code).used_at is None


def test_an_unknown_link_is_refused_with_the_same_page(client):
    for code in ("not-a-real-code", "x" * 250):
        response = client.post(f"/portal/login/{code}/")
        assert response.status_code == 404 and 'name="email"' in response.content.decode()
    assert SESSION_KEY not in client.session


def test_spending_a_link_twice_is_refused_and_changes_nothing(client):
    customer = Order.objects.get(number=place_order(client)["number"]).customer
    code = portal_login_link_issue(customer=customer)
    spent = portal_login_link_spend(raw_code=code)
    used_at = _link(code).used_at
    assert spent.customer == customer and used_at is not None
    with pytest.raises(LoginLinkSpent) as refused:
        portal_login_link_spend(raw_code=code)
    assert refused.value.reason == "used" and refused.value.status_code == 410
    assert _link(code).used_at == used_at
    with pytest.raises(NotFound):
        portal_login_link_spend(raw_code="unknown")


def test_a_new_link_is_emailed_to_a_known_address_and_the_answer_is_the_same_for_an_unknown_one(client):
    first = place_order(client, email="ada@example.com")
    second = place_order(client, email="ada@example.com")
    mail.outbox.clear()
    known = client.post("/portal/login/", {"email": "Ada@Example.com"})
    unknown = client.post("/portal/login/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content  # no one learns which addresses order here
    assert "we have just e-mailed it a new sign-in link" in known.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    body = mail.outbox[0].body
    assert first["portal_token"] not in body and second["portal_token"] not in body
    browser = Client()
    portal_sign_in(browser, sign_in_link(body))
    # the inbox is proven: the link opens every order of that address
    for number in (first["number"], second["number"]):
        assert browser.get(f"/portal/orders/{number}/").status_code == 200


def test_link_requests_are_rate_limited_per_address_with_the_same_answer(client, settings):
    settings.PORTAL_LINK_REQUESTS_PER_HOUR = 2
    place_order(client, email="ada@example.com")
    mail.outbox.clear()
    answers = [client.post("/portal/login/", {"email": "ada@example.com"}).content for _ in range(4)]
    assert len(set(answers)) == 1 and len(mail.outbox) == 2
    assert PortalLoginLink.objects.filter(reason="requested").count() == 2


def test_link_requests_are_rate_limited_per_client_address(client, settings):
    settings.PORTAL_LINK_REQUESTS_PER_IP_HOUR = 3
    for n in range(5):
        place_order(client, email=f"c{n}@example.com")
    mail.outbox.clear()
    for n in range(5):
        assert (
            client.post(
                "/portal/login/", {"email": f"c{n}@example.com"}, REMOTE_ADDR="198.51.100.7"
            ).status_code
            == 200
        )
    assert len(mail.outbox) == 3
    assert (
        client.post("/portal/login/", {"email": "c4@example.com"}, REMOTE_ADDR="198.51.100.8").status_code
        == 200
    )
    assert len(mail.outbox) == 4


@pytest.mark.parametrize("email", ["", "not-an-address", "a" * 250 + "@example.com"])
def test_a_bad_address_gets_a_400_with_a_message_and_sends_nothing(client, email):
    place_order(client)
    mail.outbox.clear()
    before = PortalLoginLink.objects.count()
    response = client.post("/portal/login/", {"email": email})
    assert (
        response.status_code == 400
        and "Enter the e-mail address you ordered with" in response.content.decode()
    )
    assert not mail.outbox and PortalLoginLink.objects.count() == before


def test_the_sign_in_pages_render(client):
    page = client.get("/portal/login/")
    assert page.status_code == 200 and 'name="email"' in page.content.decode()
    signed_out = client.get("/portal/")
    assert signed_out.status_code == 401 and 'action="/portal/login/"' in signed_out.content.decode()


def test_no_url_in_emails_pages_or_answers_carries_the_portal_token(
    client, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = place_order(client)
    token = data["portal_token"]
    order = Order.objects.get(number=data["number"])
    assert token not in data["portal_url"] and token not in (data["checkout_url"] or "")
    order_mark_paid_offline(order_id=order.pk)
    send_order_email_task(order.pk, "paid")
    portal_token_reissue(customer_id=order.customer_id, revoke_others=False)
    client.post("/portal/login/", {"email": order.customer.email})
    assert len(mail.outbox) == 4  # confirmation, paid, re-issued link, requested link
    links = [sign_in_link(message.body) for message in mail.outbox]
    assert len(set(links)) == 4  # each e-mail carries its own fresh link
    for message in mail.outbox:
        assert token not in message.body and token not in message.subject
    api = client.get(f"/api/v1/orders/{data['number']}/", HTTP_AUTHORIZATION=f"Portal {token}")
    assert api.status_code == 200 and token not in api.content.decode()
    browser = Client()
    pages = [browser.get(links[1]).content.decode()]  # the sign-in page
    portal_sign_in(browser, links[1])
    for path in ("/portal/", f"/portal/orders/{data['number']}/", f"/api/v1/orders/{data['number']}/"):
        response = browser.get(path)
        assert response.status_code == 200, path
        pages.append(response.content.decode())
    for page in pages:
        assert token not in page
