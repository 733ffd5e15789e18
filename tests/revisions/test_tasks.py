"""The check task (files, reports, rejection, idempotency), e-mails, deadline warnings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone

from kits.mesh import load_mesh
from kits.mesh.axes import gltf_to_studio, studio_to_gltf
from orders.models import Item, ItemStatus, OrderEvent
from revisions.models import CheckJob, RevisionStatus
from revisions.services import revision_publish, revision_request_changes, revision_upload
from revisions.tasks import (
    check_revision,
    notify_sculptor_of_feedback,
    notify_sculptor_of_rejection,
    send_revision_published_email,
    warn_due_previews,
)
from studio.jobs import JobStatus
from tests.factories import ItemFactory, UserFactory
from tests.kits.mesh.meshes import mesh_bytes, open_sphere, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file

pytestmark = pytest.mark.django_db


def test_check_task_makes_previews_renders_and_the_difference(item, sculptor, enqueued, settings):
    first = make_ready_round(item, sculptor, run_checks=True)
    assert first.triangles == len(sphere_figurine().faces) and first.vertices == len(
        sphere_figurine().vertices
    )
    assert first.check_report["printable"] is True and first.check_report["watertight"] is True
    assert first.diff_report == {} and not first.heatmap_glb  # nothing to compare with yet
    assert len(first.renders) == 8 and all(default_storage.exists(name) for name in first.renders)

    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    assert second.status == RevisionStatus.READY
    diff = second.diff_report
    assert diff["previous_round"] == 1 and diff["previous_revision_id"] == first.pk
    # the top was pushed 1.5 mesh units up on a 40-unit figurine printed 150 mm tall
    assert diff["max_mm"] == pytest.approx(1.5 * 150 / 40, rel=0.05)
    assert 0 < diff["area_changed_fraction"] < 0.5
    assert default_storage.exists(second.heatmap_glb.name)

    job = CheckJob.objects.get(revision=second)
    assert (job.status, job.stage, job.percent, job.attempts) == (JobStatus.COMPLETED, "done", 100, 1)


def test_web_glb_is_metres_y_up_and_reads_back_as_the_studio_mesh(item, sculptor, enqueued):
    revision = make_ready_round(item, sculptor, run_checks=True)
    path = default_storage.path(revision.web_glb.name)
    original = sphere_figurine()
    # the toolkit's loader turns a GLB's metres, Y up into mm, Z up: the figurine comes back as uploaded
    back = load_mesh(path).mesh
    assert np.allclose(back.bounds, original.bounds, atol=1e-3)
    import trimesh

    raw = trimesh.load(path, process=False)
    raw = raw.to_geometry() if hasattr(raw, "to_geometry") else raw
    assert np.ptp(raw.vertices[:, 1]) == pytest.approx(np.ptp(original.vertices[:, 2]) / 1000, abs=1e-6)
    point = np.array([[1.0, -2.0, 3.0]])  # mm, Z up
    assert np.allclose(studio_to_gltf(point), [[0.001, 0.003, 0.002]])  # metres, Y up
    assert np.allclose(gltf_to_studio(studio_to_gltf(point)), point)


def test_open_mesh_is_rejected_with_its_blocking_issues(item, sculptor, enqueued):
    revision = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(open_sphere())), user=sculptor)
    assert check_revision(revision.pk) == "rejected"
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED
    codes = {i["code"] for i in revision.check_report["issues"] if i["severity"] == "error"}
    assert "not_watertight" in codes
    event = OrderEvent.objects.filter(subject="revision", subject_id=revision.pk, to_status="rejected").get()
    assert "not_watertight" in {b["code"] for b in event.parameters["blocking"]}


@pytest.fixture
def past_the_preflight_parse(monkeypatch):
    """Files the upload's preflight does not parse (over its size bound) are judged by the check task."""
    monkeypatch.setattr("revisions.upload_checks.PARSE_MAX_BYTES", 0)


def test_unreadable_file_is_rejected(item, sculptor, enqueued, past_the_preflight_parse):
    revision = revision_upload(
        # looks like a PLY by its first bytes (so the upload takes it), but cannot be parsed
        item_id=item.pk,
        file=upload_file(b"ply\n" + b"this is not a mesh at all" * 10, "x.ply"),
        user=sculptor,
    )
    assert check_revision(revision.pk) == "rejected"
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED
    assert revision.check_report["issues"][0]["code"] == "unreadable"
    assert CheckJob.objects.get(revision=revision).data["verdict"] == "rejected"


def test_rejected_rounds_are_never_the_comparison_baseline(
    item, sculptor, enqueued, past_the_preflight_parse
):
    first = make_ready_round(item, sculptor)
    bad = revision_upload(
        item_id=item.pk, file=upload_file(b"ply\n" + b"garbage" * 20, "x.ply"), user=sculptor
    )
    check_revision(bad.pk)
    third = make_ready_round(item, sculptor, bump=1, run_checks=True)
    assert third.diff_report["previous_revision_id"] == first.pk


def test_check_task_is_idempotent_on_redelivery(item, sculptor, enqueued):
    revision = make_ready_round(item, sculptor, run_checks=True)
    events = OrderEvent.objects.count()
    assert check_revision(revision.pk) == "skipped"
    assert check_revision(999_999) == "skipped"
    assert OrderEvent.objects.count() == events
    assert CheckJob.objects.filter(revision=revision).count() == 1


def test_check_job_gives_up_and_rejects_after_its_attempts(item, sculptor, enqueued, settings, monkeypatch):
    settings.TASK_MAX_ATTEMPTS = 2
    revision = revision_upload(
        item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine())), user=sculptor
    )

    def crash(*args, **kwargs):
        raise RuntimeError("worker ran out of memory")

    monkeypatch.setattr("revisions.tasks.process_revision_mesh", crash)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            check_revision(revision.pk)
        # the worker died with the task: its lease runs out before the broker delivers it again
        CheckJob.objects.filter(revision=revision).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert check_revision(revision.pk) == "skipped"  # third delivery: attempts spent
    revision.refresh_from_db()
    job = CheckJob.objects.get(revision=revision)
    assert job.status == JobStatus.ERRORED and "worker ran out of memory" in job.error
    assert revision.status == RevisionStatus.REJECTED
    assert "could not finish" in revision.check_report["issues"][0]["message"]


def test_published_email_is_sent_once_with_a_sign_in_link(ready_round, item, sculptor, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    assert send_revision_published_email(ready_round.pk) is True
    assert send_revision_published_email(ready_round.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [item.order.customer.email]
    assert "/portal/login/" in message.body and f"/portal/revisions/{ready_round.pk}/" in message.body


def test_sculptor_hears_about_feedback_once(ready_round, item, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    feedback = revision_request_changes(
        revision_id=ready_round.pk,
        customer=customer,
        comment="Smile",
        pins=[{"position": [1, 2, 3], "text": "Here"}],
    )
    assert notify_sculptor_of_feedback(feedback.pk) is True
    assert notify_sculptor_of_feedback(feedback.pk) is False
    (message,) = mail.outbox
    assert message.to == [sculptor.email] and "Smile" in message.body and "Here" in message.body


def test_deadline_warning_once_per_item_and_due_time(db, enqueued):
    sculptor = UserFactory(username="warned", email="warned@example.com")
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # a Wednesday morning
    soon = ItemFactory(
        status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, preview_due_at=now + timedelta(hours=1)
    )
    late = ItemFactory(
        status=ItemStatus.READY_FOR_DESIGN,
        assigned_sculptor=sculptor,
        preview_due_at=now - timedelta(hours=2),
    )
    ItemFactory(
        status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, preview_due_at=now + timedelta(days=30)
    )
    ItemFactory(
        status=ItemStatus.IN_REVIEW, assigned_sculptor=sculptor, preview_due_at=now - timedelta(hours=1)
    )
    ItemFactory(status=ItemStatus.SCULPTING, preview_due_at=now)  # nobody assigned: nobody to warn

    assert warn_due_previews(within_business_hours=8, now=now) == 2
    assert warn_due_previews(within_business_hours=8, now=now) == 0  # once per item and due time
    warned = set(OrderEvent.objects.filter(type="preview_due_warning").values_list("item_id", flat=True))
    assert warned == {soon.pk, late.pk}
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == ["Due soon", "Overdue"]
    assert {m.to[0] for m in mail.outbox} == {"warned@example.com"}

    Item.objects.filter(pk=soon.pk).update(preview_due_at=now + timedelta(hours=3))  # a new deadline
    assert warn_due_previews(within_business_hours=8, now=now) == 1


def test_uploader_hears_why_a_round_was_rejected_once(item, sculptor, enqueued, on_commit):
    revision = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(open_sphere())), user=sculptor)
    with on_commit(execute=True):
        check_revision(revision.pk)
    assert ("revisions.tasks.notify_sculptor_of_rejection", (revision.pk,), None) in enqueued
    assert notify_sculptor_of_rejection(revision.pk) is True
    assert notify_sculptor_of_rejection(revision.pk) is False
    (message,) = mail.outbox
    assert message.to == [sculptor.email] and "not_watertight" in message.body
