"""AR on the preview in a real browser (Debian's chromium through Playwright): the model carries ``ar`` and an
``ios-src`` USDZ that downloads (the right content type, USD's ARKit checker passes it), the "View in your
room" button is in the viewer, and the QR code shows at desktop 1280×900, hidden at phone 390×844; the QR's
signed link opens the round on the phone. Screenshots: ``test-artifacts/ar_preview_<viewport>.png``."""

from __future__ import annotations

import pytest
from pxr import UsdUtils

from orders.auth import portal_login_link_issue
from orders.models import ItemStatus
from revisions.ar_preview import ar_link_url
from revisions.services import revision_publish
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.factories import CustomerFactory, ItemFactory, OrderFactory, staff_user
from tests.revisions.conftest import make_ready_round

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.filterwarnings("ignore:Use of UsdUtils.ComplianceChecker is deprecated:DeprecationWarning")
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_view_in_your_room_and_the_desktop_qr_code(live_server, settings, monkeypatch, tmp_path, viewport):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.REVISION_RENDER_SIZE = 48
    ARTIFACTS.mkdir(exist_ok=True)
    sculptor = staff_user("ar-sculptor", "Sculptors")
    customer = CustomerFactory(email=f"ar-{viewport}@example.com")
    order = OrderFactory(customer=customer, status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, height_mm=150)
    revision = make_ready_round(item, sculptor, run_checks=True)
    revision_publish(revision_id=revision.pk, user=sculptor)
    with chromium_page(monkeypatch, viewport=VIEWPORTS[viewport], extra_args=WEBGL_ARGS) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(
            f"{live_server.url}/portal/login/{portal_login_link_issue(customer=customer, order=order)}/"
        )
        with page.expect_navigation():
            page.get_by_test_id("sign-in").click()
        page.goto(f"{live_server.url}/portal/revisions/{revision.pk}/")
        viewer = page.get_by_test_id("viewer")
        assert viewer.get_attribute("ar") is not None
        assert set(viewer.get_attribute("ar-modes").split()) == {"webxr", "scene-viewer", "quick-look"}
        ios_src = viewer.get_attribute("ios-src")
        assert ios_src and ios_src.split("?sig=")[0].endswith(
            f"/portal/revisions/{revision.pk}/files/ar.usdz"
        )
        button = page.get_by_test_id("ar-button")
        assert button.count() == 1 and button.inner_text() == "View in your room"
        assert (
            button.evaluate("b => b.slot") == "ar-button"
            and button.evaluate("b => b.parentElement.id") == "viewer"
        )

        # the USDZ downloads with the page's own session: Quick Look's type, ARKit-compliant
        answer = page.request.get(f"{live_server.url}{ios_src}")
        assert answer.status == 200 and answer.headers["content-type"] == "model/vnd.usdz+zip"
        usdz = tmp_path / "preview.usdz"
        usdz.write_bytes(answer.body())
        checker = UsdUtils.ComplianceChecker(arkit=True)
        checker.CheckCompliance(str(usdz))
        assert checker.GetErrors() == [] and checker.GetFailedChecks() == []

        qr = page.get_by_test_id("ar-qr")
        assert qr.count() == 1
        if viewport == "desktop":
            assert qr.is_visible()
            box = qr.locator("svg").bounding_box()
            assert box and box["width"] >= 100 and box["height"] >= 100  # big enough for a phone to read
        else:
            assert not qr.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"ar_preview_{viewport}.png"), full_page=True)
        assert errors == []

        # what the QR code opens: the same round, read-only, on a browser that never signed in
        phone = page.context.browser.new_context(viewport=VIEWPORTS["phone"])
        try:
            scanned = phone.new_page()
            response = scanned.goto(ar_link_url(revision=revision))
            assert response.status == 200
            assert scanned.get_by_test_id("ar-button").inner_text() == "View in your room"
            assert (
                scanned.get_by_test_id("viewer").get_attribute("ios-src").split("?")[0].endswith("/ar.usdz")
            )
            assert scanned.get_by_test_id("approve").count() == 0
        finally:
            phone.close()
