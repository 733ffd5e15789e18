"""Rounds side by side in a real browser (Debian's chromium through Playwright, WebGL on SwiftShader): the
customer drags one viewer with the mouse (button down, a move, button up) and the other viewer's camera
follows, whichever of the two they drag; a drag drops no pin. Screenshot:
``test-artifacts/proofing_desktop_side_by_side_dragged.png``."""

from __future__ import annotations

import pytest

from revisions.services import revision_publish, revision_request_changes
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.revisions.conftest import make_ready_round
from tests.revisions.test_proofing_browser import (
    DESKTOP,
    LOADED,
    _published_round,
    _sign_in_and_open,
    _watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ORBIT = "id => { const o = document.getElementById(id).getCameraOrbit(); return [o.theta, o.phi]; }"
FOLLOWED = """([leader, follower, before]) => {
    const a = document.getElementById(leader).getCameraOrbit();
    const b = document.getElementById(follower).getCameraOrbit();
    return Math.abs(a.theta - before) > 0.2
        && Math.abs(a.theta - b.theta) < 1e-3 && Math.abs(a.phi - b.phi) < 1e-3;
}"""


def _drag(page, viewer_id: str, dx: float, dy: float) -> None:
    """Press the mouse button on the viewer, move it in steps, let go. Not at the exact centre: there
    model-viewer keeps its (invisible) 8 px pan-target dot, which takes the press instead of the model."""
    box = page.locator(f"#{viewer_id}").bounding_box()
    x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=20)
    page.mouse.up()


def test_dragging_one_round_turns_the_other(live_server, settings, monkeypatch):
    sculptor, customer, order, item, first = _published_round(live_server, settings)
    revision_request_changes(revision_id=first.pk, customer=customer, comment="Longer hair, please.")
    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    revision_publish(revision_id=second.pk, user=sculptor)

    with chromium_page(monkeypatch, viewport=DESKTOP, extra_args=WEBGL_ARGS) as page:
        problems = _watch(page)
        _sign_in_and_open(page, live_server, customer, order, second)
        page.get_by_test_id("side-by-side").click()
        page.wait_for_selector("body[data-previous-loaded='1']", timeout=LOADED)
        assert page.evaluate(ORBIT, "viewer") == pytest.approx(page.evaluate(ORBIT, "viewer-previous"))

        for leader, follower, dx in (("viewer", "viewer-previous", 160), ("viewer-previous", "viewer", -120)):
            before = page.evaluate(ORBIT, leader)[0]
            _drag(page, leader, dx, 30)
            page.wait_for_function(FOLLOWED, arg=[leader, follower, before], timeout=20_000)
            page.wait_for_timeout(600)  # the camera eases to its goal; the follower stays with it
            lead, follow = page.evaluate(ORBIT, leader), page.evaluate(ORBIT, follower)
            assert follow == pytest.approx(lead, abs=1e-3), (leader, lead, follow)
            assert abs(lead[0] - before) > 0.2, "the drag turned the viewer it was made on"

        assert page.locator(".hotspot.new").count() == 0  # a drag is not a click: no pin
        page.screenshot(path=str(ARTIFACTS / "proofing_desktop_side_by_side_dragged.png"))
        assert problems == [], problems
