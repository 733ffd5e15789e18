"""Faces and poses from the learned models, for several people in one photo.

MediaPipe Pose sees one person per call: after each body is found its segmented region is painted
over and the photo is looked at again, up to ``max_people`` times. Faces: the short-range detector
(close-ups), the full-range one (smaller faces), then a head crop around each body whose face is still
missing (a person far from the camera); duplicates are merged. Each face gets its 468-point mesh
from a crop around its box.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from . import models

__all__ = ["find_faces", "find_poses"]

Box = tuple[float, float, float, float]
#: A found pose only counts as a person when both shoulders are this visible.
MIN_SHOULDER_VISIBILITY = 0.5
#: Crop side the face mesh and the head-crop detector see (pixels).
CROP_SIDE = 256


def find_poses(
    rgb: np.ndarray, *, max_people: int = 4
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray | None]:
    """``([(landmarks (33, 4), world (33, 3)), ...], segmentation probability (h, w) or None)``."""
    h, w = rgb.shape[:2]
    work = rgb.copy()
    painted = np.zeros((h, w), bool)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    prob_all: np.ndarray | None = None
    fill = np.median(rgb.reshape(-1, 3), axis=0).astype(np.uint8)
    for _ in range(max_people):
        result = models.pose(work)
        if result is None:
            break
        lm, world, prob = result
        if min(lm[11, 3], lm[12, 3]) < MIN_SHOULDER_VISIBILITY:
            break
        cx, cy = np.mean(lm[[11, 12], 0]), np.mean(lm[[11, 12], 1])
        ix, iy = int(np.clip(cx, 0, w - 1)), int(np.clip(cy, 0, h - 1))
        if painted[iy, ix]:
            break  # the model is looking at the region painted over: nobody else there
        found.append((lm, world))
        if prob is None:
            break
        if prob.shape != (h, w):
            prob = np.asarray(Image.fromarray(prob, mode="F").resize((w, h), Image.Resampling.BILINEAR))
        prob_all = prob if prob_all is None else np.maximum(prob_all, prob)
        region = ndimage.binary_dilation(prob > 0.3, iterations=max(2, round(0.02 * max(h, w))))
        if not region.any() or region.mean() > 0.9:
            break
        painted |= region
        work[region] = fill
    return found, prob_all


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _same_face(a: Box, b: Box) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    inside = a[0] <= cx <= a[2] and a[1] <= cy <= a[3]
    return inside or _iou(a, b) > 0.3


def _crop(rgb: np.ndarray, cx: float, cy: float, side: float) -> tuple[np.ndarray, float, float, float]:
    """A square crop (padded with edge pixels) resized to ``CROP_SIDE``: (image, x0, y0, px per crop px)."""
    side = max(side, 8.0)
    x0, y0 = cx - side / 2, cy - side / 2
    box = (round(x0), round(y0), round(x0 + side), round(y0 + side))
    img = Image.fromarray(rgb).crop(box)  # pads outside the image with black
    crop = np.asarray(img.resize((CROP_SIDE, CROP_SIDE), Image.Resampling.BILINEAR))
    return crop, float(box[0]), float(box[1]), (box[2] - box[0]) / CROP_SIDE


def _detect(rgb: np.ndarray) -> list[tuple[Box, float]]:
    found = models.detect_faces(rgb, model="face_short")
    for box, score in models.detect_faces(rgb, model="face_full"):
        if not any(_same_face(b, box) or _same_face(box, b) for b, _ in found):
            found.append((box, score))
    return found


def _head_crop_faces(rgb: np.ndarray, poses: list[tuple[np.ndarray, np.ndarray]], known: list[Box]) -> list:
    out = []
    for lm, _world in poses:
        head = lm[[0, 2, 5, 7, 8], :2]
        cx, cy = head.mean(axis=0)
        if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in known):
            continue
        shoulders = float(np.hypot(*(lm[11, :2] - lm[12, :2])))
        ears = float(np.hypot(*(lm[7, :2] - lm[8, :2])))
        side = max(2.5 * ears, 0.9 * shoulders, 24.0)
        crop, x0, y0, k = _crop(rgb, cx, cy, side)
        for (a, b, c, d), score in _detect(crop):
            box = (x0 + a * k, y0 + b * k, x0 + c * k, y0 + d * k)
            if not any(_same_face(kb, box) or _same_face(box, kb) for kb in known):
                out.append((box, score))
                known.append(box)
    return out


def _mesh(rgb: np.ndarray, box: Box) -> np.ndarray | None:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = 2.0 * max(box[2] - box[0], box[3] - box[1])
    crop, x0, y0, k = _crop(rgb, cx, cy, side)
    pts = models.face_mesh(crop)
    if pts is None:
        return None
    out = pts * k
    out[:, 0] += x0
    out[:, 1] += y0
    mx, my = out[:, 0].mean(), out[:, 1].mean()
    gw, gh = (box[2] - box[0]) * 0.75, (box[3] - box[1]) * 0.75
    if not (box[0] - gw <= mx <= box[2] + gw and box[1] - gh <= my <= box[3] + gh):
        return None  # the mesh found another face in the crop
    return out


def find_faces(
    rgb: np.ndarray, poses: list[tuple[np.ndarray, np.ndarray]]
) -> list[tuple[Box, float, np.ndarray | None]]:
    """``[(box, score, mesh (468, 3) or None), ...]``, largest face first (a box may reach past the frame)."""
    found = _detect(rgb)
    found += _head_crop_faces(rgb, poses, [b for b, _ in found])
    h, w = rgb.shape[:2]
    out = []
    for box, score in found:
        x0, y0, x1, y1 = box
        clipped = (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
        if clipped[2] - clipped[0] < 2 or clipped[3] - clipped[1] < 2:
            continue
        out.append((box, score, _mesh(rgb, box)))
    out.sort(key=lambda f: -(f[0][2] - f[0][0]))
    return out
