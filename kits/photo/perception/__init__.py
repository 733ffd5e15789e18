"""Learned perception of a customer photo: faces, body poses and the subject's mask (pure kit, no Django).

One call, :func:`perceive`, shared by the photo checks and reconstruction. Backends:

* ``"mediapipe"`` (``mediapipe==0.10.14``, models bundled in its wheel, nothing downloaded): face
  detection (short range, then full range for small faces, then per-person head crops), face mesh
  (468 landmarks with relative depth) per face, pose (33 landmarks, 3D world landmarks, a segmentation
  mask) for up to ``MAX_PEOPLE`` people, selfie segmentation when only a face is found. People: the
  learned probability refined by GrabCut near its outline. Pets and anything the person models miss:
  GrabCut seeded from the classical mask (or a centred rectangle), a floor shadow kept as backdrop.
* ``"classical"`` when mediapipe or OpenCV is not importable, or ``learned=False``:
  :func:`kits.photo.segmentation.segment_subject` (backdrop model), no faces, no poses.

A PNG's alpha channel, when it carries the cut-out, is the mask in both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from kits.photo.segmentation import SubjectMask, segment_subject

from . import masks
from .landmarks import find_faces, find_poses

__all__ = ["MAX_PEOPLE", "SUBJECTS", "Face", "Perception", "Pose", "learned_available", "perceive"]

#: What a photo can be of.
SUBJECTS: tuple[str, ...] = ("person", "pet")
#: What each product line's photos show: the one table for the photo check at upload and for the
#: reconstruction. A line not listed ("3D model only", of anyone) leaves it to the photo.
PRODUCT_LINE_SUBJECTS: dict[str, str] = {
    "solo": "person",
    "couple": "person",
    "family": "person",
    "bust": "person",
    "pet": "pet",
}


def subject_for_product_line(product_line: str) -> str | None:
    """``person``, ``pet``, or None when the product line does not say (the photo is asked)."""
    return PRODUCT_LINE_SUBJECTS.get(product_line)


#: The most people (poses) looked for in one photo.
MAX_PEOPLE = 4
#: Longest side of the copy the models see (MediaPipe scales down further itself).
MODEL_SIDE = 1280
#: Below this many pixels on a side nothing is looked for (an empty mask, no faces).
MIN_SIDE = 16
#: A face detection score that makes a photo a person's on its own (without its face mesh), when the
#: caller did not say who the photo shows.
CLEAR_FACE = 0.7


@dataclass(frozen=True)
class Face:
    """One face: its box ``(x0, y0, x1, y1)`` in pixels of the given image, the detector's score and
    the 468 face-mesh landmarks ``(x, y, z)`` (pixels; z relative depth in the x scale, smaller = nearer
    the camera) when the mesh found them."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])


@dataclass(frozen=True)
class Pose:
    """One body: 33 landmarks ``(x, y, z, visibility)`` in MediaPipe Pose order (pixels, z relative in
    the x scale) and ``world`` (33, 3) in metres, hip-centred."""

    landmarks: np.ndarray
    world: np.ndarray


@dataclass(frozen=True)
class Perception:
    """What :func:`perceive` saw. ``confidence`` (0..1) says how much to trust ``mask``; ``classical``
    is the backdrop segmentation it also ran (None when the mask came from alpha)."""

    backend: str  # "mediapipe" or "classical"
    subject: str | None  # "person", "pet" or None
    mask: np.ndarray  # bool (h, w)
    mask_method: str  # "selfie_segmentation" | "pose_segmentation" | "grabcut" | "backdrop"
    faces: tuple[Face, ...]
    poses: tuple[Pose, ...]
    confidence: float = 1.0
    classical: SubjectMask | None = None


@cache
def learned_available() -> bool:
    """True when the learned backend is installed here (mediapipe and OpenCV import, bundled models
    present). :func:`perceive` still answers classically in a process forked after the models ran."""
    from . import models

    return models.available()


def perceive(rgb: np.ndarray, *, subject: str | None = None, learned: bool | None = None) -> Perception:
    """Faces, poses and the subject mask of one EXIF-oriented photo.

    ``rgb``: (h, w, 3) uint8, or (h, w, 4) with alpha (an informative alpha is the mask).
    ``subject="person"``: the learned person mask; ``"pet"``: GrabCut seeded from the classical mask or
    the centre, the floor shadow as backdrop; ``None``: person when a face or a pose is found, else the
    pet path (and ``subject`` stays None). ``learned=False`` forces the classical backend; ``None`` uses
    the learned one when available. Coordinates are in pixels of ``rgb``.
    """
    if subject is not None and subject not in SUBJECTS:
        raise ValueError(f"subject must be one of {', '.join(SUBJECTS)} or None, not {subject!r}")
    arr = _as_uint8(rgb)
    if min(arr.shape[:2]) < MIN_SIDE:  # a thumbnail or a sliver: nothing to find
        empty = np.zeros(arr.shape[:2], bool)
        return Perception("classical", subject, empty, "backdrop", (), (), confidence=0.0)
    classical = segment_subject(arr)
    from . import models

    if learned is None or learned:
        learned = learned_available() and models.usable()
    if not learned:
        return Perception(
            backend="classical",
            subject=subject,
            mask=classical.mask.copy(),
            mask_method="backdrop",
            faces=(),
            poses=(),
            confidence=float(classical.confidence),
            classical=classical,
        )
    return _learned(arr, subject, classical)


def _as_uint8(rgb: np.ndarray) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 2:
        raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def _flatten(arr: np.ndarray) -> np.ndarray:
    """RGB uint8; transparent pixels shown over the light grey studio backdrop."""
    if arr.shape[2] == 3:
        return arr
    alpha = arr[:, :, 3:4].astype(np.float64) / 255.0
    out = arr[:, :, :3].astype(np.float64) * alpha + 225.0 * (1.0 - alpha)
    return np.clip(out, 0, 255).astype(np.uint8)


def _model_copy(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, MODEL_SIDE / max(h, w))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS)), scale


def _learned(arr: np.ndarray, subject: str | None, classical: SubjectMask) -> Perception:
    h, w = arr.shape[:2]
    rgb = _flatten(arr)
    view, scale = _model_copy(rgb)
    found_poses, seg_prob = find_poses(view, max_people=MAX_PEOPLE) if subject != "pet" else ([], None)
    # A pet's photo is not searched for faces: the face detectors take a cat's face for a person's.
    found_faces = find_faces(view, found_poses) if subject != "pet" else []
    faces = tuple(
        Face(
            box=tuple(float(v) / scale for v in box),  # type: ignore[arg-type]
            score=score,
            landmarks=None if mesh is None else mesh / scale,
        )
        for box, score, mesh in found_faces
    )
    poses = tuple(
        Pose(landmarks=np.column_stack([lm[:, :3] / scale, lm[:, 3]]), world=world)
        for lm, world in found_poses
    )
    # Asked for nobody in particular, a pose makes it a person, a face only when it is clearly one (its
    # face mesh found, or a confident detection): the full-range detector finds "faces" on cats (0.51).
    is_person = subject == "person" or (
        subject is None
        and bool(poses or any(f.landmarks is not None or f.score >= CLEAR_FACE for f in faces))
    )
    if not is_person:
        faces = ()  # no person here: what the detector found is not a face to count
    found_subject = subject if subject is not None else ("person" if is_person else None)

    alpha_mask = classical.source == "alpha" and bool(classical.components)
    if alpha_mask:
        mask, method, confidence = classical.mask.copy(), "backdrop", float(classical.confidence)
    elif is_person and (seg_prob is not None or faces):
        if seg_prob is not None:
            prob, method = seg_prob, "pose_segmentation"
        else:
            from . import models

            prob, method = models.selfie_mask(view), "selfie_segmentation"
        mask = masks.refine_person(rgb, masks.resize_float(prob, (w, h)))
        confidence = 0.9 if mask.any() else 0.0
        if not _covers_people(mask, faces, poses):
            # The learned mask missed the person it found (a drawing, an odd crop): the backdrop model
            # when it is sure, else GrabCut.
            if classical.components and classical.confidence >= 0.6:
                mask, method, confidence = classical.mask.copy(), "backdrop", float(classical.confidence)
            else:
                mask, confidence = masks.grabcut_subject(rgb, classical)
                method = "grabcut"
    else:
        mask, confidence = masks.grabcut_subject(rgb, classical)
        method = "grabcut"
    return Perception(
        backend="mediapipe",
        subject=found_subject,
        mask=mask,
        mask_method=method,
        faces=faces,
        poses=poses,
        confidence=float(confidence),
        classical=classical,
    )


def _covers_people(mask: np.ndarray, faces: tuple[Face, ...], poses: tuple[Pose, ...]) -> bool:
    """Whether ``mask`` holds most of the people found: the faces' centres and the visible noses and
    shoulder midpoints (looked up within a small radius)."""
    h, w = mask.shape
    points = [((f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2) for f in faces]
    for pose in poses:
        lm = pose.landmarks
        if lm[0, 3] >= 0.5:
            points.append((lm[0, 0], lm[0, 1]))
        if min(lm[11, 3], lm[12, 3]) >= 0.5:
            points.append(((lm[11, 0] + lm[12, 0]) / 2, (lm[11, 1] + lm[12, 1]) / 2))
    inside = [(x, y) for x, y in points if 0 <= x < w and 0 <= y < h]
    if not inside:
        return bool(mask.any())
    r = max(2, round(0.01 * max(h, w)))
    hits = sum(
        bool(mask[max(0, int(y) - r) : int(y) + r + 1, max(0, int(x) - r) : int(x) + r + 1].any())
        for x, y in inside
    )
    return hits >= 0.5 * len(inside)
