"""A round's turntable renders are served by their index: only a plain index of a render that exists."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from revisions.models import RevisionStatus
from tests.factories import RevisionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered():
    revision = RevisionFactory(status=RevisionStatus.READY)
    names = [
        default_storage.save(f"meshes/test/{revision.pk}/render-{i}.png", ContentFile(f"render {i}".encode()))
        for i in range(3)
    ]
    revision.renders = names
    revision.save(update_fields=["renders"])
    return revision


def _get(client, revision, kind: str):
    return client.get(f"/portal/revisions/{revision.pk}/files/{kind}")


@pytest.mark.parametrize("index", range(3))
def test_each_render_is_served_by_its_index(admin_client, rendered, index):
    response = _get(admin_client, rendered, f"render-{index}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == f"render {index}".encode()


@pytest.mark.parametrize(
    "kind",
    [
        "render--1.png",  # Python's last item
        "render--3.png",
        "render-3.png",  # one past the end
        "render-+1.png",
        "render- 1.png",
        "render-1_0.png",
        "render-\u0661.png",  # an Arabic-Indic digit one
        "render-.png",
        "render-1.0.png",
    ],
)
def test_any_other_index_is_a_404(admin_client, rendered, kind):
    assert _get(admin_client, rendered, kind).status_code == 404
