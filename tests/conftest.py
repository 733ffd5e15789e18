"""Shared fixtures: factories, a task recorder, and the PostgreSQL marker."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import staff_user

TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """PostgreSQL tests run outside a test transaction (real locks, real commits), and every test that
    does so gets its data back afterwards: a transactional test ends with a flush, which would otherwise
    wipe the catalog, printers and staff groups that the data migrations seeded for the tests after it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = (
            item.get_closest_marker("postgres") is not None
            or kwargs.get("transaction", False)
            or bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))
        )
        if transactional:
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _own_cache_per_worker(settings, worker_id):
    """With Redis as the cache (CI's PostgreSQL + Redis run), each xdist worker gets its own Redis
    database, so one worker's cache.clear() (a flush of the whole database) never wipes another's
    throttle history in the middle of a test; and each test starts with an empty cache."""
    from django.core.cache import cache as default_cache

    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache") and worker_id != "master":
        base, _, db = cache["LOCATION"].rpartition("/")
        own = (int(db or 0) + 1 + int(worker_id.removeprefix("gw"))) % 16
        settings.CACHES = {**settings.CACHES, "default": {**cache, "LOCATION": f"{base}/{own}"}}
    # Each test starts with no throttle history: on Redis the earlier tests' photo uploads would
    # otherwise add up until a later test's upload is throttled (429).
    default_cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _static_and_worker_stats(settings, tmp_path):
    """Pages render `{% static %}` without a collectstatic run (the manifest storage of production needs
    one: tests/glue/test_production.py runs it), and the clusters' heartbeats live in a cache of the
    test's own, never in the var/ of a `make run` on the same machine."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.CACHES = {
        **settings.CACHES,
        "django_q": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)},
    }


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://…)")


@pytest.fixture
def enqueued(monkeypatch):
    """Record tasks instead of sending them to the broker: a list of (func, args, cluster)."""
    calls: list[tuple[str, tuple, str | None]] = []

    def fake_enqueue(func, *args, cluster=None, **kwargs):
        calls.append((func, args, cluster))
        return f"task-{len(calls)}"

    monkeypatch.setattr("studio.tasks.enqueue", fake_enqueue)
    return calls


# ------------------------------------------------------------------------------- staff, defined once
@pytest.fixture
def sculptor(db):
    """A sculptor (group Sculptors)."""
    return staff_user("sculptor1", "Sculptors")


@pytest.fixture
def operator(db):
    """An operator (group Operators)."""
    return staff_user("operator", "Operators")


@pytest.fixture
def admin_client(client, db):
    """A superuser's admin session without password hashing (pytest-django's hashes a password: slow)."""
    client.force_login(staff_user("admin-operator", is_superuser=True))
    return client
