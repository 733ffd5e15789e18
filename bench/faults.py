"""Faults: a worker killed with SIGKILL in the middle of a reconstruction and of a revision check, on the ORM
broker and on Redis, and PostgreSQL restarted while gunicorn serves.

    .venv/bin/python bench/faults.py [--only worker|postgres]

Workers: real `manage.py qcluster` processes on a scratch PostgreSQL database. Once the job row says the
task runs (and has made progress), the whole cluster gets SIGKILL, then a fresh one starts, and the
sweeper (glue.sweeper.requeue_stalled_work, a django-q2 schedule in production) runs every few seconds as
its schedule would. Exactly once means: one revision 0 per item (one checked round, no duplicate), one
successful job run, the item or round in its next state, nothing stuck. The retry window is shortened
(Q_RETRY_MARGIN_S, TASK_TIMEOUT_S, RECONSTRUCTION_TIMEOUT_S) so the run takes minutes.

PostgreSQL: gunicorn serves the order page while `pg_ctlcluster restart` runs; every answer must be a 200
or a clean 503 (no 500, no traceback), and answers must be 200 again after the restart.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import BIN, PG, PY, ROOT, free_port, wait_up  # noqa: E402

TIMEOUTS = {"TASK_TIMEOUT_S": "40", "RECONSTRUCTION_TIMEOUT_S": "60", "Q_RETRY_MARGIN_S": "10"}


def base_env(db: str, work: Path, broker: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"{PG}/{db}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-faults-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "RECONSTRUCTION_TRIANGLE_BUDGET": "40000",
        "Q_WORKERS": "1",
        **TIMEOUTS,
    }
    if broker == "redis":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    return env


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def start_workers(env: dict[str, str], log: Path) -> list[subprocess.Popen]:
    """Every cluster the settings name (one on the default; the GPU cluster too when configured)."""
    from django.conf import settings

    names = [None, *settings.Q_CLUSTER.get("ALT_CLUSTERS", {})]
    workers = []
    for name in names:
        extra = {"Q_CLUSTER_NAME": name} if name else {}
        workers.append(
            subprocess.Popen(
                [PY, "manage.py", "qcluster"],
                cwd=ROOT,
                env={**os.environ, **env, **extra},
                stdout=log.open("a"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL reaches every worker process
            )
        )
    return workers


def kill_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait()


def wait_for(predicate, seconds: float, every: float = 0.5, during=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if during:
            during()
        time.sleep(every)
    return None


def seed_reconstruction():
    """An order paid, with a usable front and side photo: the item goes ready_for_design, which enqueues
    its reconstruction after commit (the real follow-up)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from orders.models import ItemStatus, OrderStatus, Photo
    from orders.services import item_mark_ready_if_possible
    from tests.factories import ItemFactory, OrderFactory
    from tests.kits.photo.images import encode, figure_photo

    order = OrderFactory(status=OrderStatus.PAID, paid_at=timezone.now())
    item = ItemFactory(order=order, status=ItemStatus.AWAITING_PHOTOS)
    for kind, seed in (("front", 1), ("side", 2)):
        data = encode(figure_photo(seed=seed), "JPEG")
        Photo.objects.create(
            item=item, kind=kind, image=ContentFile(data, name=f"{kind}.jpg"), sha256=f"{kind}{seed}",
            is_usable=True, report={"acceptable": True, "issues": []},
        )  # fmt: skip
    assert item_mark_ready_if_possible(item_id=item.pk), "the item did not become ready for design"
    return item.pk


def seed_check(sculptor):
    """A sculptor's upload of a mesh big enough to take a while to check; its check is enqueued."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from orders.models import ItemStatus
    from revisions import services
    from tests.factories import ItemFactory, OrderFactory
    from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine

    item = ItemFactory(order=OrderFactory(status="in_design"), status=ItemStatus.SCULPTING)
    data = mesh_bytes(sphere_figurine(subdivisions=7), "ply")
    upload = SimpleUploadedFile("round.ply", data)
    revision = services.revision_upload(item_id=item.pk, file=upload, user=sculptor, note="fault bench")
    return item.pk, revision.pk


def worker_kill(broker: str, kind: str, work: Path) -> dict:
    from django.contrib.auth import get_user_model

    from glue.sweeper import requeue_stalled_work
    from reconstruction.models import ReconstructionJob
    from revisions.models import CheckJob, Revision

    env = base_env(os.environ["BENCH_DB"], work, broker)
    log = work / f"qcluster-{broker}-{kind}.log"
    if kind == "reconstruction":
        item_id = seed_reconstruction()
        jobs = ReconstructionJob.objects.filter(item_id=item_id)
    else:
        sculptor = get_user_model().objects.get_or_create(
            username="bench-sculptor", defaults={"is_staff": True}
        )[0]
        item_id, revision_id = seed_check(sculptor)
        jobs = CheckJob.objects.filter(revision_id=revision_id)

    workers = start_workers(env, log)
    started = time.monotonic()
    running = wait_for(lambda: jobs.filter(status="running").exists(), 300)
    if not running:
        kill_workers(workers)
        return {"broker": broker, "task": kind, "result": "never started", "log": str(log)}
    # well inside the task: it has reported progress (or, for a very quick stage, run for a while)
    wait_for(lambda: jobs.filter(status="running", percent__gt=0).exists(), 30, every=0.2)
    time.sleep(0.5)
    progress = "{}: {}%".format(*jobs.order_by("-pk").values_list("stage", "percent").first())
    kill_workers(workers)
    killed_at = time.monotonic()
    workers = start_workers(env, log)

    def done():
        if kind == "reconstruction":
            return (
                jobs.filter(status="completed").exists()
                and Revision.objects.filter(item_id=item_id, number=0).exists()
            )
        revision = Revision.objects.get(pk=revision_id)
        return revision.status not in ("uploaded", "checking")

    last_sweep = [0.0]

    def sweep():
        if time.monotonic() - last_sweep[0] >= 5:
            last_sweep[0] = time.monotonic()
            requeue_stalled_work()

    finished = wait_for(done, 420, during=sweep)
    time.sleep(3)  # let any duplicate delivery run (it must do nothing)
    kill_workers(workers)
    runs = list(jobs.values_list("status", "attempts"))
    if kind == "reconstruction":
        rounds = Revision.objects.filter(item_id=item_id, number=0).count()
        from orders.models import Item

        state = Item.objects.get(pk=item_id).status
    else:
        rounds = Revision.objects.filter(item_id=item_id).count()
        state = Revision.objects.get(pk=revision_id).status
    return {
        "broker": broker,
        "task": kind,
        "progress_at_kill": progress,
        "recovered_s": round(time.monotonic() - killed_at, 1) if finished else None,
        "total_s": round(time.monotonic() - started, 1),
        "job_rows": runs,
        "rounds": rounds,
        "state": state,
        "exactly_once": bool(finished) and rounds == 1 and sum(1 for s, _ in runs if s == "completed") == 1,
    }


def postgres_restart(work: Path) -> dict:
    """gunicorn serves the catalog and the order page while PostgreSQL restarts."""
    from orders.auth import portal_token_issue
    from tests.glue.builders import order_with_items

    order = order_with_items(2)
    token = portal_token_issue(customer=order.customer, order=order)
    env = {**os.environ, **base_env(os.environ["BENCH_DB"], work, "redis")}
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "3", "studio.wsgi",
         "--access-logfile", "/dev/null", "--error-logfile", str(work / "gunicorn.log")],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/orders/{order.number}/"
    answers: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            request = urllib.request.Request(url, headers={"Authorization": f"Portal {token}"})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    answers.append((time.monotonic(), answer.status, ""))
            except urllib.error.HTTPError as exc:
                answers.append((time.monotonic(), exc.code, exc.read().decode(errors="replace")[:200]))
            except Exception as exc:  # noqa: BLE001 — a refused connection counts too
                answers.append((time.monotonic(), 0, type(exc).__name__))
            time.sleep(0.05)

    try:
        wait_up(f"http://127.0.0.1:{port}/api/v1/catalog/")
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        cluster = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True).stdout.split()[0]
        restart_at = time.monotonic()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart", "-m", "fast"],
            check=True,
        )
        back_at = time.monotonic()
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    during = [a for a in answers if a[0] >= restart_at]
    codes: dict[int, int] = {}
    for _, code, _ in answers:
        codes[code] = codes.get(code, 0) + 1
    first_ok_after = next((t for t, code, _ in during if code == 200 and t >= back_at), None)
    return {
        "requests": len(answers),
        "answers": codes,
        "tracebacks": sum(1 for _, _, body in answers if "Traceback" in body),
        "restart_s": round(back_at - restart_at, 1),
        "first_200_after_s": round(first_ok_after - back_at, 2) if first_ok_after else None,
        "clean": 500 not in codes and all(code in (200, 503) for code in codes),
    }


def run_brokers(brokers: list[str]) -> list[dict]:
    """Each broker in a process of its own: django-q2 reads its broker from the settings once, at import."""
    results = []
    for broker in brokers:
        done = subprocess.run(
            [PY, __file__, "--only", "worker", "--broker", broker], cwd=ROOT, capture_output=True, text=True
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode or not lines:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
        results += [json.loads(line) for line in lines]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("worker", "postgres"))
    parser.add_argument("--broker", choices=("orm", "redis"), help="one broker, in this process")
    args = parser.parse_args()
    results: dict[str, list] = {"worker": [], "postgres": []}
    if args.only != "postgres" and args.broker is None:
        results["worker"] = run_brokers(["orm", "redis"])
        if args.only == "worker":
            return print_table(results)
    db = f"studio_faults_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="studio-faults-"))
    broker = args.broker or "redis"
    os.environ.update(base_env(db, work, broker), BENCH_DB=db)
    sys.path.insert(0, str(ROOT))
    psql(f"CREATE DATABASE {db}")
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=os.environ, check=True)
        import django

        django.setup()
        if args.broker:
            if broker == "redis":
                subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
            for kind in ("reconstruction", "check"):
                result = worker_kill(broker, kind, work)
                print(json.dumps(result), flush=True)
            return
        result = postgres_restart(work)
        print(json.dumps(result), flush=True)
        results["postgres"].append(result)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {db}"])
    print_table(results)


def print_table(results: dict[str, list]) -> None:
    print(
        f"\n{'broker':7} {'task':15} {'progress at kill':>17} {'recovered s':>12} {'rounds':>7} {'state':18} exactly once"
    )
    for r in results["worker"]:
        print(f"{r['broker']:7} {r['task']:15} {str(r.get('progress_at_kill')):>17} {str(r.get('recovered_s')):>12} "
              f"{str(r.get('rounds')):>7} {str(r.get('state')):18} {r.get('exactly_once')}")  # fmt: skip
    for r in results["postgres"]:
        print(f"\nPostgreSQL restart under gunicorn: {r['requests']} requests, answers {r['answers']}, "
              f"{r['tracebacks']} tracebacks, restart took {r['restart_s']} s, first 200 after it "
              f"{r['first_200_after_s']} s; clean: {r['clean']}")  # fmt: skip


if __name__ == "__main__":
    main()
