"""The admin's "Workers and queues": per queue, the broker's waiting count and its live clusters.

The waiting counts come from the real broker (a task really enqueued). Liveness comes from django-q2's
own heartbeat: the last test starts a real `manage.py qcluster` and watches the page follow it.
Each test names its own GPU queue, so the counts hold on a Redis broker shared with other tests too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django_q.brokers import get_broker

from studio import tasks

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gpu_queue(settings):
    """A GPU cluster of this test's own, emptied afterwards."""
    name = f"studio-gpu-{uuid.uuid4().hex[:8]}"
    settings.GPU_CLUSTER = name
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "ALT_CLUSTERS": {name: {"timeout": 900, "retry": 1080}}}
    yield name
    get_broker(name).purge_queue()


def _row(html: str, queue: str) -> str:
    start = html.index(f'data-queue="{queue}"')
    return html[start : html.index("</tr>", start)]


def test_work_waiting_without_a_worker_is_shown_and_warned_on_the_index(admin_client, gpu_queue):
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 1, cluster="gpu")
    page = admin_client.get("/admin/workers/")
    assert page.status_code == 200
    row = _row(page.content.decode(), gpu_queue)
    assert '<td class="waiting">1</td>' in row and '<td class="clusters">0</td>' in row
    assert "<strong>no worker</strong>" in row
    assert f"Q_CLUSTER_NAME={gpu_queue} python manage.py qcluster" in row
    warning = f"Queue “{gpu_queue}” has 1 waiting task and no live worker"
    assert warning in page.content.decode()
    index = admin_client.get("/admin/").content.decode()
    assert warning in index and 'href="/admin/workers/"' in index


def test_an_idle_queue_without_a_worker_is_no_warning(admin_client, gpu_queue):
    page = admin_client.get("/admin/workers/").content.decode()
    row = _row(page, gpu_queue)
    assert '<td class="waiting">0</td>' in row and "no worker (nothing waits)" in row
    assert f"Queue “{gpu_queue}”" not in page
    assert f"Queue “{gpu_queue}”" not in admin_client.get("/admin/").content.decode()


def test_only_staff_see_the_page(client, db):
    from tests.factories import UserFactory

    response = client.get("/admin/workers/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/admin/workers/").status_code == 302


@pytest.mark.slow
def test_a_real_cluster_shows_as_the_live_worker_of_its_queue_until_it_stops(
    admin_client, gpu_queue, settings, tmp_path
):
    """`Q_CLUSTER_NAME=<queue> manage.py qcluster`, as deploy/ starts it. Its heartbeat goes to a file
    cache this test shares; its database is a scratch one, so it never takes the task waiting here."""
    if not settings.Q_CLUSTER.get("orm"):
        pytest.skip("the ORM broker keeps heartbeats in the shared file cache this test reads")
    stats = tmp_path / "q-stats"
    settings.CACHES = {
        **settings.CACHES,
        "django_q": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(stats),
        },
    }
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG", "SECRET_KEY"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "Q_STATS_DIR": str(stats),
        "Q_GPU_CLUSTER": gpu_queue,
        "Q_GPU_WORKERS": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "django_q", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    tasks.enqueue("reconstruction.tasks.reconstruct_item", 1, cluster="gpu")
    log = (tmp_path / "qcluster.log").open("w")
    cluster = subprocess.Popen(
        [*manage, "qcluster"], cwd=ROOT, env={**env, "Q_CLUSTER_NAME": gpu_queue}, stdout=log, stderr=log
    )
    try:
        row = ""
        for _ in range(480):  # up to 2 minutes: a loaded CI machine starts django-q2 slowly
            row = _row(admin_client.get("/admin/workers/").content.decode(), gpu_queue)
            if "worker alive" in row:
                break
            time.sleep(0.25)
        assert "worker alive" in row, (tmp_path / "qcluster.log").read_text()
        assert '<td class="waiting">1</td>' in row and '<td class="workers">1</td>' in row
        assert f"Queue “{gpu_queue}”" not in admin_client.get("/admin/").content.decode()
    finally:
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=60)
        log.close()
    row = _row(admin_client.get("/admin/workers/").content.decode(), gpu_queue)
    assert "<strong>no worker</strong>" in row  # a stopped cluster's last heartbeat says Stopped
