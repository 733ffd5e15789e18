"""Fixtures for the revision rounds: an item in sculpting, its customer, rounds made ready, uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.models import Item, ItemStatus
from revisions.models import Revision
from revisions.services import revision_checks_finished, revision_upload
from revisions.tasks import check_revision
from tests.factories import CustomerFactory, ItemFactory, OrderFactory
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine


@pytest.fixture(autouse=True)
def _small_renders(settings):
    """Turntable renders at thumbnail size keep the suite fast (the renderer is the same)."""
    settings.REVISION_RENDER_SIZE = 48


def upload_file(data: bytes, name: str = "round.stl") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks (the enqueues) of the block, as a real commit would."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def customer(db):
    return CustomerFactory(email="ana@example.com")


@pytest.fixture
def item(db, customer, sculptor) -> Item:
    order = OrderFactory(customer=customer, status="in_design")
    return ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, height_mm=150)


def make_ready_round(item: Item, user, *, bump: float = 0.0, run_checks: bool = False) -> Revision:
    """Upload a mesh for ``item`` and bring it to ``ready``: by running the real check task, or (faster,
    for tests about what comes after) by recording a passing verdict through the same service."""
    revision = revision_upload(
        item_id=item.pk, file=upload_file(mesh_bytes(sphere_figurine(bump))), user=user
    )
    if run_checks:
        assert check_revision(revision.pk) == "ready", Revision.objects.get(pk=revision.pk).check_report
    else:
        revision_checks_finished(
            revision_id=revision.pk, ok=True, fields={"check_report": {"printable": True, "issues": []}}
        )
    revision.refresh_from_db()
    return revision


@pytest.fixture
def ready_round(item, sculptor, enqueued) -> Revision:
    return make_ready_round(item, sculptor)


@pytest.fixture
def portal_client(client, customer):
    """A browser session signed in as the customer (what the magic link sets)."""
    from orders.auth import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client


def write_sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path
