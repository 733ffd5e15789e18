"""The operator's floor in a real browser, desktop and phone: the admin index → the print queue → three
selected jobs laid out on a new tray (the admin action) → the tray's page with its layout picture →
printing, printed, QC passed, packed (the queue's actions) → the ship form (a carrier from the list and a
tracking number per parcel) → shipped; and the "Needs attention" page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from printing.models import Batch, PrintJob, PrintJobStatus
from printing.services import tray_create
from tests.factories import job_in_state, printer, staff_user
from tests.walkthrough import VIEWPORTS, admin_messages, run_admin_action, sign_in_staff, walk

QUEUE = reverse("admin:printing_printjob_changelist")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_operator_queue_tray_qc_ship(live_server, settings, monkeypatch, enqueued, viewport):
    settings.PUBLIC_BASE_URL = live_server.url
    expect = pytest.importorskip("playwright.sync_api").expect
    operator = staff_user("floor-operator", "Operators")
    j850 = printer("J850-1")
    jobs = [job_in_state("queued", footprint=(40.0 + 5 * n, 40.0), due_in_days=10 + n) for n in range(3)]
    ids = sorted(job.pk for job in jobs)

    with walk(monkeypatch, live_server, role="operator", viewport=viewport) as w:
        page = w.page
        sign_in_staff(w, operator)
        w.goto(reverse("admin:index"))
        expect(page.get_by_role("link", name="Needs attention")).to_be_visible()
        w.shot("1_index")
        with page.expect_navigation():
            page.locator(f"a[href='{QUEUE}']").first.click()  # "Print jobs" in the app list
        assert page.url.endswith(QUEUE)
        for job in jobs:
            expect(page.locator(f"input.action-select[value='{job.pk}']")).to_be_visible()
        w.shot("2_queue")

        run_admin_action(w, "tray_from_selection_action", rows=ids)
        expect(page.get_by_role("button", name="Create the tray")).to_be_visible()
        for job in jobs:
            expect(page.locator("#content")).to_contain_text(f"#{job.pk}")
        page.locator("select[name=printer]").select_option(str(j850.pk))
        w.shot("3_tray_form")
        with page.expect_navigation():
            page.get_by_role("button", name="Create the tray").click()
        tray = Batch.objects.get()
        assert page.url.endswith(reverse("admin:printing_batch_change", args=[tray.pk]))
        assert admin_messages(w) == [
            f"Tray #{tray.pk}: all 3 selected print jobs fit, {100 * tray.utilisation:.1f} % of the tray used."
        ]
        picture = page.get_by_role("img", name="Tray layout")
        expect(picture).to_be_visible()
        assert picture.evaluate(
            """img => (img.complete && img.naturalWidth > 0) ? true : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth > 0));
                img.addEventListener("error", () => done(false));
            })"""
        )  # the layout picture is served and decodes
        box, width = picture.bounding_box(), page.viewport_size["width"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box  # it fits the page
        content = page.locator("#content").inner_text()
        assert '"parts"' not in content and "print_job_id" not in content  # no raw layout JSON
        expect(page.locator("table.tray-layout tbody tr")).to_have_count(3)
        w.shot("4_tray")

        # the tray prints as one: "Start printing" on the tray list moves every job on it
        w.goto(reverse("admin:printing_batch_changelist"))
        run_admin_action(w, "move_to_printing", rows=[tray.pk])
        assert admin_messages(w) == ["1 tray moved to Printing."], admin_messages(w)
        assert set(PrintJob.objects.values_list("status", flat=True)) == {PrintJobStatus.PRINTING}
        w.shot("5_printing")

        for action, status, said in (
            ("move_to_printed", PrintJobStatus.PRINTED, "Printed"),
            ("move_to_qc_passed", PrintJobStatus.QC_PASSED, "QC passed"),
            ("move_to_packed", PrintJobStatus.PACKED, "Packed"),
        ):
            w.goto(QUEUE)
            run_admin_action(w, action, rows=ids)
            messages = admin_messages(w)
            assert len(messages) == 1 and "3 print jobs" in messages[0] and said in messages[0], messages
            assert "qc_passed" not in messages[0]  # words, not codes
            assert set(PrintJob.objects.values_list("status", flat=True)) == {status}
            if status == PrintJobStatus.QC_PASSED:
                w.shot("6_qc_passed")

        run_admin_action(w, "ship_action", rows=ids)
        expect(page.get_by_role("heading", name="Ship print jobs")).to_be_visible()
        carriers = page.locator("select[name=carrier_all] option").all_inner_texts()
        assert {"UPS", "DHL", "Other"} <= set(carriers), carriers
        page.locator("select[name=carrier_all]").select_option("UPS")
        for n, pk in enumerate(ids):
            page.get_by_label(f"tracking number of print job #{pk}").fill(f"1Z999AA1012345678{n}")
        w.shot("7_ship_form")
        with page.expect_navigation():
            page.get_by_role("button", name="Ship").click()
        messages = admin_messages(w)
        assert len(messages) == 1 and "3 print jobs shipped" in messages[0], messages
        shipped = {job.pk: job for job in PrintJob.objects.all()}
        assert {j.status for j in shipped.values()} == {PrintJobStatus.SHIPPED}
        assert [(shipped[pk].carrier, shipped[pk].tracking_number) for pk in ids] == [
            ("UPS", f"1Z999AA1012345678{n}") for n in range(3)
        ]
        w.shot("8_shipped")

        w.goto(reverse("admin:printing_needs_attention"))
        expect(page.get_by_role("heading", name="Needs attention").first).to_be_visible()
        w.shot("9_needs_attention")
        w.assert_clean()


@pytest.mark.django_db
def test_marking_a_trays_jobs_printing_from_the_queue_reports_them_all_moved(enqueued):
    operator = staff_user("floor-operator", "Operators")
    jobs = [job_in_state("queued", footprint=(40.0, 40.0)) for _ in range(3)]
    ids = sorted(job.pk for job in jobs)
    tray_create(printer_id=printer("J850-1").pk, user=operator, job_ids=ids)
    client = Client()
    client.force_login(operator)
    response = client.post(
        QUEUE, {"action": "move_to_printing", "_selected_action": [str(pk) for pk in ids]}, follow=True
    )
    assert set(PrintJob.objects.values_list("status", flat=True)) == {PrintJobStatus.PRINTING}
    said = [str(m) for m in response.context["messages"]]
    assert said == ["3 print jobs moved to Printing."], said
