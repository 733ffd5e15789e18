"""A round the customer saw or approved is final everywhere: the admin forms, the services, the storage.

The Design Guarantee reprints the exact file approved (its SHA-256); so nothing may replace that file or
what was derived from it, and a new upload never lands on an earlier round's storage path.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from revisions import services
from revisions.models import REVISION_OPEN_STATES, Approval, Feedback, Revision, RevisionStatus
from revisions.services import revision_publish, revision_transition, revision_upload
from studio.errors import Conflict
from studio.storage import stored_file_check, stored_sha256
from tests.admin_forms import change_form_data
from tests.factories import RevisionFactory, approved_item
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import upload_file

pytestmark = pytest.mark.django_db

OTHER_MESH = b"solid evil\nendsolid evil\n"


def _change_url(revision: Revision) -> str:
    return f"/admin/revisions/revision/{revision.pk}/change/"


def _approved_round() -> Revision:
    return approved_item().approval.revision


# ------------------------------------------------------------------------------------------ the predicate
@pytest.mark.parametrize("status", RevisionStatus.values)
def test_a_round_is_final_from_publishing_on(status):
    revision = RevisionFactory(status=status)
    assert revision.file_locked is (status not in REVISION_OPEN_STATES)
    assert set(REVISION_OPEN_STATES) == {"uploaded", "checking", "ready"}


def test_a_round_once_shown_to_the_customer_stays_final():
    from django.utils import timezone

    revision = RevisionFactory(status=RevisionStatus.READY, published_at=timezone.now())
    assert revision.file_locked


# ------------------------------------------------------------------------------------------ the admin form
def test_posting_a_new_mesh_to_an_approved_round_changes_nothing(admin_client):
    revision = _approved_round()
    approval = revision.approval
    before = Revision.objects.get(pk=revision.pk)
    with default_storage.open(before.mesh.name, "rb") as handle:
        approved_bytes = handle.read()

    page = admin_client.get(_change_url(revision)).content.decode()
    assert 'type="file"' not in page and 'name="note"' not in page  # nothing of the round is editable
    data = change_form_data(
        admin_client,
        _change_url(revision),
        mesh=SimpleUploadedFile("new.stl", OTHER_MESH),
        web_glb=SimpleUploadedFile("preview.glb", OTHER_MESH),
        sha256=hashlib.sha256(OTHER_MESH).hexdigest(),
        original_filename="new.stl",
        note="a note the customer never saw",
        status="ready",
    )
    response = admin_client.post(_change_url(revision), data)
    assert response.status_code == 302  # "saved": there was nothing it could change

    after = Revision.objects.get(pk=revision.pk)
    assert (after.mesh.name, after.sha256, after.size_bytes, after.original_filename, after.note) == (
        before.mesh.name,
        before.sha256,
        before.size_bytes,
        before.original_filename,
        before.note,
    )
    assert after.status == RevisionStatus.APPROVED and not after.web_glb
    with default_storage.open(after.mesh.name, "rb") as handle:
        assert handle.read() == approved_bytes
    # what a reprint checks before it prints: the stored file is still the one approved
    assert stored_sha256(after.mesh)[0] == approval.sha256
    assert stored_file_check(after.mesh, sha256=Approval.objects.get(pk=approval.pk).sha256).ok
    folder = after.mesh.name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [after.mesh.name.rsplit("/", 1)[1]]  # no second file


@pytest.mark.parametrize(
    "status",
    [
        RevisionStatus.PUBLISHED,
        RevisionStatus.CHANGES_REQUESTED,
        RevisionStatus.SUPERSEDED,
        RevisionStatus.REJECTED,
    ],
)
def test_the_note_of_a_final_round_is_read_only(admin_client, status):
    revision = RevisionFactory(status=status, note="As shown to the customer.")
    data = change_form_data(admin_client, _change_url(revision), note="Rewritten afterwards.")
    assert admin_client.post(_change_url(revision), data).status_code == 302
    assert Revision.objects.get(pk=revision.pk).note == "As shown to the customer."


def test_a_round_not_yet_published_keeps_its_note_editable(admin_client):
    revision = RevisionFactory(status=RevisionStatus.READY, note="Draft")
    page = admin_client.get(_change_url(revision)).content.decode()
    assert 'name="note"' in page and 'type="file"' not in page
    data = change_form_data(
        admin_client,
        _change_url(revision),
        note="Your figurine, round 1.",
        sha256="0" * 64,
        original_filename="other.stl",
    )
    assert admin_client.post(_change_url(revision), data).status_code == 302
    after = Revision.objects.get(pk=revision.pk)
    assert after.note == "Your figurine, round 1."
    assert after.sha256 == revision.sha256 and after.original_filename == revision.original_filename


def test_rounds_are_neither_added_nor_deleted_in_the_admin(admin_client):
    revision = _approved_round()
    assert admin_client.get("/admin/revisions/revision/add/").status_code == 403
    response = admin_client.post(
        "/admin/revisions/revision/add/",
        {
            "item": revision.item_id,
            "number": revision.number,
            "mesh": SimpleUploadedFile("x.stl", OTHER_MESH),
        },
    )
    assert response.status_code == 403
    assert (
        admin_client.post(f"/admin/revisions/revision/{revision.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Revision.objects.filter(item=revision.item).count() == 1
    assert stored_file_check(revision.mesh, sha256=revision.approval.sha256).ok


def test_approvals_and_the_customers_feedback_are_read_only(admin_client):
    revision = _approved_round()
    approval = revision.approval
    response = admin_client.post(
        f"/admin/revisions/approval/{approval.pk}/change/", {"sha256": "0" * 64, "origin": "admin"}
    )
    assert response.status_code == 403
    assert admin_client.get(f"/admin/revisions/approval/{approval.pk}/change/").status_code == 200  # shown
    assert Approval.objects.get(pk=approval.pk).sha256 == approval.sha256

    feedback = Feedback.objects.create(revision=revision, comment="Make the smile wider.")
    response = admin_client.post(
        f"/admin/revisions/feedback/{feedback.pk}/change/", {"comment": "Looks perfect.", "kind": "comment"}
    )
    assert response.status_code == 403
    assert Feedback.objects.get(pk=feedback.pk).comment == "Make the smile wider."
    assert (
        admin_client.post(f"/admin/revisions/feedback/{feedback.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert admin_client.get("/admin/revisions/feedback/add/").status_code == 403


# ------------------------------------------------------------------------------------------ the services
@pytest.mark.parametrize("update", [{"sha256": "0" * 64}, {"note": "changed"}, {"renders": []}])
def test_a_service_write_to_a_final_round_is_refused(update):
    revision = RevisionFactory(status=RevisionStatus.CHANGES_REQUESTED, note="seen")
    with pytest.raises(Conflict) as refused:
        revision_transition(revision_id=revision.pk, to=RevisionStatus.SUPERSEDED, update=update)
    assert refused.value.status_code == 409
    after = Revision.objects.get(pk=revision.pk)
    assert (after.status, after.sha256, after.note) == (
        RevisionStatus.CHANGES_REQUESTED,
        revision.sha256,
        "seen",
    )
    # the same state change without touching the file is allowed
    revision_transition(revision_id=revision.pk, to=RevisionStatus.SUPERSEDED)
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.SUPERSEDED


def test_an_open_round_still_takes_its_check_results_and_note(ready_round, sculptor, enqueued):
    published = revision_publish(revision_id=ready_round.pk, user=sculptor, note="Here it is.")
    assert published.status == RevisionStatus.PUBLISHED and published.note == "Here it is."


# ------------------------------------------------------------------------------------------ storage
def test_each_upload_has_a_path_of_its_own_with_its_round_number(item, sculptor, enqueued):
    first_bytes = mesh_bytes(sphere_figurine())
    second_bytes = mesh_bytes(sphere_figurine(0.05))
    first = revision_upload(item_id=item.pk, file=upload_file(first_bytes, "figurine.stl"), user=sculptor)
    second = revision_upload(item_id=item.pk, file=upload_file(second_bytes, "figurine.stl"), user=sculptor)
    prefix = f"meshes/{item.order.number}/{item.pk}"
    assert first.mesh.name.startswith(f"{prefix}/r1/upload-") and first.mesh.name.endswith("-figurine.stl")
    assert second.mesh.name.startswith(f"{prefix}/r2/upload-") and second.mesh.name.endswith("-figurine.stl")
    with default_storage.open(first.mesh.name, "rb") as handle:
        assert handle.read() == first_bytes
    assert stored_sha256(first.mesh) == (first.sha256, len(first_bytes))
    assert stored_sha256(second.mesh) == (second.sha256, len(second_bytes))


def test_the_storage_never_overwrites_a_stored_name():
    name = default_storage.save("meshes/FS-X/1/r1/upload-token-a.stl", ContentFile(b"approved"))
    again = default_storage.save(name, ContentFile(b"another"))
    assert again != name
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == b"approved"


def test_a_round_number_taken_meanwhile_moves_the_file_to_the_right_round(
    item, sculptor, enqueued, monkeypatch
):
    """Two uploads racing: the one that lost the number is stored under the round it gets, never under
    the other's."""
    real_save = services.save_streaming

    def save_then_another_upload_lands(name, source, **kwargs):
        stored = real_save(name, source, **kwargs)
        RevisionFactory(item=item, number=1)  # the other upload commits round 1 meanwhile
        return stored

    monkeypatch.setattr(services, "save_streaming", save_then_another_upload_lands)
    data = mesh_bytes(sphere_figurine())
    revision = revision_upload(item_id=item.pk, file=upload_file(data, "late.stl"), user=sculptor)
    assert revision.number == 2
    assert f"/{item.pk}/r2/upload-" in revision.mesh.name
    assert stored_sha256(revision.mesh) == (revision.sha256, len(data))
    first_round_files = default_storage.listdir(f"meshes/{item.order.number}/{item.pk}/r1")[1]
    assert first_round_files and not [f for f in first_round_files if f.endswith("late.stl")]
