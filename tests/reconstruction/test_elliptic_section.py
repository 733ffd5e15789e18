"""The two-view shape gives a body an elliptic cross-section, not the visual hull's rectangle."""

import numpy as np
from PIL import Image, ImageDraw

from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput

BG = (235, 235, 235)
RED = (200, 60, 60)
TOP, BOTTOM = 20, 290  # rows of the subject: 270 px tall
FRONT_HALF, SIDE_HALF = 40, 25  # half-width (front) and half-depth (side) in px


def _view(half: int) -> np.ndarray:
    img = Image.new("RGB", (240, 320), BG)
    ImageDraw.Draw(img).rectangle([120 - half, TOP, 120 + half - 1, BOTTOM - 1], fill=RED)
    return np.asarray(img)


def test_elliptic_cylinder_seen_front_and_side_beats_the_visual_hull():
    photos = [PhotoInput(_view(FRONT_HALF), "front"), PhotoInput(_view(SIDE_HALF), "side")]
    mesh = reconstruct(photos, triangle_budget=6000).mesh
    assert mesh.is_watertight
    lo, hi = mesh.bounds
    scale = (hi[2] - lo[2]) / (BOTTOM - TOP)  # mm per pixel
    a, b = FRONT_HALF * scale, SIDE_HALF * scale
    cx, cy = (lo[:2] + hi[:2]) / 2
    # Both silhouettes are explained: the shape spans the full front width and side depth.
    assert abs((hi[0] - lo[0]) - 2 * a) < 0.1 * 2 * a
    assert abs((hi[1] - lo[1]) - 2 * b) < 0.1 * 2 * b
    # IoU with the elliptic cylinder, on a grid over the middle of the height (away from the flat ends).
    xs = np.linspace(cx - a, cx + a, 25)
    ys = np.linspace(cy - b, cy + b, 25)
    zs = np.linspace(lo[2] + 0.25 * (hi[2] - lo[2]), lo[2] + 0.75 * (hi[2] - lo[2]), 5)
    pts = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), axis=-1).reshape(-1, 3)
    truth = ((pts[:, 0] - cx) / a) ** 2 + ((pts[:, 1] - cy) / b) ** 2 <= 1.0
    got = mesh.contains(pts)
    iou = (truth & got).sum() / (truth | got).sum()
    hull_iou = truth.mean()  # the hull is the whole box sampled here
    assert hull_iou < 0.82
    assert iou > hull_iou + 0.1
    # The rectangle's corners are carved away.
    corners = np.array(
        [[cx + sx * 0.8 * a, cy + sy * 0.8 * b, (lo[2] + hi[2]) / 2] for sx in (-1, 1) for sy in (-1, 1)]
    )
    assert not mesh.contains(corners).any()
