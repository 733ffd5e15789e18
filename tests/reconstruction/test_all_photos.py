"""Every photo the customer gave is used: back, both profiles, full body and close-ups."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput
from reconstruction.core.views import register_views

from .drawing import SHIRT, TROUSERS, person_photo
from .test_pipeline import BACK_COLOUR, BG, BUDGET, back_photo, side_photo

OTHER_BACK = (230, 200, 30)  # the back half as the second profile shows it


def _colours(mesh) -> np.ndarray:
    return np.asarray(mesh.visual.vertex_colors)[:, :3].astype(float)


def _dist(c: np.ndarray, ref) -> float:
    return float(np.median(np.linalg.norm(c - np.array(ref, float), axis=1)))


def test_back_photo_colours_the_back_without_a_profile():
    photos = [PhotoInput(person_photo(), "front"), PhotoInput(back_photo(), "back")]
    result = reconstruct(photos, triangle_budget=BUDGET)
    mesh, report = result.mesh, result.report
    assert mesh.is_watertight
    assert [v["kind"] for v in report["views"]] == ["front", "back"]
    assert all(v["used_for"] == ["shape", "colour"] for v in report["views"])
    v, colours = mesh.vertices, _colours(mesh)
    chest = (v[:, 2] > 0.55 * 150) & (v[:, 2] < 0.75 * 150) & (np.abs(v[:, 0]) < 5)
    back, front = chest & (v[:, 1] > 1), chest & (v[:, 1] < -1)
    assert back.sum() > 3 and front.sum() > 3
    # the back photo's colour, not the mirrored front's shirt
    assert _dist(colours[back], BACK_COLOUR) < 40 < _dist(colours[back], SHIRT)
    assert _dist(colours[front], SHIRT) < 40


def test_back_photo_carves_like_the_mirrored_front_silhouette():
    front = person_photo().copy()
    img = Image.fromarray(front)
    # something beside the figure in the front photo that the back photo does not show
    ImageDraw.Draw(img).rectangle([190, 150, 215, 250], fill=(20, 140, 20))
    front = np.asarray(img)
    only_front = reconstruct([PhotoInput(front, "front")], triangle_budget=BUDGET).mesh
    with_back = reconstruct(
        [PhotoInput(front, "front"), PhotoInput(back_photo(), "back")], triangle_budget=BUDGET
    ).mesh
    assert with_back.is_watertight
    assert with_back.extents[0] < 0.8 * only_front.extents[0]


def test_both_profiles_carve_and_colour_their_own_side():
    second = side_photo(facing_left=False).copy()
    second[np.all(second == BACK_COLOUR, axis=2)] = OTHER_BACK
    photos = [
        PhotoInput(person_photo(), "front"),
        PhotoInput(side_photo(facing_left=True), "side"),
        PhotoInput(second, "side"),
    ]
    result = reconstruct(photos, triangle_budget=BUDGET)
    report = result.report
    assert [v.get("facing") for v in report["views"][1:]] == ["image_left", "image_right"]
    assert all(v["used_for"] == ["shape", "colour"] for v in report["views"])
    mesh = result.mesh
    v, n, colours = mesh.vertices, mesh.vertex_normals, _colours(mesh)
    legs = (v[:, 2] < 0.35 * 150) & (v[:, 1] > 2)  # the back half of the legs
    plus_x = legs & (n[:, 0] > 0.7)
    minus_x = legs & (n[:, 0] < -0.7)
    assert plus_x.sum() > 3 and minus_x.sum() > 3
    assert _dist(colours[plus_x], BACK_COLOUR) < 40 < _dist(colours[plus_x], OTHER_BACK)
    assert _dist(colours[minus_x], OTHER_BACK) < 40 < _dist(colours[minus_x], BACK_COLOUR)


def test_two_profiles_carve_the_union_of_constraints():
    narrow = side_photo(facing_left=False, nose=False)
    one = reconstruct(
        [PhotoInput(person_photo(), "front"), PhotoInput(side_photo(facing_left=True), "side")],
        triangle_budget=BUDGET,
    ).mesh
    two = reconstruct(
        [
            PhotoInput(person_photo(), "front"),
            PhotoInput(side_photo(facing_left=True), "side"),
            PhotoInput(narrow, "side"),
        ],
        triangle_budget=BUDGET,
    ).mesh
    # the second profile has no nose: the head is carved shallower
    head = lambda m: np.ptp(m.vertices[m.vertices[:, 2] > 0.88 * 150][:, 1])  # noqa: E731
    assert head(two) < head(one) - 1.0


def test_full_body_alone_is_the_front_view():
    result = reconstruct([PhotoInput(person_photo(), "full_body")], triangle_budget=BUDGET)
    assert result.report["method"] == "front_inflation" and result.mesh.is_watertight
    assert result.report["views"][0]["used_for"] == ["shape", "colour"]


def test_close_up_front_is_registered_to_the_full_body_and_used():
    full = person_photo((240, 320))  # figure 256 px tall from row 32
    big = np.asarray(Image.fromarray(person_photo((480, 640))).crop((40, 20, 440, 400)))  # upper body, 2x
    views, notes = register_views([PhotoInput(big, "front"), PhotoInput(full, "full_body")])
    assert views[0].kind == "full_body" and views[1].kind == "front"
    close = views[1]
    assert close.cropped and close.uses == ("shape", "colour")
    assert close.px_per_unit == pytest.approx(2 * 256, rel=0.06)
    # the head's centre lands on the same figure point in both views
    col, _ = close.world_to_pixel(np.array([[0.0, 0.0, 0.9]]))
    assert col[0] == pytest.approx(200, abs=6)
    result = reconstruct([PhotoInput(full, "full_body"), PhotoInput(big, "front")], triangle_budget=BUDGET)
    assert result.mesh.is_watertight
    assert result.report["views"][1]["close_up"] is True
    assert result.report["views"][1]["used_for"] == ["shape", "colour"]


def test_a_mismatched_extra_photo_is_reported_not_silently_dropped():
    blob = np.full((320, 240, 3), BG, np.uint8)
    blob[40:290, 20:220] = TROUSERS  # a wide box: not the same subject
    result = reconstruct(
        [PhotoInput(person_photo(), "full_body"), PhotoInput(blob, "front")], triangle_budget=BUDGET
    )
    views = result.report["views"]
    assert len(views) == 2 and views[1]["used_for"] != ["shape", "colour"]
    assert any("front photo" in n for n in result.report["notes"])
