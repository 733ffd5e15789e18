"""Shared fixtures: factories, a task recorder, and the PostgreSQL marker."""

from __future__ import annotations

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


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
