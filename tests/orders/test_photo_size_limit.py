"""One photo size limit (MAX_PHOTO_UPLOAD_BYTES, 25 MB), one message, one error, refused before reading.

The API and the portal refuse a body whose declared Content-Length cannot hold a photo under the
limit without reading a byte of it (the request's input raises if it is read); a real file just over
the limit is refused with the same message; a file at the limit passes the size rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from kits.photo import too_large_message
from orders.models import Photo
from orders.photo_limits import PhotoTooLarge, refuse_oversized_body, refuse_oversized_photo
from tests.kits.photo.images import photo_jpeg
from tests.orders.helpers import _named, place_order, portal_header, portal_sign_in, upload

pytestmark = pytest.mark.django_db

LIMIT = 25 * 1024 * 1024
HUGE = 120 * 1024 * 1024  # what an attacker (or a raw camera export) declares


class UnreadableInput:
    """A request body that fails the test if anything reads it."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        raise AssertionError("the request body was read")

    readline = read


@pytest.fixture
def placed(client) -> dict:
    data = place_order(client)
    data["item_id"] = data["items"][0]["id"]
    data["auth"] = portal_header(data["portal_token"])
    return data


@pytest.fixture
def strict(client, placed) -> Client:
    """The customer's portal session in a browser-like client that enforces CSRF, with its CSRF cookie."""
    portal_sign_in(client, placed["portal_url"])
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    page = browser.get(f"/portal/orders/{placed['number']}/")
    assert page.status_code == 200 and "csrftoken" in browser.cookies
    return browser


def message() -> str:
    return too_large_message(settings.MAX_PHOTO_UPLOAD_BYTES)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def declared_huge(client: Client, path: str, **headers):
    """POST a multipart request declaring HUGE bytes whose body must never be read."""
    body = UnreadableInput()
    response = client.generic(
        "POST",
        path,
        b"",  # no data: generic() leaves the environ's body keys to us
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(HUGE),
        **{"wsgi.input": body},
        **headers,
    )
    assert body.reads == 0
    return response


def api_path(placed) -> str:
    return f"/api/v1/orders/{placed['number']}/items/{placed['item_id']}/photos/"


def portal_path(placed) -> str:
    return f"/portal/orders/{placed['number']}/items/{placed['item_id']}/photos/"


def padded_jpeg(size: int) -> bytes:
    """A real photo padded after its end marker to exactly ``size`` bytes (decoders ignore the tail)."""
    data = photo_jpeg(seed=11)
    return data + b"\0" * (size - len(data))


# --------------------------------------------------------------------------- the one limit and message


def test_the_limit_is_25_mb_and_the_message_says_so():
    assert settings.MAX_PHOTO_UPLOAD_BYTES == LIMIT
    assert "25 MB" in message() and "largest photo we accept" in message()
    assert PhotoTooLarge().message == message()
    assert too_large_message(int(2.5 * 1024 * 1024)).count("2.5 MB") == 1


def test_a_photo_at_the_limit_passes_the_size_rule_and_one_byte_more_does_not():
    refuse_oversized_photo(LIMIT)  # no refusal
    refuse_oversized_photo(None)  # size unknown: the kit's own limit decides
    with pytest.raises(PhotoTooLarge) as info:
        refuse_oversized_photo(LIMIT + 1)
    assert info.value.status_code == 413 and info.value.code == "too_large"
    # the multipart body of a photo at the limit, with the form's fields, passes the Content-Length rule
    body = encode_multipart(BOUNDARY, {"image": _named(b"\0" * LIMIT, "me.jpg"), "kind": "front"})
    refuse_oversized_body({"CONTENT_LENGTH": str(len(body))})
    refuse_oversized_body({})  # chunked or absent: the file's own size is checked later
    with pytest.raises(PhotoTooLarge):
        refuse_oversized_body({"CONTENT_LENGTH": str(HUGE)})


# --------------------------------------------------------------------------- declared too large, never read


def test_the_api_refuses_a_declared_oversized_body_without_reading_it(client, placed):
    response = declared_huge(client, api_path(placed), **placed["auth"])
    assert response.status_code == 413
    assert response.json() == {"message": message(), "code": "too_large", "extra": {"max_bytes": LIMIT}}
    assert Photo.objects.count() == 0 and stored_files() == []


def test_the_api_refuses_it_before_the_session_csrf_check_reads_the_body(strict, placed):
    token = strict.cookies["csrftoken"].value
    response = declared_huge(strict, api_path(placed), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413 and response.json()["message"] == message()


def test_the_portal_refuses_a_declared_oversized_body_without_reading_it(strict, placed):
    response = declared_huge(strict, portal_path(placed))
    assert response.status_code == 413
    assert message() in response.content.decode()
    assert f"/portal/orders/{placed['number']}/#item-{placed['item_id']}" in response.content.decode()
    assert Photo.objects.count() == 0 and stored_files() == []


def test_the_portal_still_needs_its_csrf_token_and_its_session(strict, placed):
    photo = {"image": _named(photo_jpeg(seed=12), "me.jpg"), "kind": "front"}
    assert strict.post(portal_path(placed), photo).status_code == 403  # no token
    token = strict.cookies["csrftoken"].value
    photo["image"].seek(0)
    taken = strict.post(portal_path(placed), photo, HTTP_X_CSRFTOKEN=token)
    assert taken.status_code == 302 and Photo.objects.count() == 1
    # an anonymous oversized POST gets the signed-out page, not the order
    assert declared_huge(Client(), portal_path(placed)).status_code == 401


# --------------------------------------------------------------------------- real files around the limit


def test_a_real_file_just_over_the_limit_is_refused_with_the_same_message(client, placed, strict):
    data = padded_jpeg(LIMIT + 1)
    response = upload(client, placed["number"], placed["item_id"], data, **placed["auth"])
    assert response.status_code == 413
    assert response.json() == {"message": message(), "code": "too_large", "extra": {"max_bytes": LIMIT}}

    token = strict.cookies["csrftoken"].value
    page = strict.post(
        portal_path(placed),
        {"image": _named(data, "big.jpg"), "kind": "front"},
        HTTP_X_CSRFTOKEN=token,
        follow=True,
    )
    assert page.status_code == 200
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [f"big.jpg: {message()}"]
    assert Photo.objects.count() == 0 and stored_files() == []


def test_a_real_file_at_the_limit_is_taken(client, placed):
    response = upload(client, placed["number"], placed["item_id"], padded_jpeg(LIMIT), **placed["auth"])
    assert response.status_code == 201, response.content
    assert Photo.objects.count() == 1
