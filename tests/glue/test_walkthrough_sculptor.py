"""The sculptor's bench in a real browser, desktop and phone: the admin index → "Sculptor work queue" →
"Assign to me" → the item's page → a mesh uploaded through the form → the checks (run inline, as the
worker would) → the round shows its check result, its renders and its 3D view → "Publish to the
customer" → published, the figurine in the customer's review."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from orders.models import Item, ItemStatus, OrderStatus
from orders.services import photo_upload
from revisions.models import Revision, RevisionStatus
from revisions.tasks import check_revision
from tests.factories import ItemFactory, OrderFactory, staff_user
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.kits.photo.images import photo_jpeg
from tests.walkthrough import VIEWPORTS, admin_messages, sign_in_staff, walk


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_sculptor_queue_upload_checks_publish(
    live_server, settings, monkeypatch, enqueued, tmp_path, viewport
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.REVISION_RENDER_SIZE = 48  # thumbnail-size turntable renders: the same renderer, faster
    expect = pytest.importorskip("playwright.sync_api").expect
    sculptor = staff_user("bench-sculptor", "Sculptors")
    order = OrderFactory(status=OrderStatus.IN_DESIGN)
    item = ItemFactory(order=order, status=ItemStatus.AWAITING_PHOTOS, assigned_sculptor=None)
    photo_upload(item_id=item.pk, upload=io.BytesIO(photo_jpeg(seed=5)), kind="front", filename="front.jpg")
    # reconstruction done (its base mesh left out): the figurine waits for a sculptor, unassigned
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.SCULPTING)
    mesh = tmp_path / "round-1.stl"
    mesh.write_bytes(mesh_bytes(sphere_figurine()))

    with walk(monkeypatch, live_server, role="sculptor", viewport=viewport, webgl=True) as w:
        page = w.page
        sign_in_staff(w, sculptor)
        w.goto(reverse("admin:index"))
        w.shot("1_index")
        with page.expect_navigation():
            page.get_by_role("link", name="Sculptor work queue").click()
        assert page.url.endswith(reverse("admin:revisions_work_queue"))
        row = page.locator(f"#work-queue tr[data-item='{item.pk}']")
        expect(row).to_contain_text("unassigned")
        w.shot("2_queue")

        with page.expect_navigation():
            row.get_by_test_id("assign-to-me").click()
        assert any("is yours now" in m for m in admin_messages(w)), admin_messages(w)
        row = page.locator(f"#work-queue tr[data-item='{item.pk}']")
        expect(row).to_contain_text("bench-sculptor")
        expect(row.get_by_test_id("assign-to-me")).to_have_count(0)
        item.refresh_from_db()
        assert item.assigned_sculptor_id == sculptor.pk

        with page.expect_navigation():
            row.get_by_role("link", name="Open").click()
        assert page.url.endswith(reverse("admin:revisions_item_page", args=[item.pk]))
        expect(page.get_by_test_id("item-status")).to_have_text("Sculpting")
        expect(page.locator("#rounds")).to_contain_text("No rounds yet.")
        w.shot("3_item")

        page.locator("input[name=mesh]").set_input_files(str(mesh))
        page.locator("textarea[name=note]").fill("Here is your first preview.")
        with page.expect_navigation():
            page.get_by_role("button", name="Upload round").click()
        assert any("Round 1 uploaded" in m for m in admin_messages(w)), admin_messages(w)
        first = page.locator("#rounds tr[data-round='1']")
        expect(first).to_contain_text("checks running")
        revision = Revision.objects.get(item=item, number=1)
        assert ("revisions.tasks.check_revision", (revision.pk,)) in [(f, a) for f, a, _ in enqueued]
        w.shot("4_uploaded")

        assert check_revision(revision.pk) == "ready"  # what the worker does with the enqueued task
        w.goto(reverse("admin:revisions_item_page", args=[item.pk]))
        first = page.locator("#rounds tr[data-round='1']")
        expect(first).to_contain_text("Ready")
        expect(first).to_contain_text("printable")
        expect(first).not_to_contain_text("not printable")
        expect(first).to_contain_text("the first round: nothing to compare with")
        renders = first.locator(".ws-renders img")
        assert renders.count() >= 1
        assert renders.first.evaluate(
            """img => (img.complete && img.naturalWidth > 0) ? true : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth > 0));
                img.addEventListener("error", () => done(false));
            })"""
        )  # the turntable render is served and decodes
        page.wait_for_selector("body[data-viewer-a='loaded']", timeout=120_000)  # the round in 3D
        w.shot("5_checked")

        with page.expect_navigation():
            first.get_by_role("button", name="Publish to the customer").click()
        assert any("Round 1 published" in m for m in admin_messages(w)), admin_messages(w)
        first = page.locator("#rounds tr[data-round='1']")
        expect(first).to_contain_text("Published")
        expect(first.get_by_role("button", name="Publish to the customer")).to_have_count(0)
        expect(first.get_by_role("link", name="as the customer sees it")).to_be_visible()
        expect(page.get_by_test_id("item-status")).to_have_text("In review")
        w.shot("6_published")

        revision.refresh_from_db()
        item.refresh_from_db()
        assert revision.status == RevisionStatus.PUBLISHED and revision.note == "Here is your first preview."
        assert item.status == ItemStatus.IN_REVIEW
        w.assert_clean()
