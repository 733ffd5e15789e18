"""Couples and families: one figure per person, each from that person's photos, side by side."""

import numpy as np
import pytest
from PIL import Image

from reconstruction.core.persons import assign_persons
from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput, ReconstructionError
from reconstruction.core.views import prepare_view

from .drawing import person_photo
from .test_pipeline import side_photo

BUDGET = 4000


def slim_person(size=(240, 320)) -> np.ndarray:
    """A second person: the same drawing squeezed sideways (narrower shoulders, in another framing)."""
    return np.asarray(Image.fromarray(person_photo(size)).resize((int(size[0] * 0.75), size[1])))


def shells(mesh):
    return sorted(mesh.split(only_watertight=False), key=lambda m: m.bounds[0][0])


def assert_two_people_side_by_side(result, height):
    mesh = result.mesh
    parts = [p for p in shells(mesh) if p.volume > 0.05 * mesh.volume]
    assert len(parts) == 2 and mesh.is_watertight
    left, right = parts
    assert left.bounds[1][0] < right.bounds[0][0]  # apart, side by side along x
    for part in parts:
        assert part.bounds[0][2] == pytest.approx(0.0, abs=0.5)  # both stand on the plate
        assert part.extents[2] == pytest.approx(height, rel=0.03)  # each at the ordered height
        assert part.extents[0] < 0.6 * height  # one person wide, not two
    return left, right


def test_photos_with_person_numbers_make_one_figure_each():
    photos = [
        PhotoInput(person_photo(), "front", person=0),
        PhotoInput(side_photo(), "side", person=0),
        PhotoInput(slim_person(), "front", person=1),
        PhotoInput(side_photo(fill=0.6), "side", person=1),
    ]
    result = reconstruct(photos, product_line="couple", height_mm=120, triangle_budget=BUDGET, persons=2)
    left, right = assert_two_people_side_by_side(result, 120)
    assert right.extents[0] < left.extents[0]  # person 2 (the slim one) stands on the viewer's right
    r = result.report
    assert r["person_assignment"] == "numbers" and r["warnings"] == []
    assert [(p["person"], p["source"], p["photos"]) for p in r["persons"]] == [
        (1, "photos", ["front", "side"]),
        (2, "photos", ["front", "side"]),
    ]
    assert [v["person"] for v in r["views"]] == [1, 1, 2, 2]
    assert r["perception"] in ("classical", "mediapipe") and r["method"] == "rounded_visual_hull"
    assert len(result.mesh.faces) <= BUDGET


def test_photos_without_person_numbers_are_split_in_order_and_the_report_says_so():
    photos = [
        PhotoInput(person_photo(), "front"),
        PhotoInput(side_photo(), "side"),
        PhotoInput(slim_person(), "front"),
        PhotoInput(side_photo(fill=0.6), "side"),
    ]
    result = reconstruct(photos, product_line="couple", height_mm=100, triangle_budget=BUDGET, learned=False)
    assert_two_people_side_by_side(result, 100)
    r = result.report
    assert r["person_assignment"] == "detected"
    assert any("split in order" in n and "person 2: front+side" in n for n in r["notes"])


def test_a_person_without_photos_gets_a_template_and_a_warning_in_words():
    result = reconstruct(
        [PhotoInput(person_photo(), "front", person=0), PhotoInput(side_photo(), "side", person=0)],
        product_line="couple",
        height_mm=150,
        triangle_budget=BUDGET,
        persons=2,
    )
    assert_two_people_side_by_side(result, 150)
    assert result.warnings == [
        "person 2 of 2 has no photos: a grey template body stands in for them on the base mesh"
    ]
    assert [p["source"] for p in result.report["persons"]] == ["photos", "template"]


def test_a_family_person_whose_photos_have_no_front_is_a_template_with_a_warning():
    photos = [
        PhotoInput(person_photo(), "front", person=0),
        PhotoInput(side_photo(), "side", person=1),
        PhotoInput(slim_person(), "front", person=2),
    ]
    result = reconstruct(photos, product_line="family", persons=3, triangle_budget=6000)
    parts = [p for p in shells(result.mesh) if p.volume > 0.05 * result.mesh.volume]
    assert len(parts) == 3
    assert [p["source"] for p in result.report["persons"]] == ["photos", "template", "photos"]
    assert len(result.warnings) == 1 and "person 2's photos cannot make a figure" in result.warnings[0]
    assert "front-facing photo is required" in result.warnings[0]


def test_a_group_photo_stays_one_figure_of_the_group():
    result = reconstruct(
        [PhotoInput(person_photo((400, 320), people=2), "front")],  # two people, apart
        product_line="couple",
        triangle_budget=BUDGET,
        learned=False,
    )
    r = result.report
    assert r["person_assignment"] == "group_photo" and r["warnings"] == []
    assert any("together" in n for n in r["notes"])


def test_solo_photos_are_never_split():
    photos = [PhotoInput(person_photo(), "front"), PhotoInput(slim_person(), "front")]
    views = [prepare_view(p, learned=False) for p in photos]
    groups, how, notes = assign_persons(photos, views, "solo", 1)
    assert how == "single" and len(groups) == 1 and notes == []
    groups, how, _ = assign_persons(photos, views, "couple", 2)
    assert how == "detected" and [len(g.photos) for g in groups] == [1, 1]


def test_no_usable_photo_for_anyone_is_still_an_error():
    with pytest.raises(ReconstructionError, match="front-facing"):
        reconstruct([PhotoInput(side_photo(), "side", person=1)], product_line="couple", persons=2)
