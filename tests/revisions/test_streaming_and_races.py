"""Memory stays flat while a large upload streams; racing approvals and uploads on PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import tracemalloc

import pytest
from django.core.files import File
from django.db import connection

from orders.models import ItemStatus
from revisions.models import Approval, Revision, RevisionStatus
from revisions.services import revision_approve, revision_publish, revision_upload
from studio.errors import ApplicationError
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file, write_sparse

LARGE = 84 + 50 * (64 * 1024 * 1024 // 50)  # a binary STL of about 64 MB: header, zeroed triangles


@pytest.mark.django_db
def test_a_large_upload_streams_with_flat_memory(item, sculptor, enqueued, tmp_path):
    path = write_sparse(tmp_path / "sculpt.stl", LARGE)  # 64 MB of zeros, sparse on disk
    with open(path, "r+b") as handle:  # its header declares the triangles its size holds
        handle.seek(80)
        handle.write(((LARGE - 84) // 50).to_bytes(4, "little"))
    with open(path, "rb") as handle:
        tracemalloc.start()
        try:
            revision = revision_upload(item_id=item.pk, file=File(handle, name="sculpt.stl"), user=sculptor)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < LARGE / 16, f"peak {peak} bytes while streaming {LARGE}"
    assert revision.size_bytes == LARGE
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    assert revision.sha256 == digest.hexdigest()


def _race(workers):
    """Run the callables at the same moment, each on its own connection; return results or errors."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # recorded for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
def test_two_racing_approvals_record_one(require_postgres, item, sculptor, customer, enqueued):
    revision = make_ready_round(item, sculptor)
    revision_publish(revision_id=revision.pk, user=sculptor)

    def approve():
        return revision_approve(
            revision_id=revision.pk, customer=customer, confirm=True, ip_address="198.51.100.7"
        )

    results = _race([approve, approve, approve])
    approvals = [r for r in results if isinstance(r, Approval)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(approvals) == 1 and len(refused) == 2, results
    assert all(r.status_code == 409 for r in refused)
    assert Approval.objects.count() == 1
    assert Approval.objects.get().sha256 == revision.sha256
    revision.refresh_from_db()
    item.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and item.status == ItemStatus.APPROVED


@pytest.mark.postgres
def test_racing_approvals_of_two_rounds_record_one(require_postgres, item, sculptor, customer, enqueued):
    """A stale page approving the old round while the new one is approved: one approval per item."""
    first = make_ready_round(item, sculptor)
    revision_publish(revision_id=first.pk, user=sculptor)
    second = make_ready_round(item, sculptor, bump=2)
    revision_publish(revision_id=second.pk, user=sculptor)
    results = _race(
        [
            lambda: revision_approve(revision_id=first.pk, customer=customer, confirm=True),
            lambda: revision_approve(revision_id=second.pk, customer=customer, confirm=True),
        ]
    )
    assert isinstance(results[0], ApplicationError) and results[0].status_code == 409
    assert isinstance(results[1], Approval)
    assert list(Approval.objects.values_list("revision_id", flat=True)) == [second.pk]


@pytest.mark.postgres
def test_racing_uploads_get_distinct_round_numbers(require_postgres, item, sculptor, enqueued):
    data = mesh_bytes(sphere_figurine())
    results = _race([lambda: revision_upload(item_id=item.pk, file=upload_file(data), user=sculptor)] * 3)
    assert all(isinstance(r, Revision) for r in results), results
    assert sorted(Revision.objects.filter(item=item).values_list("number", flat=True)) == [1, 2, 3]
