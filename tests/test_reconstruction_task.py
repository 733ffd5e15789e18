"""The reconstruction task: revision 0 from the item's photos, progress, idempotency and the failure path."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from kits.mesh import load_mesh
from orders.models import ItemStatus, OrderEvent, Photo
from reconstruction.models import ReconstructionJob
from reconstruction.tasks import reconstruct_item
from revisions.models import Revision, RevisionSource, RevisionStatus
from studio.jobs import JobStatus
from tests.factories import ItemFactory
from tests.reconstruction.drawing import person_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_budget(settings):
    settings.RECONSTRUCTION_TRIANGLE_BUDGET = 4000
    settings.RECONSTRUCTION_DEVICE = "cpu"
    settings.RECONSTRUCTION_BACKEND = "builtin"


def _item_with_front_photo(**kwargs):
    item = ItemFactory(status=ItemStatus.READY_FOR_DESIGN, **kwargs)
    buffer = io.BytesIO()
    Image.fromarray(person_photo((180, 240))).save(buffer, format="PNG")
    name = default_storage.save(f"photos/test/{item.pk}/front.png", ContentFile(buffer.getvalue()))
    Photo.objects.create(
        item=item,
        kind="front",
        image=name,
        width=180,
        height=240,
        sha256="0" * 64,
        original_sha256="1" * 64,
        is_usable=True,
    )
    return item


def test_reconstruction_stores_revision_zero_and_moves_the_item_to_sculpting(
    enqueued, django_capture_on_commit_callbacks
):
    item = _item_with_front_photo(height_mm=120)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconstruct_item(item.pk) == "completed"
    item.refresh_from_db()
    assert item.status == ItemStatus.SCULPTING and not item.flagged
    revision = Revision.objects.get(item=item, number=0)
    assert revision.source == RevisionSource.AI and revision.status == RevisionStatus.CHECKING
    assert revision.triangles > 1000 and len(revision.sha256) == 64
    mesh = load_mesh(revision.mesh.path).mesh  # the studio's loader: GLB is read back Z up
    assert mesh.is_watertight
    assert mesh.bounds[0][2] == pytest.approx(0, abs=0.5) and mesh.extents[2] == pytest.approx(120, abs=1.5)
    job = ReconstructionJob.objects.get(item=item)
    assert (job.status, job.percent, job.attempts) == (JobStatus.COMPLETED, 100, 1)
    assert job.revision == revision and job.data["report"]["watertight"] is True
    assert ("revisions.tasks.check_revision", (revision.pk,), None) in enqueued
    steps = list(OrderEvent.objects.filter(item=item, subject="item").values_list("to_status", flat=True))
    assert steps == ["reconstructing", "sculpting"]


def test_a_second_delivery_changes_nothing(enqueued):
    item = _item_with_front_photo()
    reconstruct_item(item.pk)
    assert reconstruct_item(item.pk).startswith("skipped")
    assert Revision.objects.filter(item=item).count() == 1
    assert ReconstructionJob.objects.filter(item=item).count() == 1


def test_failure_still_reaches_sculpting_flagged_with_a_template_body(enqueued):
    item = ItemFactory(
        status=ItemStatus.READY_FOR_DESIGN, product_line="pet", height_mm=100
    )  # no photos at all
    assert reconstruct_item(item.pk).startswith("failed")
    item.refresh_from_db()
    assert item.status == ItemStatus.SCULPTING
    assert item.flagged and "template body" in item.flag_reason
    revision = Revision.objects.get(item=item, number=0)
    assert revision.source == RevisionSource.TEMPLATE
    job = ReconstructionJob.objects.get(item=item)
    assert job.status == JobStatus.FAILED and job.error


def test_a_task_that_keeps_killing_its_worker_gives_up_with_a_template(enqueued, settings):
    settings.TASK_MAX_ATTEMPTS = 2
    item = _item_with_front_photo()
    # Two deliveries whose worker died mid-run: the job is left running with its attempts counted.
    from reconstruction.services import reconstruction_start

    job = reconstruction_start(item_id=item.pk)
    for _ in range(2):
        ReconstructionJob.claim(job.pk)
        ReconstructionJob.objects.filter(pk=job.pk).update(lease_expires_at=job.created_at)  # it died
    assert reconstruct_item(item.pk).startswith("gave up")
    item.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.ERRORED and job.attempts == 2
    assert item.status == ItemStatus.SCULPTING and item.flagged
    assert Revision.objects.get(item=item, number=0).source == RevisionSource.TEMPLATE


def test_items_not_waiting_for_reconstruction_are_left_alone(enqueued):
    item = ItemFactory(status=ItemStatus.AWAITING_PHOTOS)
    assert reconstruct_item(item.pk).startswith("skipped")
    assert not ReconstructionJob.objects.exists()


@pytest.mark.parametrize("line", ["solo", "couple", "pet", "bust", "family"])
def test_template_bodies_are_watertight_at_the_ordered_height(line):
    from reconstruction.core.template import template_body

    mesh = template_body(line, height_mm=150, persons=3)
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    assert mesh.bounds[0][2] == pytest.approx(0) and mesh.extents[2] == pytest.approx(150)
