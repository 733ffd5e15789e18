"""Mesh uploads that could never pass their checks are refused with 400 before anything is stored.

Each hostile upload (zip bomb, XXE and billion-laughs 3MF, NaN coordinates, out-of-range indices,
external glTF/GLB references, a truncated GLB) gets a 400 with the preflight's message through the API
and a message in the admin workroom; storage holds the same files as before, no round is added and
the item keeps its state. A good mesh still uploads (201).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import OrderEvent
from revisions.models import Revision
from tests.kits.mesh.hostile import HOSTILE, good_meshes
from tests.revisions.conftest import upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api(sculptor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sculptor).key}")
    return client


@pytest.fixture(params=["in_memory", "spooled"])
def spooling(request, settings):
    """Small uploads stay in memory, larger ones are spooled to a temporary file: both are checked."""
    if request.param == "spooled":
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return request.param


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot(item) -> tuple:
    item.refresh_from_db()
    return stored_files(), Revision.objects.count(), item.status, OrderEvent.objects.count()


@pytest.mark.parametrize("case", sorted(set(HOSTILE) - {"external_buffer_gltf"}))  # .gltf is no upload type
def test_a_hostile_mesh_is_a_400_and_nothing_is_stored(
    staff_api, ready_round, item, case, spooling, enqueued
):
    name, make, issue, words = HOSTILE[case]
    before = snapshot(item)
    assert len(before[0]) == 1  # round 1's file
    response = staff_api.post(
        f"/api/v1/items/{item.pk}/revisions/", {"mesh": upload_file(make(), name)}, format="multipart"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "mesh_refused" and body["extra"] == {"field": "mesh", "issue": issue}
    assert words in body["message"] and body["message"].startswith(name)
    assert snapshot(item) == before  # no file, no round, no event, the item as it was


def test_the_admin_workroom_shows_the_refusal_as_a_message(client, sculptor, item, enqueued):
    client.force_login(sculptor)
    name, make, _issue, words = HOSTILE["xxe_3mf"]
    before = snapshot(item)
    response = client.post(
        f"/admin/revisions/revision/item/{item.pk}/upload/", {"mesh": upload_file(make(), name)}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and words in shown[0] and shown[0].startswith(name)
    assert snapshot(item) == before


@pytest.mark.parametrize("name", sorted(good_meshes()))
def test_a_good_mesh_still_uploads(staff_api, item, name, spooling, enqueued):
    data = good_meshes()[name]
    response = staff_api.post(
        f"/api/v1/items/{item.pk}/revisions/", {"mesh": upload_file(data, name)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(stored_files()) == 1 and Revision.objects.get().status == "checking"
