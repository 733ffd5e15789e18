"""The item and the tray follow a print job inside its transition: state read from the jobs, legal steps."""

from __future__ import annotations

import pytest

from orders.models import OrderEvent
from printing.models import PrintJob, TrayEvent
from printing.services import (
    PRINT_JOB_FOLLOWERS,
    item_follow_print_jobs,
    print_job_move,
    print_job_transition,
    reprint_create,
    tray_move,
)
from printing.services.items import item_target_status
from tests.factories import approved_item, job_in_state

pytestmark = pytest.mark.django_db


def item_steps(item) -> list[tuple[str, str]]:
    events = OrderEvent.objects.filter(subject="item", subject_id=item.pk, type="status_changed")
    return list(events.order_by("date", "pk").values_list("from_status", "to_status"))


def reprint_of(job: PrintJob, reason: str = "lost by the carrier") -> PrintJob:
    return reprint_create(item_id=job.item_id, reason=reason, reprint_of_id=job.pk)


def test_cancelling_the_reprint_of_a_delivered_figurine_walks_the_item_back(enqueued):
    job = job_in_state("delivered")
    reprint = reprint_of(job)
    job.item.refresh_from_db()
    assert job.item.status == "in_production"
    print_job_move(print_job_id=reprint.pk, to="cancelled", reason="found the parcel")
    job.item.refresh_from_db()
    assert job.item.status == "delivered"
    assert item_steps(job.item) == [
        ("delivered", "in_production"),
        ("in_production", "shipped"),  # one legal step at a time, each an event
        ("shipped", "delivered"),
    ]
    last = OrderEvent.objects.filter(subject="item", subject_id=job.item_id).latest("pk")
    assert (
        last.parameters["print_job_id"] == reprint.pk and last.parameters["reason"] == "print job cancelled"
    )


def test_the_item_follows_its_latest_parcel(enqueued):
    job = job_in_state("shipped")  # lost on the way: a reprint is sent, and arrives first
    reprint = reprint_of(job)
    for to in ("batched", "printing", "printed", "qc_passed", "packed"):
        print_job_transition(print_job_id=reprint.pk, to=to)
    print_job_move(print_job_id=reprint.pk, to="shipped", tracking_number="JD0142")
    job.item.refresh_from_db()
    assert job.item.status == "shipped"
    shipped = OrderEvent.objects.filter(subject="item", subject_id=job.item_id, to_status="shipped").latest(
        "pk"
    )
    assert shipped.parameters["tracking_number"] == "JD0142"
    print_job_move(print_job_id=reprint.pk, to="delivered")
    job.item.refresh_from_db()
    assert job.item.status == "delivered" and job.item.order.status == "delivered"


def test_a_cancelled_only_job_sends_the_item_back_to_approved(enqueued):
    job = job_in_state("queued")
    print_job_move(print_job_id=job.pk, to="cancelled")
    job.item.refresh_from_db()
    assert job.item.status == "approved"
    assert item_follow_print_jobs(item_id=job.item_id) == []  # nothing left to do: it follows once


def test_a_failed_qc_keeps_the_item_in_production(enqueued):
    job = job_in_state("printed")
    before = item_steps(job.item)
    print_job_move(print_job_id=job.pk, to="qc_failed", reason="cracked base")
    job.item.refresh_from_db()
    assert job.item.status == "in_production" and item_steps(job.item) == before
    assert PrintJob.objects.get(reprint_of=job).status == "queued"


def test_jobs_that_say_nothing_leave_the_item_alone(enqueued):
    digital = approved_item()  # approved, no print job (e.g. a digital-only item)
    assert item_target_status(digital) is None
    assert item_follow_print_jobs(item_id=digital.pk) == []
    digital.refresh_from_db()
    assert digital.status == "approved"


def test_a_follower_runs_inside_the_job_transition(enqueued, monkeypatch):
    job = job_in_state("packed")

    def broken(job, **_):
        raise RuntimeError("follower failed")

    monkeypatch.setattr("printing.services.core.PRINT_JOB_FOLLOWERS", [*PRINT_JOB_FOLLOWERS, broken])
    before = OrderEvent.objects.count()
    with pytest.raises(RuntimeError):
        print_job_move(print_job_id=job.pk, to="shipped", tracking_number="1Z1")
    job.refresh_from_db()
    job.item.refresh_from_db()
    assert (job.status, job.item.status) == ("packed", "in_production")  # the move and the item's step
    assert OrderEvent.objects.count() == before


def test_a_job_leaving_by_a_plain_transition_relays_its_tray(enqueued):
    first, second = job_in_state("queued"), job_in_state("queued")
    print_job_move(print_job_id=first.pk, to="batched")
    print_job_move(print_job_id=second.pk, to="batched")
    tray = PrintJob.objects.get(pk=first.pk).batch
    print_job_transition(print_job_id=first.pk, to="cancelled", update={"batch": None})
    tray.refresh_from_db()
    assert [p["print_job_id"] for p in tray.layout["parts"]] == [second.pk]
    print_job_transition(print_job_id=second.pk, to="queued", update={"batch": None})
    tray.refresh_from_db()
    assert tray.status == "cancelled"
    (event,) = TrayEvent.objects.filter(tray=tray)
    assert event.parameters == {"reason": "no job left on the tray"}


def test_a_whole_tray_moves_once_and_its_jobs_follow(enqueued, operator):
    jobs = [job_in_state("queued") for _ in range(2)]
    for job in jobs:
        print_job_move(print_job_id=job.pk, to="batched")
    tray = PrintJob.objects.get(pk=jobs[0].pk).batch
    revision = tray.layout["revision"]
    tray_move(tray_id=tray.pk, to="cancelled", user=operator)
    tray.refresh_from_db()
    assert tray.status == "cancelled" and tray.layout["revision"] == revision  # not laid out per leaver
    assert {PrintJob.objects.get(pk=j.pk).status for j in jobs} == {"queued"}
    (event,) = TrayEvent.objects.filter(tray=tray)
    assert (event.to_status, event.parameters) == ("cancelled", {"jobs": sorted(j.pk for j in jobs)})


def test_the_tray_is_done_when_its_last_job_leaves_the_printer(enqueued):
    first = job_in_state("queued")
    second = job_in_state("queued")
    for job in (first, second):
        print_job_move(print_job_id=job.pk, to="batched")
    tray = PrintJob.objects.get(pk=first.pk).batch
    print_job_move(print_job_id=first.pk, to="printing")  # the whole tray starts
    print_job_move(print_job_id=first.pk, to="printed")
    tray.refresh_from_db()
    assert tray.status == "printing"
    print_job_move(print_job_id=second.pk, to="qc_failed", reason="warped")
    tray.refresh_from_db()
    assert tray.status == "done"
    assert list(TrayEvent.objects.filter(tray=tray).values_list("to_status", flat=True)) == [
        "printing",
        "done",
    ]
