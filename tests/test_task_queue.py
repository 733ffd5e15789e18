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


def multiply(value: int, *, factor: int = 2) -> int:
    """A task for the inline tests (django-q2 imports it by its dotted path)."""
    return value * factor


@pytest.mark.django_db
def test_run_inline_runs_tasks_at_once_through_django_q_with_their_extra_kwargs():
    from django_q.tasks import fetch

    with tasks.run_inline(task_kwargs={"tests.test_task_queue.multiply": {"factor": 5}}) as run:
        task_id = tasks.enqueue("tests.test_task_queue.multiply", 3)
    done = fetch(task_id)
    assert done is not None and done.success and done.result == 15  # saved as a worker saves it
    assert len(run.log) == 1 and run.log[0].startswith("multiply(3,) -> 15")


@pytest.mark.django_db
def test_run_inline_waits_for_the_commit_and_ends_with_its_block(django_capture_on_commit_callbacks, request):
    log: list[str] = []
    with tasks.run_inline(log=log):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            tasks.enqueue_on_commit("tests.test_task_queue.multiply", 4)
        assert log == []  # nothing ran before the commit
        for callback in callbacks:
            callback()
        assert log and log[0].startswith("multiply(4,) -> 8")
    sent = request.getfixturevalue("sent")  # after the block: the broker again
    tasks.enqueue("tests.test_task_queue.multiply", 1)
    assert sent == [("tests.test_task_queue.multiply", (1,), {"cluster": settings.Q_CLUSTER["name"]})]
