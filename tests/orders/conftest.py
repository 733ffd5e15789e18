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
