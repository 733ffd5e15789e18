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


def test_default_queue_is_named_even_inside_the_gpu_worker(sent, monkeypatch, settings):
    settings.GPU_CLUSTER = "studio-gpu"
    # what `Q_CLUSTER_NAME=studio-gpu manage.py qcluster` sets in its processes
    monkeypatch.setattr(Conf, "CLUSTER_NAME", "studio-gpu")
    tasks.enqueue("revisions.tasks.check_revision", 7)
    assert sent == [("revisions.tasks.check_revision", (7,), {"cluster": settings.Q_CLUSTER["name"]})]


def test_by_default_reconstruction_goes_to_the_default_cluster_with_its_own_time_limit(sent):
    assert settings.GPU_CLUSTER == ""
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 3, cluster=settings.RECONSTRUCTION_QUEUE)
    assert sent[0][2] == {"cluster": settings.Q_CLUSTER["name"], "timeout": settings.RECONSTRUCTION_TIMEOUT_S}
    assert tasks.cluster_settings(settings.RECONSTRUCTION_QUEUE) is settings.Q_CLUSTER


def test_with_a_gpu_cluster_named_reconstruction_goes_there(sent, settings):
    settings.GPU_CLUSTER = "studio-gpu"
    settings.Q_CLUSTER = {
        **settings.Q_CLUSTER,
        "ALT_CLUSTERS": {"studio-gpu": {"timeout": 900, "retry": 1080}},
    }
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 3, cluster=settings.RECONSTRUCTION_QUEUE)
    tasks.enqueue("revisions.tasks.check_revision", 4)
    assert [options["cluster"] for _, _, options in sent] == ["studio-gpu", "studio"]
    assert tasks.cluster_settings(settings.RECONSTRUCTION_QUEUE) == {"timeout": 900, "retry": 1080}


def test_another_explicit_queue_is_kept(sent):
    tasks.enqueue("tests.test_task_queue.multiply", 3, cluster="reports")
    assert sent[0][2] == {"cluster": "reports"}


@pytest.mark.django_db
def test_an_item_ready_for_design_puts_its_reconstruction_on_the_queue_the_one_qcluster_serves(
    django_capture_on_commit_callbacks, settings
):
    """Through the real transition and the real ORM broker: the row lands on the default cluster's queue
    (the one `manage.py qcluster` reads); with a GPU cluster named, on that cluster's queue."""
    from django_q.models import OrmQ

    from orders.models import ItemStatus
    from orders.services.transitions import item_transition
    from tests.factories import ItemFactory

    if not settings.Q_CLUSTER.get("orm"):
        pytest.skip("the ORM broker's rows are what this test reads")
    for gpu_cluster, queue in (("", "studio"), ("studio-gpu", "studio-gpu")):
        settings.GPU_CLUSTER = gpu_cluster
        item = ItemFactory(status=ItemStatus.AWAITING_PHOTOS)
        with django_capture_on_commit_callbacks(execute=True):
            item_transition(item_id=item.pk, to=ItemStatus.READY_FOR_DESIGN, actor="test")
        rows = [(row.task["func"], row.key) for row in OrmQ.objects.all()]
        assert ("reconstruction.tasks.reconstruct_item", queue) in rows
        assert all(key == "studio" for func, key in rows if func != "reconstruction.tasks.reconstruct_item")
        OrmQ.objects.all().delete()


def test_settings_name_a_gpu_cluster_only_when_asked():
    from tests.test_foundation import _settings_in_subprocess

    expr = "settings.GPU_CLUSTER, settings.Q_CLUSTER['ALT_CLUSTERS'], settings.Q_CLUSTER['retry'] > settings.RECONSTRUCTION_TIMEOUT_S"
    assert _settings_in_subprocess({"Q_GPU_CLUSTER": ""}, expr) == "('', {}, True)"
    gpu, alt, _ = eval(_settings_in_subprocess({"Q_GPU_CLUSTER": "studio-gpu"}, expr))  # noqa: S307
    assert gpu == "studio-gpu" and list(alt) == ["studio-gpu"]
    assert alt["studio-gpu"]["timeout"] == 900 and alt["studio-gpu"]["retry"] > 900


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
