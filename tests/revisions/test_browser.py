"""A real browser (Debian's chromium through Playwright) on the customer's preview page: the viewer loads
the model without console errors, a click drops a pin on the surface, changes are requested; the next
round shows the old pins and the heatmap, and is approved through the confirmation dialog."""

from __future__ import annotations

import numpy as np
import pytest

from orders.auth import portal_login_link_issue
from orders.models import ItemStatus
from revisions.models import Approval, Feedback, RevisionStatus
from revisions.services import revision_publish
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.factories import CustomerFactory, ItemFactory, OrderFactory, UserFactory
from tests.revisions.conftest import make_ready_round


def _console(problems: list[str], msg) -> None:
    # the browser's own favicon request is not the page's doing
    if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
        problems.append(f"console {msg.type}: {msg.text} at {(msg.location or {}).get('url')}")


@pytest.fixture
def browser_page(monkeypatch):
    with chromium_page(monkeypatch, viewport={"width": 900, "height": 700}, extra_args=WEBGL_ARGS) as page:
        problems: list[str] = []
        page.on("console", lambda msg: _console(problems, msg))
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.problems = problems
        yield page


def _open_round(page, base_url: str, revision_id: int) -> None:
    page.goto(f"{base_url}/portal/revisions/{revision_id}/")
    page.wait_for_selector("body[data-viewer-loaded='current']", timeout=120_000)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_customer_pins_requests_changes_then_approves(live_server, settings, browser_page):
    settings.PUBLIC_BASE_URL = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    sculptor = UserFactory(username="browser-sculptor")
    customer = CustomerFactory(email="viewer@example.com")
    order = OrderFactory(customer=customer, status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor)
    first = make_ready_round(item, sculptor, run_checks=True)
    revision_publish(revision_id=first.pk, user=sculptor, note="Here is your first preview.")
    page = browser_page

    page.goto(f"{live_server.url}/portal/login/{portal_login_link_issue(customer=customer, order=order)}/")
    with page.expect_navigation():
        page.get_by_test_id("sign-in").click()
    _open_round(page, live_server.url, first.pk)
    assert page.get_by_test_id("revision-status").inner_text() == "Published"

    # a click (not a drag) in the middle of the viewer lands on the figurine: a pin appears
    box = page.get_by_test_id("viewer").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("body[data-pins='1']", timeout=10_000)
    assert page.locator(".hotspot.new").count() == 1
    page.locator("[data-testid='pin-text']").fill("Make the nose a little smaller")
    page.fill("#comment", "Lovely, just one thing.")
    page.screenshot(path=str(ARTIFACTS / "revision_preview_pin.png"), full_page=True)
    with page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
        page.get_by_test_id("request-changes").click()
    assert page.get_by_test_id("revision-status").inner_text() == "Changes requested"

    feedback = Feedback.objects.get(revision=first)
    assert feedback.comment == "Lovely, just one thing."
    (pin,) = feedback.pins.all()
    assert pin.text == "Make the nose a little smaller"
    # stored in the studio's axes (Z up): a point on the sphere of radius 20 around (0, 0, 20), on its front
    distance = np.linalg.norm(np.array(pin.position) - [0, 0, 20])
    assert distance == pytest.approx(20, abs=0.6), pin.position
    assert pin.y < -15, pin.position  # the camera looks at the figurine's front (-Y)
    # the web GLB is in metres: the page scales positions by 1000 and turns normals without scaling them
    normal = np.array(pin.normal)
    assert np.linalg.norm(normal) == pytest.approx(1.0, abs=1e-3), pin.normal
    assert normal @ (np.array(pin.position) - [0, 0, 20]) / 20 > 0.95, pin.normal  # outward on the sphere
    item.refresh_from_db()
    assert item.status == ItemStatus.CHANGES_REQUESTED

    # round 2: the old pin is shown on the same spot, the heatmap is one click away, then approve
    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    revision_publish(revision_id=second.pk, user=sculptor)
    _open_round(page, live_server.url, second.pk)
    assert page.locator(".hotspot.previous").count() == 1
    page.get_by_role("button", name="What changed").click()
    page.wait_for_selector("body[data-viewer-loaded='heatmap']", timeout=120_000)
    page.get_by_role("button", name=f"Round {second.number}").click()
    page.wait_for_selector("body[data-viewer-loaded='current']", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "revision_preview.png"), full_page=True)

    page.get_by_test_id("approve").click()
    assert page.get_by_test_id("approve-confirm").is_disabled()  # needs the explicit confirmation
    page.get_by_test_id("approve-check").check()
    with page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
        page.get_by_test_id("approve-confirm").click()
    page.wait_for_selector("[data-testid='approved-note']", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "revision_preview_approved.png"), full_page=True)

    approval = Approval.objects.get(item=item)
    assert approval.revision_id == second.pk and approval.sha256 == second.sha256
    assert (
        approval.origin == "portal" and approval.ip_address == "127.0.0.1" and "Chrome" in approval.user_agent
    )
    second.refresh_from_db()
    assert second.status == RevisionStatus.APPROVED
    assert page.problems == [], page.problems
