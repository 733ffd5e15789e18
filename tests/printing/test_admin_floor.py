"""The operator's floor as an operator (group "Operators") uses it in the admin: trays laid out from a
filtered queue say what fit, moves and footprints read in words, the tray page shows its picture and its
layout as a table, reprints say why and whether a claim made them, Design Guarantee claims open for the
operator (not for a sculptor)."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from printing.models import Batch, GuaranteeClaim, PrintJob
from printing.services import tray_create
from tests.factories import job_in_state, printer
from tests.printing.test_reprints import claim, customer_api

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/printing/printjob/"


@pytest.fixture
def floor(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def lay_out(client: Client, jobs: list[PrintJob]):
    """The operator's path: the queue filtered to queued jobs, the selection laid out on a new tray."""
    return client.post(
        f"{CHANGELIST}?status__exact=queued",
        {
            "action": "tray_from_selection_action",
            "apply": "1",
            "printer": printer().pk,
            "_selected_action": [j.pk for j in jobs],
        },
        follow=True,
    )


def test_three_jobs_that_fit_are_all_reported_on_the_tray(floor, enqueued):
    jobs = [job_in_state("queued") for _ in range(3)]
    response = lay_out(floor, jobs)
    assert response.status_code == 200
    tray = Batch.objects.get()
    assert tray.jobs.count() == 3
    (text,) = messages_of(response)
    assert f"Tray #{tray.pk}: all 3 selected print jobs fit" in text
    assert "did not fit" not in text and not re.search(r"-\d", text)


def test_a_job_that_does_not_fit_is_named(floor, enqueued):
    first = job_in_state("queued", footprint=(300, 300), due_in_days=2)
    second = job_in_state("queued", footprint=(300, 300), due_in_days=5)  # no room beside the first
    (text,) = messages_of(lay_out(floor, [first, second]))
    assert "1 print job of 2 placed" in text
    assert f"1 print job (#{second.pk}) did not fit" in text and not re.search(r"-\d", text)
    second.refresh_from_db()
    assert second.status == "queued"


def test_moves_and_refusals_are_reported_with_the_status_labels(floor, enqueued):
    printed, packed = job_in_state("printed"), job_in_state("printed")
    response = floor.post(
        CHANGELIST, {"action": "move_to_qc_passed", "_selected_action": [printed.pk]}, follow=True
    )
    assert messages_of(response) == ["1 print job moved to QC passed."]
    PrintJob.objects.filter(pk=packed.pk).update(status="packed")
    response = floor.post(
        CHANGELIST, {"action": "move_to_batched", "_selected_action": [packed.pk]}, follow=True
    )
    (text,) = messages_of(response)
    assert text == f"Print job #{packed.pk} is Packed: it cannot move to On a tray."
    page = response.content.decode()
    assert "qc_passed" not in " ".join(messages_of(response)) and "'packed'" not in page


def test_marking_tray_jobs_printing_counts_those_their_tray_carried_and_refuses_the_others(
    floor, operator, enqueued
):
    on_tray = [job_in_state("queued") for _ in range(3)]
    tray = tray_create(printer_id=printer().pk, user=operator, job_ids=[j.pk for j in on_tray])
    already = job_in_state("printing", tray_status="printing")  # printing before the action
    off_tray = job_in_state("queued")  # not laid out: it cannot print
    selected = [on_tray[0], on_tray[1], already, off_tray]  # the tray's third job is not selected
    response = floor.post(
        CHANGELIST,
        {"action": "move_to_printing", "_selected_action": [j.pk for j in selected]},
        follow=True,
    )
    said = messages_of(response)
    assert said[0] == "2 print jobs moved to Printing.", said
    assert sorted(said[1:]) == sorted(
        [
            f"Print job #{already.pk} is Printing: it cannot move to Printing.",
            f"Print job #{off_tray.pk} is Queued: it cannot move to Printing.",
        ]
    )
    statuses = dict(PrintJob.objects.values_list("pk", "status"))
    assert [statuses[j.pk] for j in on_tray] == ["printing"] * 3  # the whole tray prints as one
    assert (statuses[already.pk], statuses[off_tray.pk]) == ("printing", "queued")
    tray.refresh_from_db()
    assert tray.status == "printing"


def test_footprints_read_in_millimetres(floor, enqueued):
    job = job_in_state("queued", footprint=(59.752, 59.753))
    page = floor.get(reverse("admin:printing_printjob_change", args=[job.pk])).content.decode()
    assert "59.8 × 59.8 mm" in page and "59.752" not in page
    form = floor.post(CHANGELIST, {"action": "tray_from_selection_action", "_selected_action": [job.pk]})
    assert "59.8 × 59.8 mm" in form.content.decode() and "59.752" not in form.content.decode()


def make_reprint(reason: str) -> PrintJob:
    job = job_in_state("queued")
    PrintJob.objects.filter(pk=job.pk).update(is_reprint=True, reprint_reason=reason, charge_cents=0)
    return job


def test_tray_page_fits_shows_the_layout_as_a_table_and_the_reprints(floor, enqueued):
    first = job_in_state("queued", footprint=(59.752, 59.753))
    from_qc = make_reprint("nose chipped at QC")
    from_claim = make_reprint("Design Guarantee claim: the glasses are missing")
    shipped = job_in_state("shipped")
    record = GuaranteeClaim.objects.create(
        item=shipped.item, reason="the glasses are missing", print_job=shipped, reprint=from_claim
    )
    lay_out(floor, [first, from_qc, from_claim])
    tray = Batch.objects.get()
    response = floor.get(reverse("admin:printing_batch_change", args=[tray.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    picture = re.search(r'<img src="[^"]*tray-layout[^"]*"[^>]*>', page).group(0)
    assert "max-width:100%" in picture
    # the layout in words, never its JSON
    assert '"print_job_id"' not in page and "&quot;print_job_id&quot;" not in page and "maxrects" not in page
    assert "where each job sits" in page.lower() and f"print job #{first.pk}</a>" in page
    assert "59.8 × 59.8 mm" in page and "59.752" not in page
    # the tray's job list: why each reprint exists, and which came from a claim
    assert "Reprint (not from a claim): nose chipped at QC" in page
    assert f"Design Guarantee claim #{record.pk}</a>" in page
    assert reverse("admin:printing_guaranteeclaim_change", args=[record.pk]) in page


def test_operators_review_claims_and_sculptors_are_refused(floor, sculptor, enqueued):
    delivered = job_in_state("delivered")
    api = customer_api(APIClient(), delivered.item.order.customer)
    assert claim(api, delivered.item, reason="the glasses are missing", photos=2).status_code == 201
    record = GuaranteeClaim.objects.get()
    changelist = floor.get(reverse("admin:printing_guaranteeclaim_changelist"))
    assert changelist.status_code == 200
    listing = changelist.content.decode()
    assert "the glasses are missing" in listing and delivered.item.order.number in listing
    change = floor.get(reverse("admin:printing_guaranteeclaim_change", args=[record.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert "the glasses are missing" in page and "photos of what arrived" in page.lower()
    assert "Waiting for review" in page and "Approve and reprint" in page and "Decline" in page
    photo_urls = re.findall(r'<img src="([^"]*claim-photo[^"]*)"', page)
    assert len(photo_urls) == 2
    assert floor.get(photo_urls[0].replace("&amp;", "&")).status_code == 200
    # the operator approves it: the free reprint is made
    approved = floor.post(reverse("admin:printing_guaranteeclaim_approve", args=[record.pk]))
    assert approved.status_code == 302
    record.refresh_from_db()
    assert record.status == "approved" and record.reprint_id
    page = floor.get(reverse("admin:printing_guaranteeclaim_change", args=[record.pk])).content.decode()
    assert f"print job #{record.reprint_id}</a> (Queued)" in page and "Approve and reprint" not in page
    # the reprint the claim made is the operator's to work: its page opens, the queue moves it
    assert floor.get(reverse("admin:printing_printjob_change", args=[record.reprint_id])).status_code == 200
    floor.post(CHANGELIST, {"action": "move_to_cancelled", "_selected_action": [record.reprint_id]})
    assert PrintJob.objects.get(pk=record.reprint_id).status == "cancelled"

    bench = Client()
    bench.force_login(sculptor)
    assert bench.get(reverse("admin:printing_guaranteeclaim_changelist")).status_code == 403
    assert bench.get(reverse("admin:printing_guaranteeclaim_change", args=[record.pk])).status_code == 403
    assert bench.post(reverse("admin:printing_guaranteeclaim_decline", args=[record.pk])).status_code == 403
