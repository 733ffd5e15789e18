"""A real browser (Debian's chromium through Playwright): open the magic link, upload a photo, see its report."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.browser import ARTIFACTS, chromium_page
from tests.kits.photo.images import blurred, encode, figure_photo, photo_jpeg
from tests.orders.helpers import place_order


@pytest.fixture
def browser_page(monkeypatch):
    with chromium_page(monkeypatch, viewport={"width": 390, "height": 844}) as page:  # a phone
        yield page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_magic_link_upload_and_report(live_server, settings, browser_page, tmp_path):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.STRIPE_SECRET_KEY = ""
    data = place_order(Client(), email="browser@example.com")
    page = browser_page

    page.goto(data["portal_url"])
    with page.expect_navigation():
        page.get_by_test_id("sign-in").click()  # the link works once: the click spends it
    assert page.url == f"{live_server.url}/portal/orders/{data['number']}/"  # code gone from the address bar
    assert page.get_by_text(f"Order {data['number']}").first.is_visible()
    assert page.get_by_text("Awaiting offline payment").is_visible()

    good = tmp_path / "front.jpg"
    good.write_bytes(photo_jpeg(seed=21))
    form = page.get_by_test_id("upload-form").first
    form.locator("input[type=file]").set_input_files(str(good))
    form.locator("select[name=kind]").select_option("front")
    with page.expect_navigation():
        form.get_by_role("button", name="Upload and check").click()
    expect = pytest.importorskip("playwright.sync_api").expect
    photo = page.get_by_test_id("photo").first
    expect(photo.get_by_test_id("photo-verdict")).to_have_text("Looks great")
    photo.scroll_into_view_if_needed()  # the thumbnail loads lazily
    loaded = photo.locator("img").evaluate(
        """img => (img.complete && img.naturalWidth > 0) ? true : new Promise(done => {
            img.addEventListener("load", () => done(img.naturalWidth > 0));
            img.addEventListener("error", () => done(false));
        })"""
    )
    assert loaded is True  # the stored, re-encoded copy is served and decodes

    bad = tmp_path / "blurry.jpg"
    bad.write_bytes(encode(blurred(figure_photo(seed=22), 6.0), "JPEG"))
    form = page.get_by_test_id("upload-form").first
    form.locator("input[type=file]").set_input_files(str(bad))
    form.locator("select[name=kind]").select_option("side")
    with page.expect_navigation():
        form.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("cannot be used").first).to_be_visible()
    expect(page.get_by_test_id("photo-verdict")).to_have_text(["Looks great", "Please retake"])
    issues = page.get_by_test_id("photo-issues").first.inner_text()
    assert issues.strip()  # the blur explained in plain words, with advice

    # A file that is not a photo: refused with a clear message, nothing added.
    fake = tmp_path / "drawing.jpg"
    fake.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    form = page.get_by_test_id("upload-form").first
    form.locator("input[type=file]").set_input_files(str(fake))
    with page.expect_navigation():
        form.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("not a photo we can read").first).to_be_visible()
    expect(page.get_by_test_id("photo")).to_have_count(2)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "orders_portal_photo_report.png"), full_page=True)
