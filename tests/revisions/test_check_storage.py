"""The check task reads a round's file wherever it is stored: disk, object storage (no local path), or gone."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from revisions.models import RevisionStatus
from revisions.services import revision_upload
from revisions.tasks import check_revision
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file
from tests.storages import use_object_storage

pytestmark = pytest.mark.django_db


def test_the_check_task_reads_object_storage(item, sculptor, enqueued, settings):
    use_object_storage(settings)
    first = make_ready_round(item, sculptor, run_checks=True)
    with pytest.raises(NotImplementedError):
        first.mesh.path  # noqa: B018 - no local path on object storage
    assert first.web_glb and len(first.renders) == 8 and default_storage.exists(first.web_glb.name)
    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    assert second.diff_report["previous_round"] == 1 and second.diff_report["max_mm"] > 0
    assert default_storage.exists(second.heatmap_glb.name)


@pytest.mark.parametrize("object_storage", [False, True])
def test_a_missing_upload_is_rejected_as_unreadable(item, sculptor, enqueued, settings, object_storage):
    if object_storage:
        use_object_storage(settings)
    revision = revision_upload(
        item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine())), user=sculptor
    )
    default_storage.delete(revision.mesh.name)
    assert check_revision(revision.pk) == "rejected"
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED
    assert [(i["code"], i["message"]) for i in revision.check_report["issues"]] == [
        ("unreadable", "the uploaded file is missing from storage")
    ]


@pytest.mark.parametrize("object_storage", [False, True])
def test_a_missing_previous_round_only_leaves_the_difference_out(
    item, sculptor, enqueued, settings, object_storage
):
    if object_storage:
        use_object_storage(settings)
    first = make_ready_round(item, sculptor)
    default_storage.delete(first.mesh.name)
    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    assert second.status == RevisionStatus.READY
    assert second.diff_report["error"] == "round 1's file is missing from storage"
    assert second.diff_report["previous_revision_id"] == first.pk and not second.heatmap_glb
