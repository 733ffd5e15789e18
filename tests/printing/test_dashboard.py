"""The operator's "Needs attention" page, as an Operators user sees it: one row in each part (late job,
failed print file, QC failure without a reprint under way, claim to review, queue without a worker) with
links and times in the studio's time zone; what is already handled stays off; "Nothing needs attention"
when the floor is clear; a sculptor gets 403; the admin index links to it for operators only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from glue.workers import QueueState
from orders.portal_presenter import studio_date
from printing.models import GuaranteeClaim, PrintFileJob, PrintJob
from tests.factories import job_in_state, staff_user

pytestmark = pytest.mark.django_db
URL = "/admin/printing/printjob/needs-attention/"


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(staff_user("floor-operator", "Operators"))
    return client


@pytest.fixture
def queues(monkeypatch):
    """glue's worker report, without a broker: the queue states the page is given."""
    states: list[QueueState] = []
    monkeypatch.setattr("glue.workers.queue_states", lambda: (states, []))
    return states


def part(html: str, key: str) -> tuple[str, str]:
    match = re.search(
        rf'<section class="part" id="part-{key}" data-count="(\d+)">(.*?)</section>', html, re.S
    )
    assert match, f"part {key} missing"
    return match.group(1), match.group(2)


def test_each_part_lists_what_needs_attention_with_links(operator_client, queues):
    late = job_in_state("queued", due_in_days=-3)
    failed_file = job_in_state("queued")
    PrintFileJob.objects.create(print_job=failed_file, status="failed", error="Mesh is not watertight\ntrace")
    fixed_file = job_in_state("queued")  # failed once, then made: nothing to do
    PrintFileJob.objects.create(print_job=fixed_file, status="failed", error="timeout")
    PrintFileJob.objects.create(print_job=fixed_file, status="completed")
    qc_failed = job_in_state("qc_failed")
    PrintJob.objects.filter(pk=qc_failed.pk).update(qc_note="Left arm snapped")
    qc_handled = job_in_state("qc_failed")  # its reprint is printing: nothing to do
    reprint = job_in_state("printing")
    PrintJob.objects.filter(pk=reprint.pk).update(is_reprint=True, reprint_of=qc_handled, charge_cents=0)
    shipped = job_in_state("shipped")
    claim = GuaranteeClaim.objects.create(item=shipped.item, print_job=shipped, reason="The colours are off")
    granted = job_in_state("queued")  # reviewed claims: nothing to do
    GuaranteeClaim.objects.create(
        item=shipped.item, print_job=shipped, reprint=granted, status="approved", reason="approved one"
    )
    GuaranteeClaim.objects.create(
        item=shipped.item, print_job=shipped, status="declined", reason="declined one"
    )
    queues.append(QueueState(name="print", waiting=4))
    queues.append(QueueState(name="default", waiting=0))

    response = operator_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing needs attention" not in html

    count, text = part(html, "late")
    assert count == "1"
    assert reverse("admin:printing_printjob_change", args=[late.pk]) in text
    assert f"Print job #{late.pk}, order {late.item.order.number}" in text
    assert "3 days late, still queued" in text
    due = studio_date(late.due_at, with_time=True)
    assert f"due {due}" in text and re.search(r"\b(EST|EDT)\)", text)  # the studio's zone, named
    assert "?late=1" in text  # the queue's own "Late" filter

    count, text = part(html, "print-files")
    assert count == "1"
    assert reverse("admin:printing_printjob_change", args=[failed_file.pk]) in text
    assert "The print file failed: Mesh is not watertight." in text and "trace" not in text
    assert f"#{fixed_file.pk}," not in text

    count, text = part(html, "qc")
    assert count == "1"
    assert reverse("admin:printing_printjob_change", args=[qc_failed.pk]) in text
    assert "QC found: Left arm snapped. No reprint has been made yet." in text
    assert f"#{qc_handled.pk}," not in text

    count, text = part(html, "claims")
    assert count == "1"
    assert reverse("admin:printing_guaranteeclaim_change", args=[claim.pk]) in text
    assert "The customer says: The colours are off" in text
    assert "approved one" not in text and "declined one" not in text
    assert "?status__exact=submitted" in text

    count, text = part(html, "queues")
    assert count == "1"
    assert "Queue “print” has 4 waiting tasks and no live worker" in text
    assert "“default”" not in text
    assert reverse("admin-workers") in text


def test_a_queued_reprint_still_counts_as_awaiting(operator_client, queues):
    failed = job_in_state("qc_failed")
    reprint = job_in_state("queued")
    PrintJob.objects.filter(pk=reprint.pk).update(is_reprint=True, reprint_of=failed, charge_cents=0)
    count, text = part(operator_client.get(URL).content.decode(), "qc")
    assert count == "1"
    assert f"Its reprint #{reprint.pk} is queued, not printing yet." in text


def test_a_clear_floor_says_nothing_needs_attention(operator_client, queues):
    job_in_state("queued")  # on time, no file trouble
    job_in_state("shipped", due_in_days=-5)  # past its date but shipped: not late
    queues.append(QueueState(name="print", waiting=0))
    html = operator_client.get(URL).content.decode()
    assert "Nothing needs attention." in html
    assert re.search(r"checked [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}, \d{1,2}:\d{2} [AP]M (EST|EDT)", html)
    for key in ("late", "print-files", "qc", "claims", "queues"):
        assert part(html, key)[0] == "0"
    assert "Late print jobs: none" in html


def test_a_broker_that_does_not_answer_is_shown(operator_client, monkeypatch):
    def down():
        raise OSError("connection refused")

    monkeypatch.setattr("glue.workers.queue_states", down)
    html = operator_client.get(URL).content.decode()
    assert "Nothing needs attention" not in html
    assert "The task broker does not answer" in part(html, "queues")[1]


def test_lists_are_capped_and_say_how_many(operator_client, queues, monkeypatch):
    monkeypatch.setattr("printing.admin_dashboard.LIST_LIMIT", 2)
    for _ in range(3):
        job_in_state("queued", due_in_days=-1)
    count, text = part(operator_client.get(URL).content.decode(), "late")
    assert count == "3" and "2 of 3 shown." in text


def test_a_sculptor_gets_403(queues):
    client = Client()
    client.force_login(staff_user("sculptor-d", "Sculptors"))
    job_in_state("queued", due_in_days=-3)
    assert client.get(URL).status_code == 403


def test_the_admin_index_links_to_it_for_operators_only(operator_client, queues):
    html = operator_client.get("/admin/").content.decode()
    assert f'href="{URL}" id="needs-attention-link"' in html
    sculptor = Client()
    sculptor.force_login(staff_user("sculptor-i", "Sculptors"))
    assert "needs-attention-link" not in sculptor.get("/admin/").content.decode()


def test_times_are_in_the_studio_zone(operator_client, queues, settings):
    settings.STUDIO_TIME_ZONE = "America/Los_Angeles"
    job = job_in_state("queued", due_in_days=-2)
    PrintJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - timedelta(days=2, hours=1))
    text = part(operator_client.get(URL).content.decode(), "late")[1]
    assert re.search(r"due .*(PST|PDT)\)", text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "viewport"), [("desktop", (1280, 900)), ("phone", (390, 844))])
def test_the_page_in_a_browser(live_server, monkeypatch, size, viewport):
    """What the operator sees at desktop and phone sizes: the parts with their counts, nothing wider than
    the screen; screenshots test-artifacts/operator_needs_attention_{desktop,phone}.png."""
    from tests.browser import ARTIFACTS, chromium_page

    monkeypatch.setattr("glue.workers.queue_states", lambda: ([QueueState(name="print", waiting=2)], []))
    late = job_in_state("queued", due_in_days=-3)
    failed = job_in_state("queued")
    PrintFileJob.objects.create(print_job=failed, status="errored", error="Export timed out after 900 s")
    shipped = job_in_state("shipped")
    GuaranteeClaim.objects.create(item=shipped.item, print_job=shipped, reason="The hair colour is wrong")
    client = Client()
    client.force_login(staff_user("browser-operator", "Operators"))
    width, height = viewport
    with chromium_page(monkeypatch, viewport={"width": width, "height": height}) as page:
        page.context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/admin/")
        page.click("#needs-attention-link")
        page.wait_for_selector("#needs-attention")
        assert page.locator("#part-late h2").inner_text() == "Late print jobs 1"
        assert page.locator("#part-print-files h2").inner_text() == "Print files that failed 1"
        assert page.locator("#part-claims h2").inner_text() == "Guarantee claims to review 1"
        assert page.locator("#part-queues h2").inner_text() == "Queues without a worker 1"
        assert page.locator("#part-qc h2").inner_text() == "QC failures awaiting a reprint: none"
        assert page.locator(f"#part-late a[href$='/printjob/{late.pk}/change/']").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px wider than the screen"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"operator_needs_attention_{size}.png"), full_page=True)
