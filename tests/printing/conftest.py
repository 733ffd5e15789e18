"""Fixtures of the print queue tests: staff and customer API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True)


@pytest.fixture
def staff_api(operator):
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def admin_client(client, db):
    """A superuser's admin session without password hashing (pytest-django's hashes a password: slow)."""
    client.force_login(UserFactory(username="admin-operator", is_staff=True, is_superuser=True))
    return client
