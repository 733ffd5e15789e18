"""Send to print, the print file task (height, format, volume, cost) and the SHA-256 guard."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from django.core.files.storage import default_storage

from kits.printfiles import read_3mf, read_wrl
from orders.models import Item, OrderEvent
from orders.promises import item_delivery_window
from printing.models import Printer, PrinterStatus, PrintFileJob, PrintJob
from printing.services.print_files import verify_print_file
from printing.tasks import make_print_file
from studio.jobs import JobStatus
from tests.factories import ItemFactory, approved_item, printer
from tests.kits.mesh.meshes import coloured_figurine
from tests.storages import use_object_storage

pytestmark = pytest.mark.django_db


def send(api, item, **body):
    return api.post(f"/api/v1/items/{item.pk}/print-jobs/", body, format="json")


def test_send_to_print_locks_the_approved_file(staff_api, enqueued, django_capture_on_commit_callbacks):
    item = approved_item(height_mm=150, approved_days_ago=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(staff_api, item)
    assert response.status_code == 201, response.json()
    data = response.json()
    job = PrintJob.objects.get(pk=data["id"])
    approval = item.approval
    assert (
        job.revision == approval.revision
        and job.approved_sha256 == approval.sha256 == data["approved_sha256"]
    )
    assert job.height_mm == 150 and job.status == "queued" and not job.is_reprint
    assert job.due_at == approval.approved_at + timedelta(days=28)
    item.refresh_from_db()
    assert item_delivery_window(item) == (approval.approved_at + timedelta(days=14), job.due_at)
    item.refresh_from_db()
    assert item.status == "in_production" and item.order.status == "in_production"
    assert ("printing.tasks.make_print_file", (job.pk,), None) in enqueued
    assert PrintFileJob.objects.filter(print_job=job, status=JobStatus.PENDING).count() == 1


@pytest.mark.parametrize("status", ["in_review", "changes_requested", "sculpting", "cancelled"])
def test_only_approved_items_go_to_print(status, staff_api, enqueued):
    item = ItemFactory(status=status)
    response = send(staff_api, item)
    assert response.status_code == 409 and status in response.json()["message"]
    assert not PrintJob.objects.exists()


def test_sending_twice_is_409(staff_api, enqueued):
    item = approved_item()
    assert send(staff_api, item).status_code == 201
    assert send(staff_api, item).status_code == 409
    assert PrintJob.objects.filter(item=item).count() == 1


def test_approved_without_an_approval_record_is_409(staff_api, enqueued):
    item = ItemFactory(status="approved")
    response = send(staff_api, item)
    assert response.status_code == 409 and "approval" in response.json()["message"]


def test_unknown_item_and_printer(staff_api, enqueued):
    assert send(staff_api, Item(pk=987654)).status_code == 404
    item = approved_item()
    assert send(staff_api, item, printer_id=987654).status_code == 404
    item.refresh_from_db()
    assert item.status == "approved"


def test_customers_cannot_send_to_print(anon_api, enqueued):
    item = approved_item()
    assert send(anon_api, item).status_code in (401, 403)


@pytest.mark.parametrize(
    "printer_name,fmt,reader", [("J850-1", "3mf", read_3mf), ("3DUJ-553-1", "wrl", read_wrl)]
)
def test_print_file_at_the_ordered_height_in_the_printers_format(
    printer_name, fmt, reader, staff_api, enqueued
):
    item = approved_item(height_mm=120)
    chosen = printer(printer_name)
    job = PrintJob.objects.get(pk=send(staff_api, item, printer_id=chosen.pk).json()["id"])
    result = make_print_file(job.pk)
    assert result["status"] == "completed", result
    job.refresh_from_db()
    assert job.print_file_format == fmt and job.print_file.name.endswith(f".{fmt}")
    vertices, faces, colors = reader(job.print_file.path)
    z = vertices[:, 2]
    assert abs((z.max() - z.min()) - 120) <= 0.5 and abs(z.min()) < 1e-3
    assert colors is not None  # full colour
    from kits.printfiles import file_sha256

    assert file_sha256(job.print_file.path) == job.print_file_sha256
    width, depth = np.ptp(vertices[:, 0]), np.ptp(vertices[:, 1])
    assert job.footprint_mm == pytest.approx([width, depth], abs=0.01)
    assert job.resin_volume_mm3 > 0
    assert job.material_cost_cents == math.ceil(job.resin_volume_mm3 / 1000 * chosen.resin_cost_cents_per_cm3)
    assert job.print_report["source_sha256"] == job.approved_sha256
    assert OrderEvent.objects.filter(item=item, type="print_file_ready").exists()
    assert make_print_file(job.pk) is None  # idempotent: done once


def test_a_figurine_that_would_tip_gets_a_base(staff_api, enqueued):
    item = approved_item(height_mm=100, mesh=coloured_figurine(tipping=True))
    job = PrintJob.objects.get(pk=send(staff_api, item).json()["id"])
    make_print_file(job.pk)
    job.refresh_from_db()
    assert job.print_report["base_added"] is True and job.print_report["stable"] is True
    assert job.print_report["height_mm"] == pytest.approx(100, abs=0.5)


def test_tampered_approved_file_is_refused(staff_api, enqueued):
    item = approved_item()
    job = PrintJob.objects.get(pk=send(staff_api, item).json()["id"])
    with open(item.approval.revision.mesh.path, "ab") as handle:
        handle.write(b"\n")  # one byte more: a different file
    result = make_print_file(job.pk)
    assert result["status"] == JobStatus.FAILED
    file_job = PrintFileJob.objects.get(print_job=job)
    assert file_job.status == JobStatus.FAILED and file_job.data["code"] == "sha256_mismatch"
    assert job.approved_sha256 in file_job.error and "changed after approval" in file_job.error
    job.refresh_from_db()
    assert not job.print_file and job.print_file_sha256 == ""
    assert OrderEvent.objects.filter(item=item, type="print_file_failed").exists()
    # the job cannot go on a tray nor print
    response = staff_api.post(f"/api/v1/print-jobs/{job.pk}/transition/", {"to": "batched"}, format="json")
    assert response.status_code == 409 and "no print file" in response.json()["message"]
    assert make_print_file(job.pk) is None  # a failed run is not retried by a re-delivered task


def test_retry_after_failure_needs_a_new_request(staff_api, enqueued):
    from printing.services import print_file_request

    item = approved_item()
    job = PrintJob.objects.get(pk=send(staff_api, item).json()["id"])
    path = item.approval.revision.mesh.path
    original = open(path, "rb").read()
    with open(path, "ab") as handle:
        handle.write(b"x")
    make_print_file(job.pk)
    with open(path, "wb") as handle:  # the studio restores the approved file from its backup
        handle.write(original)
    print_file_request(print_job_id=job.pk)
    assert make_print_file(job.pk)["status"] == "completed"


def test_queue_list_filters(staff_api, enqueued):
    late_item = approved_item(approved_days_ago=40)
    fresh_item = approved_item(approved_days_ago=1)
    late = PrintJob.objects.get(pk=send(staff_api, late_item).json()["id"])
    fresh = PrintJob.objects.get(pk=send(staff_api, fresh_item, printer_id=printer("J850-1").pk).json()["id"])
    listing = staff_api.get("/api/v1/print-jobs/").json()
    assert [j["id"] for j in listing] == [late.pk, fresh.pk]  # earliest due first
    assert [j["late"] for j in listing] == [True, False]
    assert [j["id"] for j in staff_api.get("/api/v1/print-jobs/?late=1").json()] == [late.pk]
    assert [j["id"] for j in staff_api.get("/api/v1/print-jobs/?printer=J850-1").json()] == [fresh.pk]
    assert staff_api.get("/api/v1/print-jobs/?status=shipped").json() == []
    assert len(staff_api.get("/api/v1/print-jobs/?status=queued,batched").json()) == 2
    assert staff_api.get("/api/v1/print-jobs/?status=melted").status_code == 400
    assert staff_api.get("/api/v1/print-jobs/?late=maybe").status_code == 400
    assert staff_api.get(f"/api/v1/print-jobs/{late.pk}/").json()["allowed_moves"] == ["batched", "cancelled"]


def test_delivery_estimate_before_approval_is_empty():
    assert item_delivery_window(ItemFactory()) is None


def test_the_print_export_fits_the_printer_table(staff_api, enqueued):
    job = PrintJob.objects.get(pk=send(staff_api, approved_item(height_mm=120)).json()["id"])
    assert make_print_file(job.pk)["status"] == "completed"
    job.refresh_from_db()
    assert job.print_report["fits_build_volume"] is True  # the seeded printers

    Printer.objects.update(status=PrinterStatus.OFFLINE)  # only a printer too small for 120 mm is left
    Printer.objects.create(name="small-1", model="t", build_x_mm=80, build_y_mm=80, build_z_mm=90)
    job = PrintJob.objects.get(pk=send(staff_api, approved_item(height_mm=120)).json()["id"])
    assert make_print_file(job.pk)["status"] == "completed"
    job.refresh_from_db()
    assert job.print_report["fits_build_volume"] is False
    assert any("does not fit any printer's build volume" in w for w in job.print_report["warnings"])


def test_print_files_on_object_storage(staff_api, enqueued, settings):
    use_object_storage(settings)
    item = approved_item(height_mm=120)
    job = PrintJob.objects.get(pk=send(staff_api, item).json()["id"])
    assert make_print_file(job.pk)["status"] == "completed"
    job.refresh_from_db()
    with pytest.raises(NotImplementedError):
        job.print_file.path  # noqa: B018 - no local path on object storage
    assert verify_print_file(job) == ""
    with default_storage.open(job.print_file.name, "wb") as handle:
        handle.write(b"not the print file any more")
    assert "changed since it was made" in verify_print_file(job)
    default_storage.delete(job.print_file.name)
    assert "is missing" in verify_print_file(job)


def test_a_missing_approved_file_fails_the_run(staff_api, enqueued):
    item = approved_item()
    job = PrintJob.objects.get(pk=send(staff_api, item).json()["id"])
    default_storage.delete(item.approval.revision.mesh.name)
    assert make_print_file(job.pk)["status"] == JobStatus.FAILED
    file_job = PrintFileJob.objects.get(print_job=job)
    assert file_job.data["code"] == "missing_file" and "is missing" in file_job.error
