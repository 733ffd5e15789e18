"""A second load client for bench/load.py: the reads-only customers of bench/locustfile.py from a pool of
threads, each with its own `requests.Session` (signed in with its own single-use link), paced one request
every `pacing` seconds from a random phase.

Why: locust's gevent client adds latency of its own here (one locust user alone sees GET catalog/ at 11 ms
where a plain requests session sees 5 ms, and 20 users inflate every page about 4x while both cores stay
80 % idle), so the table shows the same reads from both clients. Loopback only.
"""

from __future__ import annotations

import random
import threading
import time

import requests

#: The reads-only task weights of bench/locustfile.py (the upload task replaced by the order page).
READS = (
    ("portal order page", 5, "/portal/orders/{number}/", False),
    ("GET orders/{number}/", 4, "/api/v1/orders/{number}/", True),
    ("GET catalog/", 2, "/api/v1/catalog/", False),
    ("portal revision page", 2, "/portal/revisions/{revision_id}/", False),
    ("GET revisions/{id}/", 2, "/api/v1/revisions/{revision_id}/", True),
)


def _percentile(values: list[float], share: float) -> int:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))]) if ordered else 0


def run_threads(host: str, data: dict, users: int, seconds: float, pacing: float, offset: int) -> dict:
    """Per page the row shape of locust's stats CSV (count, failures, p50/p95/p99 ms, requests/s)."""
    assert host.startswith(("http://127.0.0.1", "http://localhost")), f"loopback only, not {host}"
    times: dict[str, list[float]] = {name: [] for name, *_ in READS}
    failures: dict[str, int] = dict.fromkeys(times, 0)
    names = [name for name, weight, *_ in READS for _ in range(weight)]
    paths = {name: (path.format(**data), api) for name, _, path, api in READS}
    lock = threading.Lock()
    start_barrier = threading.Barrier(users + 1)

    def customer(link: str, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - load pacing, not security
        session = requests.Session()
        session.get(f"{host}{link}")
        token = session.cookies.get("csrftoken", "")
        session.post(
            f"{host}{link}",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{host}{link}", "X-CSRFToken": token},
            allow_redirects=False,
        )
        api = {"Authorization": f"Portal {data['portal_token']}"}
        start_barrier.wait()
        time.sleep(rng.uniform(0, pacing))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            name = rng.choice(names)
            path, is_api = paths[name]
            began = time.perf_counter()
            answer = session.get(f"{host}{path}", headers=api if is_api else None)
            answer.content  # noqa: B018 - read the whole body, as a browser would
            took = time.perf_counter() - began
            with lock:
                times[name].append(took * 1000)
                failures[name] += answer.status_code != 200
            time.sleep(max(0.0, pacing - took))

    threads = [
        threading.Thread(target=customer, args=(data["links"][offset + i], i), daemon=True)
        for i in range(users)
    ]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    rows = {}
    for name, values in [*times.items(), ("Aggregated", [v for vs in times.values() for v in vs])]:
        rows[name] = {
            "Request Count": len(values),
            "Failure Count": sum(failures.values()) if name == "Aggregated" else failures[name],
            "50%": _percentile(values, 0.50),
            "95%": _percentile(values, 0.95),
            "99%": _percentile(values, 0.99),
            "Requests/s": len(values) / elapsed,
        }
    return rows
