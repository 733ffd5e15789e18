"""`studio.tasks.enqueue` names the queue: a follow-up enqueued inside a GPU worker lands on the default queue."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_q.conf import Conf

from studio import tasks


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[str, tuple, dict]] = []

    def fake_async_task(func, *args, **options):
        calls.append((func, args, options))
        return "id"

    monkeypatch.setattr("django_q.tasks.async_task", fake_async_task)
    return calls


def test_default_queue_is_named_even_inside_the_gpu_worker(sent, monkeypatch):
    # what `Q_CLUSTER_NAME=studio-gpu manage.py qcluster` sets in its processes
    monkeypatch.setattr(Conf, "CLUSTER_NAME", settings.RECONSTRUCTION_QUEUE)
    tasks.enqueue("revisions.tasks.check_revision", 7)
    assert sent == [("revisions.tasks.check_revision", (7,), {"cluster": settings.Q_CLUSTER["name"]})]


def test_an_explicit_queue_is_kept(sent):
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 3, cluster=settings.RECONSTRUCTION_QUEUE)
    assert sent[0][2] == {"cluster": settings.RECONSTRUCTION_QUEUE}
