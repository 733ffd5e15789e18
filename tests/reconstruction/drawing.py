"""Small synthetic photos drawn with Pillow for the reconstruction tests."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SKIN = (230, 190, 160)
SHIRT = (200, 60, 60)
TROUSERS = (40, 40, 120)


def draw_person(draw: ImageDraw.ImageDraw, cx: float, top: float, height: float, shirt=SHIRT) -> None:
    """A front-facing person: head, torso, arms and two legs (all touching)."""
    h = height
    hr = h * 0.08
    draw.rectangle([cx - h * 0.03, top + 1.8 * hr, cx + h * 0.03, top + 2 * hr + h * 0.03], fill=SKIN)
    draw.ellipse([cx - hr, top, cx + hr, top + 2 * hr], fill=SKIN)
    draw.rectangle([cx - h * 0.12, top + 2 * hr, cx + h * 0.12, top + h * 0.55], fill=shirt)
    draw.rectangle([cx - h * 0.17, top + 2 * hr, cx - h * 0.12, top + h * 0.5], fill=shirt)
    draw.rectangle([cx + h * 0.12, top + 2 * hr, cx + h * 0.17, top + h * 0.5], fill=shirt)
    draw.rectangle([cx - h * 0.1, top + h * 0.55, cx - h * 0.01, top + h], fill=TROUSERS)
    draw.rectangle([cx + h * 0.01, top + h * 0.55, cx + h * 0.1, top + h], fill=TROUSERS)


def person_photo(
    size: tuple[int, int] = (240, 320),
    *,
    background=(235, 235, 235),
    gradient: bool = False,
    people: int = 1,
) -> np.ndarray:
    """An RGB photo of one or more people on a plain (or vertically graded) background."""
    w, h = size
    if gradient:
        ramp = np.linspace(0.85, 1.05, h)[:, None, None] * np.array(background, float)[None, None, :]
        img = Image.fromarray(np.clip(np.broadcast_to(ramp, (h, w, 3)), 0, 255).astype(np.uint8))
    else:
        img = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(img)
    if people == 1:
        draw_person(draw, w / 2, h * 0.1, h * 0.8)
    else:
        for i in range(people):
            cx = w * (i + 1) / (people + 1)
            draw_person(draw, cx, h * 0.1, h * 0.75 / max(1, people / 2), shirt=(60, 150 + 30 * i, 60))
    return np.asarray(img)


def bust_photo(
    size: tuple[int, int] = (240, 320), *, shoulders_top: float = 0.3, background=(235, 235, 235)
) -> np.ndarray:
    """A close bust: the shoulders reach both sides and the bottom of the frame."""
    w, h = size
    img = Image.new("RGB", (w, h), background)
    d = ImageDraw.Draw(img)
    top = shoulders_top * h
    d.ellipse([-0.35 * w, top, 1.35 * w, h + 0.9 * h], fill=(60, 90, 160))
    d.rectangle([w / 2 - 0.1 * w, 0.3 * h, w / 2 + 0.1 * w, max(top + 0.1 * h, 0.35 * h)], fill=SKIN)
    d.ellipse([w / 2 - 0.25 * w, 0.06 * h, w / 2 + 0.25 * w, 0.47 * h], fill=SKIN)
    d.ellipse([w / 2 - 0.26 * w, 0.05 * h, w / 2 + 0.26 * w, 0.25 * h], fill=(70, 45, 30))
    return np.asarray(img)


def subject_truth(photo: np.ndarray) -> np.ndarray:
    """The drawn subject of a synthetic photo on a plain background (pixels unlike the corner)."""
    return np.any(photo.astype(int) != photo[1, 1].astype(int), axis=2)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))
