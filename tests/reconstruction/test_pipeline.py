import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from reconstruction.core.device import select_device
from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput, ReconstructionError
from reconstruction.core.views import register_views

from .drawing import SHIRT, SKIN, TROUSERS, person_photo

BG = (235, 235, 235)
BACK_COLOUR = (40, 160, 220)
BUDGET = 3000


def side_photo(size=(200, 300), *, facing_left=True, fill=0.8, dx=0, nose=True) -> np.ndarray:
    """A profile: head, torso and legs; the front half in the front photo's colours, the back in blue."""
    w, h = size
    img = Image.new("RGB", size, BG)
    d = ImageDraw.Draw(img)
    top = (h - fill * h) / 2
    hh = fill * h
    cx = w / 2 + dx
    sgn = -1 if facing_left else 1  # direction of the face in the image

    def split_rect(y0, y1, half, front_col, back_col):
        d.rectangle([cx - half, y0, cx + half, y1], fill=back_col)
        x0, x1 = sorted((cx, cx + sgn * half))
        d.rectangle([x0, y0, x1, y1], fill=front_col)

    d.ellipse([cx - 0.08 * hh, top, cx + 0.08 * hh, top + 0.16 * hh], fill=SKIN)
    if nose:
        nx0, nx1 = sorted((cx + sgn * 0.07 * hh, cx + sgn * 0.13 * hh))
        d.rectangle([nx0, top + 0.07 * hh, nx1, top + 0.1 * hh], fill=SKIN)
    split_rect(top + 0.15 * hh, top + 0.55 * hh, 0.07 * hh, SHIRT, BACK_COLOUR)
    split_rect(top + 0.55 * hh, top + hh, 0.05 * hh, TROUSERS, BACK_COLOUR)
    return np.asarray(img)


def back_photo(size=(240, 320)) -> np.ndarray:
    photo = person_photo(size).copy()
    photo[np.all(photo == SHIRT, axis=2)] = BACK_COLOUR
    photo[np.all(photo == TROUSERS, axis=2)] = BACK_COLOUR
    return photo


def two_views():
    return [PhotoInput(person_photo((240, 320)), "front"), PhotoInput(side_photo(), "side")]


def test_views_are_registered_by_silhouette_height_and_ground_line():
    small = person_photo((120, 200))
    big = np.asarray(Image.fromarray(person_photo((240, 320))).crop((0, 0, 240, 300)))
    views, _ = register_views([PhotoInput(small, "front"), PhotoInput(side_photo(fill=0.6, dx=20), "side")])
    front, side = views
    for v in views:
        top_col, top_row = v.world_to_pixel(np.array([[0.0, 0.0, 1.0]]))
        assert abs(top_row[0] - v.top) < 1e-6
        assert abs(v.world_to_pixel(np.array([[0.0, 0.0, 0.0]]))[1][0] - v.ground) < 1e-6
    assert side.px_per_unit == pytest.approx(0.6 * 300, abs=3)
    assert front.px_per_unit == pytest.approx(0.8 * 200, abs=3)
    # the side view is centred on its silhouette box (nose -0.13, back +0.08 of the height) whatever the framing
    assert side.centre_px == pytest.approx(100 + 20 - 0.025 * 180, abs=2)
    views2, _ = register_views([PhotoInput(big, "front")])
    assert views2[0].px_per_unit == pytest.approx(256, abs=3)


def test_profile_direction_is_detected_from_colours():
    for facing_left, expected in ((True, 1), (False, -1)):
        views, _ = register_views(
            [PhotoInput(person_photo(), "front"), PhotoInput(side_photo(facing_left=facing_left), "side")]
        )
        assert views[1].facing == expected


def test_two_view_mesh_is_watertight_sized_and_oriented():
    result = reconstruct(two_views(), height_mm=120, triangle_budget=BUDGET)
    mesh = result.mesh
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    lo, hi = mesh.bounds
    assert lo[2] == pytest.approx(0.0, abs=1e-6) and hi[2] == pytest.approx(120.0, abs=1e-3)
    assert abs(lo[0] + hi[0]) < 1e-3 and abs(lo[1] + hi[1]) < 1e-3  # centred
    # a person: wider (x) than deep (y); the face (nose) is forward, towards -Y
    assert mesh.extents[0] > mesh.extents[1]

    def y_centre(z0, z1):
        band = mesh.vertices[(mesh.vertices[:, 2] > z0 * 120) & (mesh.vertices[:, 2] < z1 * 120)]
        return (band[:, 1].min() + band[:, 1].max()) / 2

    assert y_centre(0.9, 0.93) < y_centre(0.5, 0.7) - 1.0
    assert len(mesh.faces) <= BUDGET
    assert result.report["method"] == "rounded_visual_hull"
    assert result.report["watertight"] and result.report["triangles"] == len(mesh.faces)


def test_colours_land_on_the_right_side():
    photos = [
        PhotoInput(person_photo(), "front"),
        PhotoInput(back_photo(), "back"),
        PhotoInput(side_photo(), "side"),
    ]
    mesh = reconstruct(photos, triangle_budget=BUDGET).mesh
    v = mesh.vertices
    colours = np.asarray(mesh.visual.vertex_colors)[:, :3].astype(float)
    chest = (v[:, 2] > 0.55 * 150) & (v[:, 2] < 0.75 * 150) & (np.abs(v[:, 0]) < 5)
    front = chest & (v[:, 1] < -3)
    back = chest & (v[:, 1] > 3)
    assert front.sum() > 5 and back.sum() > 5
    to_shirt = lambda c: np.linalg.norm(c - np.array(SHIRT), axis=1)  # noqa: E731
    to_back = lambda c: np.linalg.norm(c - np.array(BACK_COLOUR), axis=1)  # noqa: E731
    assert np.median(to_shirt(colours[front])) < 40 < np.median(to_back(colours[front]))
    assert np.median(to_back(colours[back])) < 40 < np.median(to_shirt(colours[back]))


def test_front_only_is_inflated_and_back_is_mirrored_front():
    result = reconstruct([PhotoInput(person_photo(), "front")], triangle_budget=BUDGET)
    mesh = result.mesh
    assert mesh.is_watertight and result.report["method"] == "front_inflation"
    assert 0.15 * mesh.extents[0] < mesh.extents[1] < mesh.extents[0]
    v = mesh.vertices
    colours = np.asarray(mesh.visual.vertex_colors)[:, :3].astype(float)
    back_chest = (v[:, 2] > 0.55 * 150) & (v[:, 2] < 0.75 * 150) & (np.abs(v[:, 0]) < 5) & (v[:, 1] > 1)
    assert back_chest.sum() > 3
    assert np.median(np.linalg.norm(colours[back_chest] - np.array(SHIRT), axis=1)) < 40


def test_chibi_enlarges_the_head_and_shortens_the_body():
    photos = two_views()
    real = reconstruct(photos, triangle_budget=BUDGET).mesh
    chibi = reconstruct(photos, style="chibi", triangle_budget=BUDGET).mesh
    assert chibi.is_watertight

    def head_share(mesh):
        v = mesh.vertices
        h = mesh.extents[2]
        # the head is the part above the narrowest row of the upper body
        zs = np.linspace(0.6 * h, 0.95 * h, 36)
        widths = [
            np.ptp(v[np.abs(v[:, 2] - z) < h / 60][:, 0]) if (np.abs(v[:, 2] - z) < h / 60).sum() > 2 else 1e9
            for z in zs
        ]
        neck = zs[int(np.argmin(widths))]
        return (h - neck) / h

    assert head_share(chibi) > head_share(real) * 1.3


def test_deterministic_output():
    a = reconstruct(two_views(), triangle_budget=BUDGET).mesh
    b = reconstruct(two_views(), triangle_budget=BUDGET).mesh
    assert np.array_equal(a.faces, b.faces)
    assert np.allclose(a.vertices, b.vertices)
    assert np.array_equal(a.visual.vertex_colors, b.visual.vertex_colors)


def test_progress_is_reported_in_order():
    seen = []
    reconstruct(two_views(), triangle_budget=BUDGET, progress=lambda stage, pct: seen.append((stage, pct)))
    percents = [p for _, p in seen]
    assert percents == sorted(percents) and seen[-1] == ("done", 100)
    assert {"segmenting", "shape", "colouring"} <= {s for s, _ in seen}


def test_unusable_input_raises_reconstruction_error():
    with pytest.raises(ReconstructionError, match="front"):
        reconstruct([PhotoInput(side_photo(), "side")], triangle_budget=BUDGET)
    with pytest.raises(ReconstructionError, match="no subject"):
        reconstruct([PhotoInput(np.full((100, 80, 3), 200, np.uint8), "front")], triangle_budget=BUDGET)
    with pytest.raises(ReconstructionError):
        reconstruct(two_views(), style="cubist", triangle_budget=BUDGET)
    with pytest.raises(ReconstructionError):
        reconstruct(two_views(), product_line="dragon", triangle_budget=BUDGET)


def test_device_selection():
    assert select_device("cpu") == (torch.device("cpu"), None)
    device, note = select_device("auto")
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu") and note is None
    if not torch.cuda.is_available():
        device, note = select_device("cuda")
        assert device.type == "cpu" and "no CUDA" in note
    with pytest.raises(ReconstructionError):
        select_device("tpu")
