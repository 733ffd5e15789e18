"""Fixtures of the print queue tests: the operator's and an anonymous API client."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def staff_api(operator):
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def anon_api():
    return APIClient()
