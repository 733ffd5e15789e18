"""The print queue part of the demo: send to print, QC failure, free reprint, ship, deliver."""

from __future__ import annotations

import io

import pytest

from glue.demo_print import demo_print_and_ship
from orders.models import OrderEvent
from printing.models import Batch, PrintJob
from tests.factories import approved_item, printer

pytestmark = pytest.mark.django_db


def test_demo_runs_through_a_reprint_to_delivery(enqueued):
    printer("J850-1"), printer("3DUJ-553-1")  # seeded (again, if a transactional test flushed them)
    item = approved_item(height_mm=100)
    out = io.StringIO()
    summary = demo_print_and_ship(item, out)
    first, reprint = (
        PrintJob.objects.get(pk=summary["print_job_id"]),
        PrintJob.objects.get(pk=summary["reprint_id"]),
    )
    assert first.status == "qc_failed" and reprint.status == "delivered" and reprint.is_reprint
    assert reprint.print_file_sha256 == first.print_file_sha256 and reprint.charge_cents == 0
    item.refresh_from_db()
    assert item.status == "delivered" and item.order.status == "delivered"
    assert Batch.objects.filter(status="done").count() == 2 and all(t.tray_file for t in Batch.objects.all())
    text = out.getvalue()
    assert "failed QC" in text and "shipped with UPS" in text and "identical to the first: True" in text
    assert OrderEvent.objects.filter(item=item, type="reprint_created").exists()
