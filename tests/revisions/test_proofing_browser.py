"""Proofing in a real browser (Debian's chromium through Playwright), at desktop 1280×900 and phone
390×844 with a touch screen: what the customer sees while pinning, sending changes, reading the sculptor's
reply and comparing two rounds side by side. Screenshots go to ``test-artifacts/proofing_*.png``."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from orders.auth import portal_login_link_issue
from orders.models import ItemStatus, Photo
from orders.portal_presenter import studio_date
from revisions.models import Feedback
from revisions.replies import feedback_reply_create
from revisions.selectors import preview_due_at
from revisions.services import revision_publish
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.factories import CustomerFactory, ItemFactory, OrderFactory, staff_user
from tests.revisions.conftest import make_ready_round

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOADED = 120_000


def _watch(page) -> list[str]:
    problems: list[str] = []

    def console(msg) -> None:
        if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            problems.append(f"console: {msg.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def _png(name: str) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 80), (200, 170, 140)).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)


def _published_round(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    sculptor = staff_user("proof-sculptor", "Sculptors", first_name="Mara")
    customer = CustomerFactory(email="proof@example.com")
    order = OrderFactory(customer=customer, status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor)
    Photo.objects.create(
        item=item,
        kind="front",
        sha256="front",
        is_usable=True,
        report={"issues": []},
        image=_png("front.png"),
    )
    first = make_ready_round(item, sculptor, run_checks=True)
    revision_publish(revision_id=first.pk, user=sculptor, note="Here is your first preview.")
    return sculptor, customer, order, item, first


def _sign_in_and_open(page, live_server, customer, order, revision) -> None:
    page.goto(f"{live_server.url}/portal/login/{portal_login_link_issue(customer=customer, order=order)}/")
    with page.expect_navigation():
        page.get_by_test_id("sign-in").click()
    page.goto(f"{live_server.url}/portal/revisions/{revision.pk}/")
    page.wait_for_selector("body[data-viewer-loaded='current']", timeout=LOADED)


def _in_window(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.evaluate("[window.innerWidth, window.innerHeight]")
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size[0]
        and box["y"] + box["height"] <= size[1]
    )


def _drop_three_pins(page, *, tap: bool) -> None:
    """Three clicks (taps) side by side on the model; each pin shows where it was dropped, and the model
    never jumps (no tap-to-recenter), so the next click lands where the customer aims."""
    box = page.get_by_test_id("viewer").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    target = "String(document.getElementById('viewer').getCameraTarget())"
    centre = page.evaluate(target)
    for n, dx in enumerate((0, -32, 32), start=1):
        if tap:
            page.touchscreen.tap(cx + dx, cy)
        else:
            page.mouse.click(cx + dx, cy)
        page.wait_for_selector(f"body[data-pins='{n}']", timeout=10_000)
        pin = page.locator(".hotspot.new").nth(n - 1).bounding_box()
        assert abs(pin["x"] + pin["width"] / 2 - (cx + dx)) < 4, (n, pin, cx + dx)
    assert page.evaluate(target) == centre


def _approve_looks_disabled(page) -> None:
    approve = page.get_by_test_id("approve")
    assert approve.is_disabled()
    why = page.get_by_test_id("approve-why")
    assert why.is_visible() and why.inner_text().startswith("You have 3 unsent pins: send them with")
    assert approve.get_attribute("aria-describedby") == "approve-why"
    style = approve.evaluate("b => [getComputedStyle(b).cursor, getComputedStyle(b).backgroundColor]")
    assert style == ["not-allowed", "rgb(213, 216, 222)"], style  # greyed, not the accent blue


def test_desktop_pins_stay_in_view_changes_are_promised_replies_show_and_rounds_turn_together(
    live_server, settings, monkeypatch
):
    sculptor, customer, order, item, first = _published_round(live_server, settings)
    with chromium_page(monkeypatch, viewport=DESKTOP, extra_args=WEBGL_ARGS) as page:
        problems = _watch(page)
        _sign_in_and_open(page, live_server, customer, order, first)
        assert "Click the model to pin a comment" in page.get_by_test_id("pin-help").inner_text()
        assert "Tap" not in page.get_by_test_id("pin-help").inner_text()

        # three clicks on the model: three pins, the page never scrolled, the model and the actions in view
        viewer = page.get_by_test_id("viewer")
        _drop_three_pins(page, tap=False)
        assert page.locator(".hotspot.new").count() == 3
        assert page.locator("[data-testid='pin-text']").count() == 3
        assert page.evaluate("window.scrollY") == 0
        assert _in_window(page, viewer)
        for action in ("request-changes", "approve"):
            assert _in_window(page, page.get_by_test_id(action)), action
        # the sidebar is beside the model and sticky: scrolling the page leaves it (and the model) in place
        aside = page.locator(".preview-layout > aside")
        assert aside.evaluate("a => getComputedStyle(a).position") == "sticky"
        assert aside.bounding_box()["x"] >= viewer.bounding_box()["x"] + viewer.bounding_box()["width"]
        assert page.get_by_test_id("photos").evaluate("d => d.tagName") == "DETAILS"

        # approving would drop the unsent pins: the button is greyed and says why
        _approve_looks_disabled(page)
        page.screenshot(path=str(ARTIFACTS / "proofing_desktop_pins.png"))
        for n, text in enumerate(("Smaller nose", "Longer hair", "Blue scarf")):
            page.locator("[data-testid='pin-text']").nth(n).fill(text)
        page.locator("[aria-label='Remove pin 3']").click()
        assert page.locator("[data-testid='pin-text']").count() == 2
        with page.expect_navigation(wait_until="domcontentloaded", timeout=LOADED):
            page.get_by_test_id("request-changes").click()

        # after sending: who has the changes and when the next preview is due, in the studio's time
        item.refresh_from_db()
        due = studio_date(preview_due_at(item), with_time=True)
        sent = page.get_by_test_id("changes-sent")
        assert sent.inner_text() == (
            f"Your sculptor has your changes — the next preview is due by {due}. "
            "We will e-mail you when it is ready."
        )
        assert _in_window(page, sent)
        page.screenshot(path=str(ARTIFACTS / "proofing_desktop_sent.png"))

        # the sculptor answers; round 2 comes; the customer reads the answer under their comment
        feedback = Feedback.objects.get(revision=first)
        assert [p.text for p in feedback.pins.all()] == ["Smaller nose", "Longer hair"]
        feedback_reply_create(
            feedback_id=feedback.pk, user=sculptor, text="Nose done, hair longer in round 2."
        )
        page.reload()
        reply = page.get_by_test_id("reply")
        assert reply.inner_text().startswith("Mara replied")
        assert "Nose done, hair longer in round 2." in reply.inner_text()
        second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
        revision_publish(revision_id=second.pk, user=sculptor)
        page.goto(f"{live_server.url}/portal/revisions/{second.pk}/")
        page.wait_for_selector("body[data-viewer-loaded='current']", timeout=LOADED)
        assert "Nose done, hair longer in round 2." in page.get_by_test_id("reply").inner_text()

        # side by side: previous | this round, and turning one turns the other
        page.get_by_test_id("side-by-side").click()
        page.wait_for_selector("body[data-previous-loaded='1']", timeout=LOADED)
        before = page.get_by_test_id("viewer-previous")
        assert page.get_by_test_id("side-by-side").get_attribute("aria-pressed") == "true"
        left, right = before.bounding_box(), viewer.bounding_box()
        assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2  # in a row
        theta = "id => document.getElementById(id).getCameraOrbit().theta"
        start = page.evaluate(theta, "viewer-previous")
        # this round is turned as a drag turns it: its camera moves and model-viewer reports a camera-change
        # from "user-interaction" (in headless chromium neither a mouse drag nor the arrow keys reach
        # model-viewer's controls, so the test moves the camera and sends that event itself)
        page.evaluate(
            """() => {
                const v = document.getElementById("viewer");
                v.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true }));
                v.cameraOrbit = "60deg 70deg auto"; v.jumpCameraToGoal();
                requestAnimationFrame(() => requestAnimationFrame(() =>
                    v.dispatchEvent(new CustomEvent("camera-change", { detail: { source: "user-interaction" } }))));
            }"""
        )
        page.wait_for_function(
            """() => {
                const a = document.getElementById("viewer").getCameraOrbit();
                const b = document.getElementById("viewer-previous").getCameraOrbit();
                return Math.abs(a.theta) > 0.2 && Math.abs(a.theta - b.theta) < 1e-3 && Math.abs(a.phi - b.phi) < 1e-3;
            }""",
            timeout=20_000,
        )
        assert abs(page.evaluate(theta, "viewer-previous") - start) > 0.2  # it did turn, with the other
        page.screenshot(path=str(ARTIFACTS / "proofing_desktop_side_by_side.png"))

        # on a phone the two rounds stack, the previous one on top
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)
        top, bottom = before.bounding_box(), viewer.bounding_box()
        assert top["y"] + top["height"] <= bottom["y"] and abs(top["x"] - bottom["x"]) < 2
        page.screenshot(path=str(ARTIFACTS / "proofing_phone_side_by_side.png"))
        assert problems == [], problems


def test_phone_taps_pin_without_scrolling_the_model_away_and_the_model_stays_on_top(
    live_server, settings, monkeypatch
):
    sculptor, customer, order, item, first = _published_round(live_server, settings)
    with chromium_page(monkeypatch, viewport=DESKTOP, extra_args=WEBGL_ARGS) as desktop_page:
        # a touch screen of its own (the helper's context has a mouse)
        context = desktop_page.context.browser.new_context(
            viewport=PHONE, device_scale_factor=1, has_touch=True
        )
        page = context.new_page()
        problems = _watch(page)
        _sign_in_and_open(page, live_server, customer, order, first)
        help_text = page.get_by_test_id("pin-help").inner_text()
        assert "Tap the model to pin a comment" in help_text and "Click" not in help_text

        viewer = page.get_by_test_id("viewer")
        assert _in_window(page, viewer)
        _drop_three_pins(page, tap=True)
        assert page.locator(".hotspot.new").count() == 3
        assert page.evaluate("window.scrollY") == 0  # no jump to the comment boxes (nor a keyboard)
        assert _in_window(page, viewer)
        status = page.locator("#pin-status")
        assert status.is_visible() and status.inner_text().startswith("3 pins on the model")
        _approve_looks_disabled(page)
        page.screenshot(path=str(ARTIFACTS / "proofing_phone_pins.png"))

        # writing the third pin's comment scrolls the page, the model stays at the top of the screen
        third = page.locator("[data-testid='pin-text']").nth(2)
        third.scroll_into_view_if_needed()
        third.fill("Blue scarf")
        assert page.evaluate("window.scrollY") > 0
        assert _in_window(page, third) and _in_window(page, viewer)
        assert viewer.bounding_box()["y"] < third.bounding_box()["y"]
        page.screenshot(path=str(ARTIFACTS / "proofing_phone_writing.png"))
        context.close()
        assert problems == [], problems
