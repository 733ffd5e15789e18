"""Who counts as staff: one rule (studio.permissions), the same in every app's API and page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from orders.auth import PortalCustomer
from orders.models import Customer
from studio.permissions import is_staff_user
from tests.factories import ItemFactory, RevisionFactory, UserFactory, staff_user


def test_only_active_staff_users_are_staff(db):
    assert is_staff_user(UserFactory(username="active-staff", is_staff=True))
    assert not is_staff_user(UserFactory(username="resting-staff", is_staff=True, is_active=False))
    assert not is_staff_user(UserFactory(username="not-staff", is_staff=False))
    assert not is_staff_user(AnonymousUser())
    assert not is_staff_user(None)
    assert not is_staff_user(PortalCustomer(Customer(email="ada@example.com")))


@pytest.mark.parametrize(
    "path",
    ["/api/v1/print-jobs/", "/api/v1/items/{item}/revisions/", "/api/v1/revisions/{revision}/"],
)
def test_a_deactivated_staff_user_is_refused_everywhere(db, path):
    revision = RevisionFactory(item=ItemFactory())
    url = path.format(item=revision.item_id, revision=revision.pk)
    client = APIClient()
    client.force_authenticate(UserFactory(username="left-the-studio", is_staff=True, is_active=False))
    assert client.get(url).status_code in (403, 404)
    client.force_authenticate(staff_user("on-shift", "Operators"))  # a role that may read all three
    assert client.get(url).status_code == 200
