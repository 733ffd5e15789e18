"""Real photographs that ship inside scikit-image (nothing downloaded), and photos composed from them.

* ``astronaut()`` — Eileen Collins, one face, in front of a flag and a shuttle model (a busy room).
* ``chelsea()`` — a cat close up on a rug; ``coffee()`` — a cup, no person or pet; ``camera()`` — a man
  with a camera, cut at the thighs.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

skimage_data = __import__("pytest").importorskip("skimage.data")

#: Where the room shows in ``astronaut()`` (x0, y0, x1, y1): the flag at the top left, the shuttle model.
ASTRONAUT_FLAG = (0, 0, 60, 230)
ASTRONAUT_SHUTTLE = (370, 20, 450, 250)


def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skimage_data.astronaut())


def chelsea() -> np.ndarray:
    return np.ascontiguousarray(skimage_data.chelsea())


def coffee() -> np.ndarray:
    return np.ascontiguousarray(skimage_data.coffee())


def camera() -> np.ndarray:
    grey = skimage_data.camera()
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def resized(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def two_astronauts() -> np.ndarray:
    """Two crops of the astronaut side by side (512 x 512), one mirrored: two people, two faces."""
    crop = astronaut()[:, 96:352]
    return np.ascontiguousarray(np.concatenate([crop, crop[:, ::-1]], axis=1))


def small_face_astronaut() -> np.ndarray:
    """The astronaut scaled to 280 px at the bottom of a 600 x 600 plain canvas: a face ~52 px wide."""
    canvas = np.full((600, 600, 3), (226, 229, 233), np.uint8)
    canvas[600 - 280 :, 160:440] = resized(astronaut(), (280, 280))
    return canvas
