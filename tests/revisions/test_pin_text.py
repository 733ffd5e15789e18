"""A pin left without text is never dropped silently when the customer sends changes.

The server refuses the whole request (400, the pin named, nothing recorded), whoever sends it; the
preview page refuses before sending, with a visible message beside the pins (a real browser).
"""

from __future__ import annotations

import pytest

from orders.auth import portal_login_link_issue
from orders.models import ItemStatus, OrderEvent
from revisions.models import Feedback, Pin, RevisionStatus
from revisions.services import revision_publish
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.factories import CustomerFactory, ItemFactory, OrderFactory, UserFactory
from tests.revisions.conftest import make_ready_round

pytestmark = pytest.mark.django_db

GOOD = {"position": [0.0, -20.0, 20.0], "text": "Smaller nose"}


@pytest.fixture
def published(ready_round, sculptor):
    return revision_publish(revision_id=ready_round.pk, user=sculptor)


def _send(portal_client, revision, body):
    return portal_client.post(
        f"/api/v1/revisions/{revision.pk}/request-changes/", body, content_type="application/json"
    )


@pytest.mark.parametrize(
    "blank",
    [
        {"position": [1.0, -20.0, 22.0], "text": ""},
        {"position": [1.0, -20.0, 22.0], "text": "   \n "},
        {"position": [1.0, -20.0, 22.0]},
    ],
    ids=["empty", "spaces", "missing"],
)
def test_a_pin_without_text_refuses_the_whole_request_and_records_nothing(portal_client, published, blank):
    events = OrderEvent.objects.count()
    response = _send(portal_client, published, {"comment": "Two things.", "pins": [GOOD, blank]})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "Pin 2" in body["message"] and "comment" in body["message"]
    assert Feedback.objects.count() == 0 and Pin.objects.count() == 0
    assert OrderEvent.objects.count() == events
    published.refresh_from_db()
    published.item.refresh_from_db()
    assert published.status == RevisionStatus.PUBLISHED and published.item.status == ItemStatus.IN_REVIEW


def test_with_every_pin_written_the_changes_are_recorded_with_all_pins(portal_client, published, enqueued):
    second = {"position": [1.0, -20.0, 22.0], "text": "Longer hair"}
    response = _send(portal_client, published, {"comment": "", "pins": [GOOD, second]})
    assert response.status_code == 201, response.content
    (feedback,) = Feedback.objects.all()
    assert sorted(feedback.pins.values_list("text", flat=True)) == ["Longer hair", "Smaller nose"]


def test_the_preview_page_never_filters_out_blank_pins_before_sending(portal_client, published):
    """The page's script sends every pin (the server's rule is the backstop) and refuses blank ones
    itself; the browser test below drives it."""
    html = portal_client.get(f"/portal/revisions/{published.pk}/").content.decode()
    assert 'id="action-error"' in html and 'role="alert"' in html
    assert "no comment yet" in html


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_blank_pin_is_refused_with_a_message_and_nothing_is_sent(
    live_server, settings, monkeypatch
):
    settings.PUBLIC_BASE_URL = live_server.url
    sculptor = UserFactory(username="pin-sculptor")
    customer = CustomerFactory(email="pins@example.com")
    order = OrderFactory(customer=customer, status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor)
    first = make_ready_round(item, sculptor, run_checks=True)
    revision_publish(revision_id=first.pk, user=sculptor)
    with chromium_page(monkeypatch, viewport={"width": 900, "height": 700}, extra_args=WEBGL_ARGS) as page:
        page.goto(
            f"{live_server.url}/portal/login/{portal_login_link_issue(customer=customer, order=order)}/"
        )
        with page.expect_navigation():
            page.get_by_test_id("sign-in").click()
        page.goto(f"{live_server.url}/portal/revisions/{first.pk}/")
        page.wait_for_selector("body[data-viewer-loaded='current']", timeout=120_000)
        box = page.get_by_test_id("viewer").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("body[data-pins='1']", timeout=10_000)
        page.fill("#comment", "See the pin.")
        page.get_by_test_id("request-changes").click()
        alert = page.locator("#action-error")
        alert.wait_for(state="visible", timeout=5_000)
        assert "Pin 1 has no comment yet" in alert.inner_text()
        assert page.locator("[data-testid='pin-text']").get_attribute("aria-invalid") == "true"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "revision_preview_blank_pin_refused.png"), full_page=True)
        assert Feedback.objects.count() == 0
        # written, it goes
        page.locator("[data-testid='pin-text']").fill("Make the ears smaller")
        with page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
            page.get_by_test_id("request-changes").click()
    (feedback,) = Feedback.objects.filter(revision=first)
    assert list(feedback.pins.values_list("text", flat=True)) == ["Make the ears smaller"]
