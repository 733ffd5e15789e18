"""The printing admin lists cost the same number of queries for two rows as for many (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from printing.models import GuaranteeClaim, PrintFileJob, PrintJob
from studio.jobs import JobStatus
from tests.factories import job_in_state, printer

pytestmark = pytest.mark.django_db


def add_rows() -> None:
    """A queued job without a print file (its latest file job failed), jobs on an open and a printing
    tray, a shipped job with a Design Guarantee claim and its reprint."""
    waiting = job_in_state("queued")
    PrintJob.objects.filter(pk=waiting.pk).update(print_file="")
    PrintFileJob.objects.create(print_job=waiting, status=JobStatus.FAILED, error="no approved file")
    PrintFileJob.objects.create(print_job=waiting, status=JobStatus.RUNNING, percent=40)
    job_in_state("batched")
    job_in_state("printing")
    shipped = job_in_state("shipped")
    reprint = job_in_state("queued")
    GuaranteeClaim.objects.create(item=shipped.item, reason="no glasses", print_job=shipped, reprint=reprint)


def changelist_queries(admin_client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/printing/printjob/",
        "/admin/printing/batch/",
        "/admin/printing/printer/",
        "/admin/printing/printfilejob/",
        "/admin/printing/guaranteeclaim/",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(url, admin_client):
    printer("3DUJ-553-1")
    add_rows()
    few = changelist_queries(admin_client, url)
    for _ in range(3):
        add_rows()
    assert changelist_queries(admin_client, url) == few


def test_print_queue_page_with_many_jobs(admin_client, django_assert_max_num_queries):
    for _ in range(4):
        add_rows()
    assert PrintJob.objects.count() == 20
    with django_assert_max_num_queries(15):
        page = admin_client.get("/admin/printing/printjob/").content.decode()
    assert page.count("running 40 %") == 4  # each waiting job shows its latest file job
