"""Revision rounds through their services: upload, checks, publish, feedback with pins, approval."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from orders.models import ItemStatus, OrderEvent
from revisions.models import Approval, Feedback, Revision, RevisionStatus
from revisions.services import (
    revision_approve,
    revision_publish,
    revision_request_changes,
    revision_upload,
    validate_pins,
)
from studio.errors import ApplicationError, Conflict, NotFound, TransitionNotAllowed
from tests.factories import CustomerFactory, ItemFactory
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file
from tests.storages import use_object_storage

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ upload
def test_upload_stores_the_file_hashes_it_and_starts_the_checks(item, sculptor, enqueued, on_commit):
    data = mesh_bytes(sphere_figurine())
    with on_commit(execute=True):
        revision = revision_upload(
            item_id=item.pk, file=upload_file(data, "Refined v2.stl"), user=sculptor, note="Hair"
        )
    assert revision.number == 1
    assert revision.status == RevisionStatus.CHECKING
    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    assert revision.size_bytes == len(data)
    assert revision.original_filename == "Refined v2.stl"
    assert revision.uploaded_by == sculptor and revision.note == "Hair"
    with default_storage.open(revision.mesh.name, "rb") as handle:
        assert handle.read() == data
    assert ("revisions.tasks.check_revision", (revision.pk,), None) in enqueued
    changes = list(
        OrderEvent.objects.filter(subject="revision", subject_id=revision.pk).values_list(
            "from_status", "to_status"
        )
    )
    assert changes == [("uploaded", "checking")]


def test_round_numbers_follow_the_ai_base_mesh(item, sculptor, enqueued):
    Revision.objects.create(
        item=item, number=0, source="ai", sha256="0" * 64, mesh=ContentFile(b"x", name="r0.stl")
    )
    first = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine())), user=sculptor)
    second = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine(2))), user=sculptor)
    assert (first.number, second.number) == (1, 2)


@pytest.mark.parametrize(
    "status", [s for s in ItemStatus.values if s not in ("sculpting", "in_review", "changes_requested")]
)
def test_upload_is_refused_outside_design_and_stores_nothing(status, sculptor, enqueued, settings):
    item = ItemFactory(status=status)
    with pytest.raises(Conflict) as info:
        revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine())), user=sculptor)
    assert info.value.status_code == 409
    assert not Revision.objects.exists()
    media = settings.MEDIA_ROOT / "meshes"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("figurine.png", b"\x89PNG....", "GLB, OBJ, STL, PLY or 3MF"),
        ("random.stl", bytes(range(256)) * 20, "not a mesh file"),
        ("notes.obj", b"hello world\n", "not a mesh file"),
        ("photo.glb", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "not a mesh file"),
        ("empty.stl", b"", "empty"),
        ("", b"solid x", "Attach"),
    ],
)
def test_upload_refuses_bad_files_with_400(item, sculptor, enqueued, name, data, message):
    with pytest.raises(ApplicationError) as info:
        revision_upload(item_id=item.pk, file=upload_file(data, name) if name else None, user=sculptor)
    assert info.value.status_code == 400 and message in info.value.message
    assert not Revision.objects.exists()


def test_upload_over_the_limit_is_refused_while_streaming(item, sculptor, enqueued, settings):
    settings.MAX_MESH_UPLOAD_BYTES = 1000

    class Unsized:
        """A stream whose size is unknown until read (as some upload handlers give)."""

        name = "big.stl"

        def __init__(self):
            self.left = 5000

        def read(self, n=-1):
            n = self.left if n < 0 else min(n, self.left)
            self.left -= n
            return b"a" * n

    with pytest.raises(ApplicationError) as info:
        revision_upload(item_id=item.pk, file=Unsized(), user=sculptor)
    assert "larger than 1000 bytes" in info.value.message
    assert not Revision.objects.exists()
    assert not any(p.is_file() for p in (settings.MEDIA_ROOT / "meshes").rglob("*"))


# ------------------------------------------------------------------------------------------ publish
def test_publish_moves_item_to_review_and_emails_after_commit(
    ready_round, item, sculptor, enqueued, on_commit
):
    with on_commit(execute=True):
        revision = revision_publish(revision_id=ready_round.pk, user=sculptor, note="First look")
    item.refresh_from_db()
    assert revision.status == RevisionStatus.PUBLISHED and revision.published_at is not None
    assert revision.note == "First look"
    assert item.status == ItemStatus.IN_REVIEW
    assert ("revisions.tasks.send_revision_published_email", (revision.pk,), None) in enqueued


def test_publish_supersedes_older_unapproved_rounds(item, sculptor, customer, enqueued):
    first = make_ready_round(item, sculptor)
    revision_publish(revision_id=first.pk, user=sculptor)
    revision_request_changes(revision_id=first.pk, customer=customer, comment="Longer hair")
    second = make_ready_round(item, sculptor, bump=2)
    third = make_ready_round(item, sculptor, bump=3)
    revision_publish(revision_id=third.pk, user=sculptor)
    statuses = dict(Revision.objects.filter(item=item).values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "superseded", 3: "published"}
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_REVIEW
    assert second.pk


@pytest.mark.parametrize(
    "status", ["uploaded", "checking", "published", "rejected", "superseded", "approved"]
)
def test_only_a_ready_round_can_be_published(item, sculptor, enqueued, status):
    revision = Revision.objects.create(
        item=item, number=1, sha256="a" * 64, status=status, mesh=ContentFile(b"x", name="a.stl")
    )
    with pytest.raises(TransitionNotAllowed):
        revision_publish(revision_id=revision.pk, user=sculptor)
    revision.refresh_from_db()
    assert revision.status == status and revision.published_at is None


# ------------------------------------------------------------------------------------------ feedback
def test_request_changes_stores_feedback_and_pins_round_trip(
    ready_round, item, sculptor, customer, enqueued, on_commit
):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    pins = [
        {"position": [1.5, -20.25, 31.0], "normal": [0, -1, 0], "text": "Make the nose smaller"},
        {"position": [0, 0, 40], "text": "  Hair a bit longer "},
    ]
    with on_commit(execute=True):
        feedback = revision_request_changes(
            revision_id=ready_round.pk, customer=customer, comment="Nearly!", pins=pins
        )
    feedback = Feedback.objects.get(pk=feedback.pk)
    stored = [(p.position, p.normal, p.text) for p in feedback.pins.all()]
    assert stored == [
        ([1.5, -20.25, 31.0], [0.0, -1.0, 0.0], "Make the nose smaller"),
        ([0.0, 0.0, 40.0], None, "Hair a bit longer"),
    ]
    ready_round.refresh_from_db()
    item.refresh_from_db()
    assert ready_round.status == RevisionStatus.CHANGES_REQUESTED
    assert item.status == ItemStatus.CHANGES_REQUESTED
    assert ("revisions.tasks.notify_sculptor_of_feedback", (feedback.pk,), None) in enqueued


@pytest.mark.parametrize(
    "pins",
    [
        "not a list",
        [{"position": [0, 0], "text": "x"}],
        [{"position": [0, 0, float("nan")], "text": "x"}],
        [{"position": [0, 0, float("inf")], "text": "x"}],
        [{"position": [0, 0, 1e9], "text": "x"}],
        [{"position": ["1", 0, 0], "text": "x"}],
        [{"position": [True, 0, 0], "text": "x"}],
        [{"position": [0, 0, 0], "text": ""}],
        [{"position": [0, 0, 0], "text": "x" * 1001}],
        [{"position": [0, 0, 0], "text": "ok"}] * 51,
        [["not", "a", "dict"]],
    ],
)
def test_bad_pins_are_refused(pins):
    with pytest.raises(ApplicationError) as info:
        validate_pins(pins)
    assert info.value.status_code == 400


def test_request_changes_needs_something_to_change(ready_round, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    with pytest.raises(ApplicationError):
        revision_request_changes(revision_id=ready_round.pk, customer=customer, comment="  ", pins=[])
    ready_round.refresh_from_db()
    assert ready_round.status == RevisionStatus.PUBLISHED and not Feedback.objects.exists()


def test_another_customer_cannot_see_or_answer_a_round(ready_round, sculptor, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    stranger = CustomerFactory()
    with pytest.raises(NotFound):
        revision_request_changes(revision_id=ready_round.pk, customer=stranger, comment="Mine now")
    with pytest.raises(NotFound):
        revision_approve(revision_id=ready_round.pk, customer=stranger, confirm=True)
    assert not Feedback.objects.exists() and not Approval.objects.exists()


def test_unpublished_round_is_invisible_to_its_customer(ready_round, customer):
    with pytest.raises(NotFound):
        revision_approve(revision_id=ready_round.pk, customer=customer, confirm=True)


# ------------------------------------------------------------------------------------------ approval
def test_approval_locks_the_exact_file(ready_round, item, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    approval = revision_approve(
        revision_id=ready_round.pk,
        customer=customer,
        confirm=True,
        ip_address="203.0.113.9",
        user_agent="UA/1",
    )
    with default_storage.open(ready_round.mesh.name, "rb") as handle:
        on_disk = hashlib.sha256(handle.read()).hexdigest()
    assert approval.sha256 == ready_round.sha256 == on_disk
    assert (approval.ip_address, approval.user_agent, approval.origin) == ("203.0.113.9", "UA/1", "portal")
    ready_round.refresh_from_db()
    item.refresh_from_db()
    assert ready_round.status == RevisionStatus.APPROVED
    assert item.status == ItemStatus.APPROVED and item.approved_at == approval.approved_at


def test_approval_needs_explicit_confirmation(ready_round, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    for confirm in (None, False, "true", 1):
        with pytest.raises(ApplicationError) as info:
            revision_approve(revision_id=ready_round.pk, customer=customer, confirm=confirm)
        assert info.value.status_code == 400
    assert not Approval.objects.exists()


def test_approving_twice_or_a_superseded_round_is_refused(item, sculptor, customer, enqueued):
    first = make_ready_round(item, sculptor)
    revision_publish(revision_id=first.pk, user=sculptor)
    second = make_ready_round(item, sculptor, bump=2)
    revision_publish(revision_id=second.pk, user=sculptor)
    with pytest.raises(Conflict):
        revision_approve(revision_id=first.pk, customer=customer, confirm=True)  # superseded
    revision_approve(revision_id=second.pk, customer=customer, confirm=True)
    events = OrderEvent.objects.count()
    with pytest.raises(Conflict) as info:
        revision_approve(revision_id=second.pk, customer=customer, confirm=True)
    assert info.value.status_code == 409
    assert Approval.objects.count() == 1 and OrderEvent.objects.count() == events


def test_a_changed_file_cannot_be_approved(ready_round, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    with default_storage.open(ready_round.mesh.name, "wb") as handle:
        handle.write(b"tampered")
    with pytest.raises(Conflict) as info:
        revision_approve(revision_id=ready_round.pk, customer=customer, confirm=True)
    assert "does not match" in info.value.message
    ready_round.refresh_from_db()
    assert ready_round.status == RevisionStatus.PUBLISHED and not Approval.objects.exists()


def test_a_missing_file_cannot_be_approved(ready_round, sculptor, customer, enqueued):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    default_storage.delete(ready_round.mesh.name)
    with pytest.raises(Conflict) as info:
        revision_approve(revision_id=ready_round.pk, customer=customer, confirm=True)
    assert info.value.status_code == 409 and "does not match" in info.value.message
    ready_round.refresh_from_db()
    assert ready_round.status == RevisionStatus.PUBLISHED and not Approval.objects.exists()


def test_approval_on_object_storage_locks_the_exact_file(item, sculptor, customer, enqueued, settings):
    use_object_storage(settings)
    revision = make_ready_round(item, sculptor)
    with pytest.raises(NotImplementedError):
        revision.mesh.path  # noqa: B018 - no local path on object storage
    revision_publish(revision_id=revision.pk, user=sculptor)
    approval = revision_approve(revision_id=revision.pk, customer=customer, confirm=True)
    with default_storage.open(revision.mesh.name, "rb") as handle:
        assert approval.sha256 == revision.sha256 == hashlib.sha256(handle.read()).hexdigest()
