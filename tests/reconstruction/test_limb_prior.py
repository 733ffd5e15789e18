"""The two-view shape gives a limb beside the body a round cross-section, not the body's depth."""

import numpy as np
from PIL import Image, ImageDraw

from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput

BG = (235, 235, 235)
RED = (200, 60, 60)


def _front() -> np.ndarray:
    img = Image.new("RGB", (240, 320), BG)
    d = ImageDraw.Draw(img)
    d.ellipse([100, 20, 140, 60], fill=(230, 190, 160))
    d.rectangle([90, 60, 150, 290], fill=RED)  # body 60 px wide
    d.rectangle([60, 60, 90, 70], fill=RED)  # shoulders
    d.rectangle([150, 60, 180, 70], fill=RED)
    d.rectangle([60, 70, 76, 200], fill=RED)  # arms 16 px wide, 14 px from the body
    d.rectangle([164, 70, 180, 200], fill=RED)
    return np.asarray(img)


def _side() -> np.ndarray:
    img = Image.new("RGB", (240, 320), BG)
    d = ImageDraw.Draw(img)
    d.ellipse([100, 20, 140, 60], fill=(230, 190, 160))
    d.rectangle([85, 60, 155, 290], fill=RED)  # body 70 px deep; the arms hide inside it
    return np.asarray(img)


def test_arm_beside_the_body_is_round_not_as_deep_as_the_body():
    result = reconstruct([PhotoInput(_front(), "front"), PhotoInput(_side(), "side")], triangle_budget=4000)
    mesh = result.mesh
    assert mesh.is_watertight
    v = mesh.vertices
    scale = 150.0 / 270.0  # mm per pixel (the figure is 270 px tall)
    band = (v[:, 2] > (290 - 180) * scale) & (v[:, 2] < (290 - 100) * scale)
    arm = band & (np.abs(v[:, 0]) > 40 * scale)
    body = band & (np.abs(v[:, 0]) < 20 * scale)
    assert arm.sum() > 10 and body.sum() > 10
    arm_depth, body_depth = np.ptp(v[arm, 1]), np.ptp(v[body, 1])
    assert body_depth > 0.85 * 70 * scale  # the body keeps the profile's depth
    assert arm_depth < 0.5 * body_depth  # about its 16 px width, not 70
    assert arm_depth > 0.6 * 16 * scale


def test_arm_stays_round_when_the_body_is_only_a_little_deeper():
    """No jump to the body's depth: a 16 px arm beside a 24 px deep body is still rounded."""
    side = Image.new("RGB", (240, 320), BG)
    d = ImageDraw.Draw(side)
    d.ellipse([100, 20, 140, 60], fill=(230, 190, 160))
    d.rectangle([108, 60, 131, 290], fill=RED)  # body 24 px deep
    photos = [PhotoInput(_front(), "front"), PhotoInput(np.asarray(side), "side")]
    mesh = reconstruct(photos, triangle_budget=20000).mesh
    assert mesh.is_watertight
    v = mesh.vertices
    scale = 150.0 / 270.0
    band = (v[:, 2] > (290 - 180) * scale) & (v[:, 2] < (290 - 100) * scale)
    arm = band & (np.abs(v[:, 0]) > 40 * scale)
    body = band & (np.abs(v[:, 0]) < 20 * scale)
    assert arm.sum() > 10 and body.sum() > 10
    arm_depth, body_depth = np.ptp(v[arm, 1]), np.ptp(v[body, 1])
    assert body_depth > 0.85 * 24 * scale
    assert arm_depth < 0.88 * body_depth  # about its round 18 px, not the body's 24
