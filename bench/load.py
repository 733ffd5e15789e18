"""Load: the customer's pages under gunicorn (DEBUG=0, PostgreSQL, Redis) next to the same run against
Django's runserver, driven by locust (headless, bounded in time, loopback only).

    .venv/bin/python bench/load.py [--users 20] [--seconds 20]

It creates a scratch PostgreSQL database (dropped at the end), seeds an order of three figurines (photos,
a published round, a shipped parcel) and an unpaid order taking photos, starts each server on a free
loopback port, runs `bench/locustfile.py` against it, and prints p50/p95/p99 and requests per second per
page, then the SQL queries each page runs for an order of one figurine and of five (the test
tests/glue/test_order_page_queries.py asserts they are equal).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from thread_client import run_threads  # bench/thread_client.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
PG = "postgres://postgres@127.0.0.1:5432"
PAGES = (
    "portal order page",
    "GET orders/{number}/",
    "GET catalog/",
    "portal revision page",
    "GET revisions/{id}/",
    "POST photos/",
    "DELETE photos/{id}/",
    "Aggregated",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def seed(media: Path, links: int) -> dict:
    """The orders the locust users read and upload to (in this process, through the ORM)."""
    import django

    django.setup()
    from orders.auth import portal_login_link_issue, portal_token_issue
    from orders.models import ItemStatus, OrderStatus
    from tests.factories import ItemFactory, OrderFactory
    from tests.glue.builders import order_with_items
    from tests.kits.photo.images import figure_photo

    order = order_with_items(3)
    revision = order.items.order_by("id").first().revisions.order_by("-number").first()
    upload_order = OrderFactory(status=OrderStatus.PENDING_PAYMENT, customer=order.customer)
    upload_items = [ItemFactory(order=upload_order, status=ItemStatus.AWAITING_PHOTOS) for _ in range(200)]
    photo = media / "bench-side.jpg"
    figure_photo(seed=5).save(photo, format="JPEG", quality=90)
    return {
        "number": order.number,
        "revision_id": revision.pk,
        "portal_token": portal_token_issue(customer=order.customer, order=order),
        "links": [f"/portal/login/{portal_login_link_issue(customer=order.customer)}/" for _ in range(links)],
        "upload_number": upload_order.number,
        "upload_token": portal_token_issue(customer=order.customer, order=upload_order),
        "upload_item_ids": [item.pk for item in upload_items],
        "photo_path": str(photo),
    }


def query_counts() -> list[tuple[str, int, int]]:
    """Queries per page for an order of one figurine and of five (same process, Django's test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.auth import portal_login_link_issue, portal_token_issue
    from tests.glue.builders import order_with_items

    rows = {}
    for count in (1, 5):
        order = order_with_items(count)
        revision = order.items.order_by("id").first().revisions.order_by("-number").first()
        client = Client()
        link = f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/"
        client.get(link)
        client.post(link)
        auth = {"HTTP_AUTHORIZATION": f"Portal {portal_token_issue(customer=order.customer, order=order)}"}
        for name, path, headers in (
            ("portal order page", f"/portal/orders/{order.number}/", {}),
            ("GET orders/{number}/", f"/api/v1/orders/{order.number}/", auth),
            ("GET catalog/", "/api/v1/catalog/", {}),
            ("portal revision page", f"/portal/revisions/{revision.pk}/", {}),
            ("GET revisions/{id}/", f"/api/v1/revisions/{revision.pk}/", auth),
        ):
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(path, **headers)
            assert answer.status_code == 200, (path, answer.status_code)
            rows.setdefault(name, {})[count] = len(queries)
    return [(name, counts[1], counts[5]) for name, counts in rows.items()]


def run_locust(
    host: str, data_file: Path, out: Path, users: int, seconds: int, offset: int, pacing: float, uploads: bool
) -> dict:
    env = dict(
        os.environ,
        BENCH_DATA=str(data_file),
        BENCH_LINK_OFFSET=str(offset),
        BENCH_PACING=str(pacing or ""),
        BENCH_UPLOADS="1" if uploads else "0",
    )
    prefix = out / "locust"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
         "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
         "--loglevel", "WARNING"],
        env=env, check=False, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    stats = {}
    with open(f"{prefix}_stats.csv") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = row
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before the measured runs")
    parser.add_argument(
        "--pacing", type=float, default=1.0, help="paced run: each client one request every S seconds"
    )
    args = parser.parse_args()

    db = f"studio_bench_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="studio-load-"))
    env = {
        "DATABASE_URL": f"{PG}/{db}",
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "DEBUG": "0",
        "SECRET_KEY": "bench-load-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "PHOTO_UPLOAD_THROTTLE": "1000000/hour",
        "DB_CONN_MAX_AGE": "60",  # as deploy/studio.env.example: one connection per worker, kept
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "studio.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
    servers: list[subprocess.Popen] = []
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
        subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True)
        data = seed(work, links=12 * args.users)
        data_file = work / "bench.json"
        data_file.write_text(json.dumps(data))
        cores = os.cpu_count() or 1
        gunicorn_port, runserver_port = free_port(), free_port()
        conf = ["-c", str(ROOT / "gunicorn.conf.py")] if (ROOT / "gunicorn.conf.py").exists() else []
        targets = [
            (f"gunicorn ({2 * cores + 1} sync workers)", gunicorn_port,
             [str(BIN / "gunicorn"), *conf, "--bind", f"127.0.0.1:{gunicorn_port}", "--workers", str(2 * cores + 1),
              "--access-logfile", "/dev/null", "studio.wsgi"]),
            ("runserver (threaded)", runserver_port,
             [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{runserver_port}"]),
        ]  # fmt: skip
        results = []
        used = 0  # locust runs so far: each takes the next users' sign-in links and upload items
        for index, (label, port, command) in enumerate(targets):
            server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers.append(server)
            host = f"http://127.0.0.1:{port}"
            wait_up(f"{host}/api/v1/catalog/")
            runs = (
                ("warm-up", args.pacing, True, args.warmup),  # every worker imports, connects, loads models
                ("reads only, paced", args.pacing, False, args.seconds),
                ("paced", args.pacing, True, args.seconds),
                ("saturated", 0.0, True, args.seconds),
            )
            for mode, pacing, uploads, seconds in runs:
                out = work / f"run{index}-{mode.replace(' ', '').replace(',', '-')}"
                out.mkdir()
                offset = used * args.users
                used += 1
                stats = run_locust(host, data_file, out, args.users, seconds, offset, pacing, uploads)
                if mode != "warm-up":
                    results.append((f"{label}, {mode}", stats))
            offset = used * args.users
            used += 1
            stats = run_threads(host, data, args.users, args.seconds, args.pacing, offset)
            results.append((f"{label.split(' (')[0]}, reads only, paced, threads", stats))
            server.terminate()
            server.wait(timeout=30)

        print(f"\n{args.users} concurrent clients, {args.seconds} s per run, loopback, {cores} cores, DEBUG=0, "
              f"PostgreSQL, Redis; after a {args.warmup} s warm-up per server; paced: each client one request every "
              f"{args.pacing:g} s; reads only: the upload task replaced by the order page; saturated: no think "
              f"time; threads: the reads-only run from bench/thread_client.py instead of locust\n")  # fmt: skip
        header = f"{'server, run':44} {'page':24} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7}"
        print(header)
        print("-" * len(header))
        for label, stats in results:
            for page in PAGES:
                row = stats.get(page)
                if not row:
                    continue
                print(f"{label:44} {page:24} {row['Request Count']:>8} {row['Failure Count']:>5} {row['50%']:>7} "
                      f"{row['95%']:>7} {row['99%']:>7} {float(row['Requests/s']):7.1f}")  # fmt: skip
        print(f"\n{'page':24} {'queries, 1 figurine':>20} {'queries, 5 figurines':>21}")
        for name, one, five in query_counts():
            print(f"{name:24} {one:>20} {five:>21}")
    finally:
        for server in servers:
            if server.poll() is None:
                server.kill()
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {db}"])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
