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
