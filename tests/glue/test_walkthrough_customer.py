"""The customer's portal in a real browser, desktop and phone: the order placed → signed in through the
e-mailed link → a photo uploaded on the order page → paid → the design → the first preview: three pins
dropped on the model without the model leaving the screen → changes sent → the next round → approved
through the dialog → printing → shipped, with the tracking number a link to the carrier.

At each stage the order page's progress stepper shows the current step and the status texts say what
is true at that moment (the sculptors' and operators' side is played through their services)."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.models import Item, ItemStatus, Order
from orders.services import order_mark_paid_offline
from printing.models import PrintJob, PrintJobStatus
from printing.services import print_job_create, print_job_move, tray_create, tray_move
from printing.tasks import make_print_file
from revisions.models import Approval, Feedback, RevisionStatus
from revisions.services import revision_publish
from tests.factories import printer, staff_user
from tests.kits.photo.images import photo_jpeg
from tests.orders.helpers import place_order
from tests.revisions.conftest import make_ready_round
from tests.walkthrough import VIEWPORTS, walk

TRACKING = "1Z999AA10123456784"


def _current_step(page) -> str:
    steps = page.get_by_test_id("stepper").locator("[aria-current='step']")
    assert steps.count() == 1, steps.count()
    return steps.get_attribute("data-step")


def _order_page(w, number: str, expect_step: str, shot: str) -> str:
    """Open the order page, check the stepper's current step; the status box's text."""
    w.goto(f"/portal/orders/{number}/")
    assert _current_step(w.page) == expect_step
    w.no_horizontal_overflow()
    w.shot(shot)
    return w.page.get_by_test_id("status-now").inner_text()


def _open_round(w, number: int) -> None:
    with w.page.expect_navigation():
        w.page.get_by_role("link", name=f"Round {number}", exact=True).click()
    # model-viewer loads its model once it is near the screen: the customer scrolls to it on a phone
    w.page.get_by_test_id("viewer").scroll_into_view_if_needed()
    w.page.wait_for_selector("body[data-viewer-loaded='current']", timeout=120_000)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_customer_order_photos_pins_changes_approve_tracking(
    live_server, settings, monkeypatch, enqueued, tmp_path, viewport
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.STRIPE_SECRET_KEY = ""  # paid offline
    settings.REVISION_RENDER_SIZE = 48
    expect = pytest.importorskip("playwright.sync_api").expect
    sculptor = staff_user("portal-sculptor", "Sculptors")
    operator = staff_user("portal-operator", "Operators")
    data = place_order(Client(), email=f"walk-{viewport}@example.com")
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    photo = tmp_path / "front.jpg"
    photo.write_bytes(photo_jpeg(seed=21))

    with walk(monkeypatch, live_server, role="customer", viewport=viewport, webgl=True) as w:
        page = w.page
        # --- the order: signed in through the link of the confirmation e-mail
        w.goto(data["portal_url"])
        with page.expect_navigation():
            page.get_by_test_id("sign-in").click()
        assert page.url == f"{live_server.url}/portal/orders/{order.number}/"
        assert _current_step(page) == "photos"
        expect(page.get_by_test_id("item-status")).to_have_text("Awaiting photos")
        expect(page.get_by_test_id("status-now")).to_contain_text("We need a clear front photo")
        w.shot("1_order")

        # --- photos, through the page's form
        form = page.get_by_test_id("upload-form").first
        form.locator("input[type=file]").set_input_files(str(photo))
        form.locator("select[name=kind]").select_option("front")
        with page.expect_navigation():
            form.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_test_id("photo-verdict")).to_have_text(["Looks great"])
        assert _current_step(page) == "photos"
        # the photos are in, the payment is not: the badge says what is missing
        expect(page.get_by_test_id("item-status")).to_have_text("Awaiting payment")
        expect(page.get_by_test_id("status-now")).to_contain_text("Your photos are in.")
        w.shot("2_photos")

        # --- paid (an operator records the bank transfer): design
        order_mark_paid_offline(order_id=order.pk, user=operator, method="bank transfer")
        now = _order_page(w, order.number, "design", "3_design")
        assert "Our sculptors are preparing your 3D preview." in now and "Your preview is due by" in now, now
        assert "being printed" not in page.content()

        # --- the first round is published: your review
        Item.objects.filter(pk=item.pk).update(status=ItemStatus.SCULPTING, assigned_sculptor=sculptor)
        first = make_ready_round(item, sculptor, run_checks=True)
        revision_publish(revision_id=first.pk, user=sculptor, note="Here is your first preview.")
        now = _order_page(w, order.number, "review", "4_review")
        assert "Your 3D preview is ready." in now, now
        expect(page.get_by_test_id("item-status")).to_have_text("Your review is needed")

        # --- pins: three clicks on the model, three pins, the model never leaves the screen
        _open_round(w, first.number)
        viewer = page.get_by_test_id("viewer")
        viewer.scroll_into_view_if_needed()
        box = viewer.bounding_box()
        size = page.viewport_size
        centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        spots = [(0, 0), (-0.12, -0.12), (0.12, -0.12)]  # fractions of the viewer's size, on the sphere
        for n, (dx, dy) in enumerate(spots, start=1):
            # each click where the model was before the first pin: the customer never scrolls back
            page.mouse.click(centre_x + dx * box["width"], centre_y + dy * box["height"])
            page.wait_for_selector(f"body[data-pins='{n}']", timeout=10_000)
            now_box = viewer.bounding_box()
            assert abs(now_box["y"] - box["y"]) <= 2, f"pin {n} moved the model from {box} to {now_box}"
            assert now_box["y"] >= 0 and now_box["y"] + now_box["height"] <= size["height"], (now_box, size)
            assert now_box["x"] >= 0 and now_box["x"] + now_box["width"] <= size["width"], (now_box, size)
        expect(page.locator(".hotspot.new")).to_have_count(3)
        expect(page.get_by_test_id("pin-text")).to_have_count(3)
        texts = ["A smaller nose", "More hair on the left", "A warmer smile"]
        for field, text in zip(page.get_by_test_id("pin-text").all(), texts, strict=True):
            field.fill(text)
        page.fill("#comment", "Lovely, three small things.")
        w.shot("5_pins")

        # --- changes sent: back to design, with the sculptor
        with page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
            page.get_by_test_id("request-changes").click()
        expect(page.get_by_test_id("revision-status")).to_have_text("Changes requested")
        feedback = Feedback.objects.get(revision=first)
        assert sorted(pin.text for pin in feedback.pins.all()) == sorted(texts)
        now = _order_page(w, order.number, "design", "6_changes_sent")
        assert "Your sculptor has your changes." in now and "next preview is due by" in now, now

        # --- the next round, approved through the dialog
        second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
        revision_publish(revision_id=second.pk, user=sculptor)
        now = _order_page(w, order.number, "review", "7_second_round")
        _open_round(w, second.number)
        expect(page.locator(".hotspot.previous")).to_have_count(3)  # the old pins, on the new round
        page.get_by_test_id("approve").click()
        expect(page.get_by_test_id("approve-dialog")).to_be_visible()
        expect(page.get_by_test_id("approve-confirm")).to_be_disabled()
        page.get_by_test_id("approve-check").check()
        w.shot("8_approve_dialog")
        with page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
            page.get_by_test_id("approve-confirm").click()
        expect(page.get_by_test_id("approved-note")).to_be_visible()
        assert Approval.objects.get(item=item).revision_id == second.pk
        second.refresh_from_db()
        assert second.status == RevisionStatus.APPROVED

        # approved, not yet sent to print: no preview promise, no "being printed"
        now = _order_page(w, order.number, "printing", "9_approved")
        assert "Approved — your figurine is queued for printing." in now, now
        assert "preview is due" not in now and "being printed" not in now, now

        # --- printing (an operator sends it to print, lays out a tray and starts it)
        job = print_job_create(item_id=item.pk, user=operator)
        make_print_file(job.pk)
        tray = tray_create(printer_id=printer("J850-1").pk, user=operator, job_ids=[job.pk])
        tray_move(tray_id=tray.pk, to="printing", user=operator)
        now = _order_page(w, order.number, "printing", "10_printing")
        assert "Your approved design is being printed." in now and "preview is due" not in now, now

        # --- shipped: the tracking number is a link to the carrier, the address is shown
        for to in ("printed", "qc_passed", "packed"):
            print_job_move(print_job_id=job.pk, to=to, user=operator)
        print_job_move(
            print_job_id=job.pk, to="shipped", user=operator, carrier="UPS", tracking_number=TRACKING
        )
        assert PrintJob.objects.get(pk=job.pk).status == PrintJobStatus.SHIPPED
        now = _order_page(w, order.number, "shipped", "11_shipped")
        assert "Your figurine is on its way." in now and "preview is due" not in now, now
        link = page.get_by_test_id("tracking-link")
        expect(link).to_have_text(TRACKING)
        assert link.get_attribute("href") == f"https://www.ups.com/track?tracknum={TRACKING}"
        expect(page.get_by_test_id("parcel")).to_contain_text("Shipped with UPS")
        expect(page.get_by_test_id("shipping-address")).to_contain_text("London")
        expect(page.get_by_test_id("item-status")).to_have_text("Shipped")
        w.assert_clean()
