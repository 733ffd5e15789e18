"""A duplicate photo is judged on what the studio stores (metadata removed), not on the uploaded bytes:
the same picture with and without its EXIF is one photo."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from orders.models import Photo
from tests.kits.photo.images import encode, figure_photo, photo_jpeg
from tests.orders.helpers import jpeg_with_gps, place_order, portal_header, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(client) -> dict:
    data = place_order(client)
    data["item_id"] = data["items"][0]["id"]
    data["auth"] = portal_header(data["portal_token"])
    return data


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("exif_first", [True, False], ids=["exif-first", "clean-first"])
def test_the_same_picture_with_and_without_exif_is_stored_once(client, placed, exif_first):
    with_exif = jpeg_with_gps(seed=3)
    without = encode(figure_photo(seed=3), "JPEG")  # the same pixels, the same quality, no metadata
    assert with_exif != without and b"Studio Test Camera" in with_exif
    first, second = (with_exif, without) if exif_first else (without, with_exif)

    assert upload(client, placed["number"], placed["item_id"], first, **placed["auth"]).status_code == 201
    again = upload(client, placed["number"], placed["item_id"], second, kind="side", **placed["auth"])
    assert again.status_code == 409, again.content
    body = again.json()
    assert "already uploaded this photo" in body["message"] and "as the front" in body["message"]
    assert Photo.objects.count() == 1 and len(_stored_files()) == 1


def test_a_different_picture_is_no_duplicate(client, placed):
    assert (
        upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=3), **placed["auth"]).status_code
        == 201
    )
    other = upload(
        client, placed["number"], placed["item_id"], photo_jpeg(seed=5), kind="side", **placed["auth"]
    )
    assert other.status_code == 201, other.content
    assert Photo.objects.count() == 2 and len(_stored_files()) == 2


def test_the_same_file_again_is_refused_before_the_photo_check_runs(client, placed, monkeypatch):
    """A retried or double-clicked upload costs no second photo check (about a second of CPU)."""
    from orders.services import photos as photo_services

    checks = []
    real = photo_services.assess_photo
    monkeypatch.setattr(photo_services, "assess_photo", lambda *a, **kw: checks.append(1) or real(*a, **kw))
    data = photo_jpeg(seed=3)
    assert upload(client, placed["number"], placed["item_id"], data, **placed["auth"]).status_code == 201
    again = upload(client, placed["number"], placed["item_id"], data, kind="side", **placed["auth"])
    assert again.status_code == 409 and again.json()["extra"]["code"] == "duplicate_photo"
    assert len(checks) == 1 and Photo.objects.count() == 1 and len(_stored_files()) == 1
