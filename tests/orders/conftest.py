"""Fixtures for the orders tests: offline by default, a Stripe webhook secret, clean throttles."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.orders.helpers import WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def _orders_settings(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "http://testserver"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _catalog(request):
    """The default catalog (a transactional test elsewhere may have flushed the migration's seed)."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and not {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    importlib.import_module("printing.migrations.0002_default_catalog").seed(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )
