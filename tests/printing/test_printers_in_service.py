"""A printer in maintenance or offline takes no new work: not chosen, not offered, refused when named."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printing.admin_queue import TrayForm
from printing.models import Printer, PrintJob
from printing.services.print_files import choose_printer
from printing.services.trays import printers_fitting
from tests.factories import approved_item, job_in_state, printer

pytestmark = pytest.mark.django_db


def out_of_service(name: str, status: str) -> Printer:
    chosen = printer(name)
    Printer.objects.filter(pk=chosen.pk).update(status=status)
    chosen.refresh_from_db()
    return chosen


@pytest.mark.parametrize("status", ["maintenance", "offline"])
def test_in_service_is_one_rule(status):
    working, resting = printer("J850-1"), out_of_service("3DUJ-553-1", status)
    assert working.in_service and not resting.in_service
    in_service = set(Printer.objects.in_service())
    assert working in in_service and resting not in in_service
    assert resting not in TrayForm().fields["printer"].queryset


@pytest.mark.parametrize("status", ["maintenance", "offline"])
def test_naming_a_printer_out_of_service_is_409(status, staff_api, enqueued):
    resting = out_of_service("J850-1", status)
    item = approved_item()
    response = staff_api.post(
        f"/api/v1/items/{item.pk}/print-jobs/", {"printer_id": resting.pk}, format="json"
    )
    assert response.status_code == 409 and resting.name in response.json()["message"]
    item.refresh_from_db()
    assert item.status == "approved" and not PrintJob.objects.filter(item=item).exists()


def test_print_files_and_trays_skip_printers_out_of_service(staff_api, enqueued):
    out_of_service("3DUJ-553-1", "maintenance")
    job = job_in_state("queued")
    PrintJob.objects.filter(pk=job.pk).update(printer=None)
    job.refresh_from_db()
    assert choose_printer(job) == printer("J850-1")
    assert printers_fitting(job) == [printer("J850-1")]
    out_of_service("J850-1", "offline")
    assert choose_printer(job) is None and printers_fitting(job) == []
    response = staff_api.post(f"/api/v1/print-jobs/{job.pk}/transition/", {"to": "batched"}, format="json")
    assert response.status_code == 409 and "No printer in service" in response.json()["message"]


def test_send_to_print_page_offers_printers_in_service_only(admin_client):
    approved_item()
    resting = out_of_service("3DUJ-553-1", "offline")
    page = admin_client.get(reverse("admin:printing_send_to_print")).content.decode()
    assert f'<option value="{printer("J850-1").pk}">' in page
    assert f'<option value="{resting.pk}">' not in page
