"""The operator's admin: the queue by due date with late jobs flagged, bulk shipping, QC, trays, send to print."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printing.models import Batch, PrintJob
from tests.factories import approved_item, job_in_state, printer

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/printing/printjob/"


def test_queue_lists_earliest_due_first_and_flags_late_jobs(admin_client):
    later = job_in_state("queued", due_in_days=10)
    late = job_in_state("queued", due_in_days=-2)
    page = admin_client.get(CHANGELIST).content.decode()
    assert page.index(f"print job #{late.pk} ") < page.index(f"print job #{later.pk} ")
    assert "LATE" in page
    filtered = admin_client.get(CHANGELIST, {"late": "1"}).content.decode()
    assert f"print job #{late.pk} " in filtered and f"print job #{later.pk} " not in filtered
    by_printer = admin_client.get(
        CHANGELIST, {"printer__id__exact": printer("3DUJ-553-1").pk}
    ).content.decode()
    assert f"print job #{late.pk} " not in by_printer
    assert "Send approved items to print" in page


def test_bulk_shipping_form(admin_client, enqueued):
    first, second = job_in_state("packed"), job_in_state("packed")
    form = admin_client.post(CHANGELIST, {"action": "ship_action", "_selected_action": [first.pk, second.pk]})
    assert form.status_code == 200 and f"tracking_{first.pk}" in form.content.decode()
    admin_client.post(
        CHANGELIST,
        {
            "action": "ship_action",
            "apply": "1",
            "_selected_action": [first.pk, second.pk],
            "carrier_all": "DHL",
            f"tracking_{first.pk}": "JD01",
            f"tracking_{second.pk}": "",
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.carrier, first.tracking_number) == ("shipped", "DHL", "JD01")
    assert second.status == "packed"  # no tracking number: not shipped


def test_qc_failed_action_asks_for_the_reason(admin_client, enqueued):
    job = job_in_state("printed")
    assert (
        "reason"
        in admin_client.post(
            CHANGELIST, {"action": "qc_fail_action", "_selected_action": [job.pk]}
        ).content.decode()
    )
    admin_client.post(
        CHANGELIST,
        {"action": "qc_fail_action", "apply": "1", "_selected_action": [job.pk], "reason": "nose chipped"},
    )
    job.refresh_from_db()
    assert job.status == "qc_failed" and job.reprints.get().charge_cents == 0


def test_bulk_moves_report_refusals(admin_client, enqueued):
    queued, packed = job_in_state("queued"), job_in_state("packed")
    response = admin_client.post(
        CHANGELIST, {"action": "move_to_batched", "_selected_action": [queued.pk, packed.pk]}, follow=True
    )
    queued.refresh_from_db()
    packed.refresh_from_db()
    assert queued.status == "batched" and packed.status == "packed"
    assert "cannot move" in response.content.decode()


def test_tray_page_shows_the_layout_picture(admin_client, enqueued):
    job_in_state("queued")
    admin_client.post(
        "/admin/printing/printer/",
        {"action": "printer_fill_tray", "_selected_action": [printer("J850-1").pk]},
    )
    tray = Batch.objects.get()
    page = admin_client.get(reverse("admin:printing_batch_change", args=[tray.pk])).content.decode()
    assert f"/api/v1/files/tray-layout/{tray.pk}/" in page and "%" in page
    assert "/media/" not in page  # stored files go out through the checked view only


def test_send_to_print_page(admin_client, enqueued):
    item = approved_item()
    page = admin_client.get(reverse("admin:printing_send_to_print")).content.decode()
    assert str(item) in page and item.approval.sha256[:10] in page
    admin_client.post(reverse("admin:printing_send_to_print"), {"items": [item.pk], "printer": printer().pk})
    job = PrintJob.objects.get(item=item)
    assert job.printer == printer() and job.status == "queued"


def test_job_page_shows_the_delivery_estimate(admin_client):
    job = job_in_state("queued")
    page = admin_client.get(reverse("admin:printing_printjob_change", args=[job.pk])).content.decode()
    assert "delivery estimate" in page.lower()
