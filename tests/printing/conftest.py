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
