"""The reconstruction job of a couple: both persons' photos used, a missing person's flagged in words."""

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from kits.mesh import load_mesh
from orders.models import ItemStatus, Photo
from reconstruction.models import ReconstructionJob
from reconstruction.tasks import reconstruct_item
from revisions.models import Revision
from tests.factories import ItemFactory

from .drawing import person_photo
from .test_pipeline import side_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_budget(settings):
    settings.RECONSTRUCTION_TRIANGLE_BUDGET = 4000
    settings.RECONSTRUCTION_DEVICE = "cpu"
    settings.RECONSTRUCTION_BACKEND = "builtin"


def _add_photo(item, pixels: np.ndarray, kind: str, person: int) -> None:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    name = default_storage.save(f"photos/test/{item.pk}/{kind}-{person}.png", ContentFile(buffer.getvalue()))
    h, w = pixels.shape[:2]
    Photo.objects.create(
        item=item,
        kind=kind,
        person_index=person,
        image=name,
        width=w,
        height=h,
        sha256=f"{person}{kind}".ljust(64, "0")[:64],
        original_sha256=f"{person}{kind}o".ljust(64, "1")[:64],
        is_usable=True,
    )


def _shells(revision):
    mesh = load_mesh(revision.mesh.path).mesh
    parts = [p for p in mesh.split(only_watertight=False) if p.volume > 0.05 * mesh.volume]
    return sorted(parts, key=lambda p: p.bounds[0][0])


def test_a_couple_base_mesh_holds_both_persons_from_their_own_photos(enqueued):
    item = ItemFactory(status=ItemStatus.READY_FOR_DESIGN, product_line="couple", persons=2, height_mm=150)
    _add_photo(item, person_photo((180, 240)), "front", 0)
    _add_photo(item, side_photo((150, 240)), "side", 0)
    slim = np.asarray(Image.fromarray(person_photo((180, 240))).resize((120, 240)))
    _add_photo(item, slim, "front", 1)
    assert reconstruct_item(item.pk) == "completed"
    item.refresh_from_db()
    assert item.status == ItemStatus.SCULPTING and not item.flagged
    parts = _shells(Revision.objects.get(item=item, number=0))
    assert len(parts) == 2
    assert parts[0].bounds[1][0] < parts[1].bounds[0][0]
    assert all(abs(p.extents[2] - 150) < 5 for p in parts)
    report = ReconstructionJob.objects.get(item=item).data["report"]
    assert [p["photos"] for p in report["persons"]] == [["front", "side"], ["front"]]
    assert report["person_assignment"] == "numbers" and report["warnings"] == []
    assert report["perception"] in ("classical", "mediapipe")
    assert {v["segmentation"] for v in report["views"]} <= {
        "backdrop",
        "alpha",
        "selfie_segmentation",
        "pose_segmentation",
        "grabcut",
    }


def test_a_couple_with_one_persons_photos_is_flagged_in_words(enqueued):
    item = ItemFactory(status=ItemStatus.READY_FOR_DESIGN, product_line="couple", persons=2, height_mm=150)
    _add_photo(item, person_photo((180, 240)), "front", 0)
    assert reconstruct_item(item.pk) == "completed"
    item.refresh_from_db()
    assert item.flagged and "person 2 of 2 has no photos" in item.flag_reason
    report = ReconstructionJob.objects.get(item=item).data["report"]
    assert report["warnings"] == [
        "person 2 of 2 has no photos: a grey template body stands in for them on the base mesh"
    ]
    assert len(_shells(Revision.objects.get(item=item, number=0))) == 2
