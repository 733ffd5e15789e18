"""`/healthz` for the load balancer and `/healthz/workers` for alerting (glue/health.py)."""

from __future__ import annotations

import uuid

import pytest
from django_q.brokers import get_broker

from studio import tasks
from tests.test_foundation import _settings_in_subprocess

pytestmark = pytest.mark.django_db

CHECKS = (
    "Database(alias='default')",
    "Cache(alias='default')",
    "Storage(alias='default')",
    "TaskBroker()",
    "Workers()",
)


@pytest.fixture(autouse=True)
def _own_default_queue(settings):
    """The default queue under a name of the test's own: on a Redis broker shared with other tests (CI's
    PostgreSQL + Redis run) their real enqueues would otherwise sit in it and fail the workers probe."""
    name = f"studio-{uuid.uuid4().hex[:8]}"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "name": name}
    yield name
    get_broker(name).purge_queue()


@pytest.fixture
def gpu_queue(settings):
    name = f"studio-gpu-{uuid.uuid4().hex[:8]}"
    settings.GPU_CLUSTER = name
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "ALT_CLUSTERS": {name: {"timeout": 900, "retry": 1080}}}
    yield name
    get_broker(name).purge_queue()


def test_healthy_is_200_without_any_sign_in_in_text_and_json(client, gpu_queue, settings):
    text = client.get("/healthz")
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    assert [line.split(": ")[0] for line in text.content.decode().splitlines()] == list(CHECKS)
    assert "no-cache" in text["Cache-Control"] or "max-age=0" in text["Cache-Control"]
    answer = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and list(answer.json()) == list(CHECKS)
    body = answer.json()
    # (on a Redis broker shared with other tests the default queue may hold their tasks: a warning)
    assert all(body[check] == "OK" for check in CHECKS if check != "Workers()")
    assert gpu_queue not in body["Workers()"]
    probes = settings.MEDIA_ROOT / "health_check_storage_test"
    assert not probes.exists() or not any(probes.iterdir())  # the storage probe leaves no file behind


def test_unwritable_storage_is_503(client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "media"
    answer = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert answer.status_code == 503
    body = answer.json()
    assert body["Storage(alias='default')"] != "OK"
    assert body["Database(alias='default')"] == "OK" and body["TaskBroker()"] == "OK"


def test_work_without_a_worker_warns_on_healthz_and_fails_the_workers_probe(client, gpu_queue):
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 5, cluster="gpu")
    balancer = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert balancer.status_code == 200  # the web keeps taking orders while workers are down
    warning = balancer.json()["Workers()"]
    assert warning.startswith("Warning:") and f"queue {gpu_queue}: 1 waiting, no live worker" in warning
    alerting = client.get("/healthz/workers")
    assert alerting.status_code == 503
    assert f"queue {gpu_queue}: 1 waiting, no live worker" in alerting.content.decode()
    get_broker(gpu_queue).purge_queue()
    assert client.get("/healthz/workers").status_code == 200


def test_the_probe_is_answered_over_plain_http_with_production_settings(client, settings):
    exempt = eval(
        _settings_in_subprocess({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "settings.SECURE_REDIRECT_EXEMPT")
    )  # noqa: S307
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = exempt
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/workers").status_code == 200
    assert client.get("/portal/login/").status_code == 301  # everything else goes to HTTPS
