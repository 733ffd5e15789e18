"""Photo intake through the API: clean photos accepted, bad files refused with nothing stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from orders.models import Order, Photo
from tests.kits.photo.images import blurred, encode, figure_photo, photo_jpeg
from tests.orders.helpers import jpeg_with_gps, place_order, portal_header, portal_sign_in, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(client) -> dict:
    data = place_order(client)
    data["item_id"] = data["items"][0]["id"]
    data["auth"] = portal_header(data["portal_token"])
    return data


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_clean_photo_is_accepted_with_no_issues(client, placed):
    response = upload(client, placed["number"], placed["item_id"], photo_jpeg(), **placed["auth"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["issues"] == [] and body["acceptable"] is True and body["usable"] is True
    photo = Photo.objects.get()
    assert body["kind"] == "front" and body["url"].startswith(
        f"http://testserver/portal/photos/{photo.pk}/?sig="
    )
    assert photo.sha256 == body["sha256"] and len(photo.sha256) == 64
    assert photo.original_sha256 and photo.original_sha256 != photo.sha256  # re-encoded copy
    assert photo.original_filename == "me.jpg"
    assert "me.jpg" not in photo.image.name  # stored under a random name
    assert len(stored_files()) == 1


def test_gps_and_exif_are_gone_from_the_stored_file(client, placed):
    response = upload(client, placed["number"], placed["item_id"], jpeg_with_gps(), **placed["auth"])
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert "gps" in photo.report["metadata_removed"]
    with Image.open(photo.image.path) as stored:
        exif = stored.getexif()
        assert not exif.get_ifd(0x8825)  # no GPS block
        assert 0x0110 not in exif  # no camera model
        assert "exif" not in stored.info and "xmp" not in stored.info
    raw = Path(photo.image.path).read_bytes()
    assert b"Studio Test Camera" not in raw and b"Exif" not in raw


def test_exif_orientation_is_applied(client, placed):
    upright = figure_photo(seed=5)  # 600 x 800
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored on its side, 800 x 600
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", quality=95, exif=exif)
    response = upload(client, placed["number"], placed["item_id"], buffer.getvalue(), **placed["auth"])
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (600, 800)
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.size == (600, 800)


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG", optimize=True)  # 144 megapixels, tiny file
    return buffer.getvalue()


def _truncated() -> bytes:
    data = photo_jpeg(seed=7)
    return data[: len(data) // 2]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="600" height="800"><rect width="600" height="800"/></svg>'


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (_bomb, "too_large", "megapixels"),
        (_truncated, "unreadable", "incomplete"),
        (lambda: SVG, "unreadable", "JPEG, PNG, WebP or HEIC"),
        (lambda: b"", "unreadable", "empty"),
    ],
    ids=["bomb", "truncated_jpeg", "svg_named_jpg", "empty"],
)
def test_bad_files_are_refused_with_400_and_nothing_is_stored(client, placed, make, code, fragment):
    response = upload(client, placed["number"], placed["item_id"], make(), name="photo.jpg", **placed["auth"])
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and fragment in body["message"]
    assert Photo.objects.count() == 0
    assert stored_files() == []


def test_the_same_photo_twice_is_a_409_and_stored_once(client, placed):
    data = photo_jpeg(seed=2)
    assert upload(client, placed["number"], placed["item_id"], data, **placed["auth"]).status_code == 201
    again = upload(client, placed["number"], placed["item_id"], data, kind="side", **placed["auth"])
    assert again.status_code == 409
    assert "already uploaded this photo" in again.json()["message"]
    assert Photo.objects.count() == 1 and len(stored_files()) == 1


def test_a_blurry_photo_is_stored_with_its_error_and_is_not_usable(client, placed):
    data = encode(blurred(figure_photo(seed=4), 6.0), "JPEG")
    response = upload(client, placed["number"], placed["item_id"], data, **placed["auth"])
    assert response.status_code == 201
    body = response.json()
    assert body["acceptable"] is False and body["usable"] is False
    blurry = [i for i in body["issues"] if i["code"] == "blurry"]
    assert blurry and blurry[0]["severity"] == "error" and blurry[0]["message"] and blurry[0]["advice"]


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [({"kind": "selfie"}, "kind"), ({"person_index": 1}, "person_index")],
)
def test_bad_fields_are_400(client, placed, fields, fragment):
    params = {"kind": "front", "person_index": 0, **fields}
    response = upload(client, placed["number"], placed["item_id"], photo_jpeg(), **params, **placed["auth"])
    assert response.status_code == 400 and fragment in response.json()["message"]
    assert stored_files() == []


def test_missing_image_is_400(client, placed):
    response = client.post(
        f"/api/v1/orders/{placed['number']}/items/{placed['item_id']}/photos/",
        {"kind": "front"},
        **placed["auth"],
    )
    assert response.status_code == 400 and "image" in response.json()["message"]


def test_too_many_usable_photos_per_person_is_409(client, placed, monkeypatch):
    monkeypatch.setattr("orders.services.photos.MAX_USABLE_PHOTOS_PER_PERSON", 2)
    for seed in (11, 12):
        assert (
            upload(
                client, placed["number"], placed["item_id"], photo_jpeg(seed=seed), **placed["auth"]
            ).status_code
            == 201
        )
    third = upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=13), **placed["auth"])
    assert third.status_code == 409 and "at most 2 photos" in third.json()["message"]
    assert len(stored_files()) == 2
    # Removing one makes room again.
    photo_id = Photo.objects.first().pk
    deleted = client.delete(
        f"/api/v1/orders/{placed['number']}/items/{placed['item_id']}/photos/{photo_id}/", **placed["auth"]
    )
    assert deleted.status_code == 204


def test_photos_are_refused_once_design_has_started(client, placed, enqueued):
    from orders.services import item_transition, order_mark_paid_offline

    order = Order.objects.get(number=placed["number"])
    order_mark_paid_offline(order_id=order.pk)
    assert (
        upload(client, placed["number"], placed["item_id"], photo_jpeg(), **placed["auth"]).status_code == 201
    )
    item_transition(item_id=placed["item_id"], to="reconstructing")
    late = upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=9), **placed["auth"])
    assert late.status_code == 409 and "can no longer" in late.json()["message"]
    assert Photo.objects.count() == 1


def test_another_orders_item_is_not_reachable(client, placed):
    other = place_order(client, email="bob@example.com")
    response = upload(client, placed["number"], other["items"][0]["id"], photo_jpeg(), **placed["auth"])
    assert response.status_code == 404
    assert stored_files() == []


def test_a_file_over_the_size_limit_is_refused_before_decoding(client, placed, settings):
    settings.MAX_PHOTO_UPLOAD_BYTES = 20_000
    data = photo_jpeg(seed=8)
    assert len(data) > 20_000
    response = upload(client, placed["number"], placed["item_id"], data, **placed["auth"])
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert "largest photo we accept" in response.json()["message"]
    huge = data + b"\0" * 1_100_000  # declared body far over the limit: refused before parsing
    again = upload(client, placed["number"], placed["item_id"], huge, **placed["auth"])
    assert again.status_code == 413 and again.json() == response.json()  # one message, one shape
    assert Photo.objects.count() == 0 and stored_files() == []


@pytest.mark.parametrize(
    ("fmt", "name"), [("HEIF", "IMG_0001.HEIC"), ("PNG", "scan.png"), ("WEBP", "shot.webp")]
)
def test_iphone_heic_png_and_webp_are_taken_by_content(client, placed, fmt, name):
    pytest.importorskip("pillow_heif")
    data = encode(figure_photo(seed=30), fmt, **({"quality": 90} if fmt in ("HEIF", "WEBP") else {}))
    response = upload(client, placed["number"], placed["item_id"], data, name=name, **placed["auth"])
    assert response.status_code == 201, response.content
    assert response.json()["report"]["format"] == fmt
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.format == "JPEG" and stored.size == (600, 800)


def test_a_photo_is_served_only_to_its_customer_and_the_staff(client, placed, admin_client, settings):
    upload(client, placed["number"], placed["item_id"], photo_jpeg(), **placed["auth"])
    photo = Photo.objects.get()
    url = f"/portal/photos/{photo.pk}/"
    stored = Path(photo.image.path).read_bytes()

    owner = Client().get(url, **placed["auth"])  # the API's Portal header works on the file too
    assert owner.status_code == 200 and owner["Content-Type"] == "image/jpeg"
    assert b"".join(owner.streaming_content) == stored
    assert "private" in owner["Cache-Control"]
    staff = admin_client.get(url)
    assert staff.status_code == 200 and b"".join(staff.streaming_content) == stored

    other = place_order(Client(), email="eve@example.com")
    assert Client().get(url, **portal_header(other["portal_token"])).status_code == 404
    assert Client().get(url).status_code == 404  # anonymous
    assert Client().get(url, HTTP_AUTHORIZATION="Portal not-a-token").status_code == 404
    assert Client().get(f"/portal/photos/{photo.pk + 999}/", **placed["auth"]).status_code == 404
    # a magic-link session opens the photos of its own order only
    session = Client()
    portal_sign_in(session, placed["portal_url"])
    assert session.get(url).status_code == 200

    # the URL the API answers is signed: it works on its own (an <img>, a download) until it expires
    signed = client.get(f"/api/v1/orders/{placed['number']}/", **placed["auth"]).json()
    signed_url = signed["items"][0]["photos"][0]["url"].removeprefix("http://testserver")
    anonymous = Client().get(signed_url)
    assert anonymous.status_code == 200 and b"".join(anonymous.streaming_content) == stored
    other_photo = signed_url.replace(f"/photos/{photo.pk}/", f"/photos/{photo.pk + 1}/")
    assert Client().get(other_photo).status_code == 404  # the signature is for one path only
    assert Client().get(signed_url[:-3] + "abc").status_code == 404  # tampered
    settings.SIGNED_FILE_URL_SECONDS = -1
    assert Client().get(signed_url).status_code == 404  # expired: back to the permission check
