"""The photo upload checks each photo as the item's product line says: a pet's photos as a pet's (no face
needed), the others as a person's (a front photo without a face is not usable), a bust's full-body photo
needs the face too."""

from __future__ import annotations

import pytest
from PIL import Image

from kits.photo.perception import learned_available
from orders.models import Photo
from tests.kits.photo.images import encode
from tests.orders.helpers import place_order, portal_header, upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not learned_available(), reason="mediapipe (with its bundled models) not installed"),
]


@pytest.fixture(scope="module")
def no_face_jpeg() -> bytes:
    """A real photograph with no face in it (scikit-image's coffee cup), large enough to be measured."""
    coffee = pytest.importorskip("skimage.data").coffee()
    return encode(Image.fromarray(coffee).resize((900, 600)), "JPEG")


@pytest.fixture
def order(client) -> dict:
    items = [
        {"product_line": "solo", "height_mm": 150},
        {"product_line": "pet", "height_mm": 120},
        {"product_line": "bust", "height_mm": 60},
    ]
    data = place_order(client, items=items)
    data["ids"] = {item["product_line"]: item["id"] for item in data["items"]}
    data["auth"] = portal_header(data["portal_token"])
    return data


def post(client, order, line, data, kind="front"):
    response = upload(client, order["number"], order["ids"][line], data, kind=kind, **order["auth"])
    assert response.status_code == 201, response.content
    return response.json(), Photo.objects.get(pk=response.json()["id"])


def codes(body) -> list[str]:
    return [issue["code"] for issue in body["issues"]]


def test_subject_from_the_product_line(client, order, no_face_jpeg):
    body, photo = post(client, order, "solo", no_face_jpeg)
    assert photo.report["subject"] == "person" and photo.report["faces"] == 0
    assert "face_not_visible" in codes(body) and body["usable"] is False

    body, photo = post(client, order, "pet", no_face_jpeg)
    assert photo.report["subject"] == "pet"
    assert "face_not_visible" not in codes(body) and body["usable"] is True

    body, photo = post(client, order, "bust", no_face_jpeg, kind="full_body")
    assert photo.report["subject"] == "person"
    assert "face_not_visible" in codes(body) and body["usable"] is False


def test_every_printed_line_says_what_its_photos_show_and_the_reconstruction_reads_the_same():
    """One table (kits.photo.perception.PRODUCT_LINE_SUBJECTS) for the upload's check and the base mesh: a
    new printed line must say whether it is a person's or a pet's; only a digital-only line leaves it to the
    photo."""
    from kits.photo.perception import subject_for_product_line
    from orders.models import DIGITAL_ONLY_LINES, ProductLineCode
    from reconstruction.core.views import subject_for

    for code in ProductLineCode:
        expected = None if code in DIGITAL_ONLY_LINES else subject_for_product_line(code)
        assert subject_for(code) == expected
        if code not in DIGITAL_ONLY_LINES:
            assert expected in ("person", "pet"), code
    assert subject_for(ProductLineCode.PET) == "pet" and subject_for(ProductLineCode.BUST) == "person"
