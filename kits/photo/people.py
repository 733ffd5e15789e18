"""The photo checks that need to see people and pets (issue 12), on top of :mod:`kits.photo.perception`.

* ``face_not_visible`` (error): a person's front photo (or any photo facing the camera for a bust:
  front and full_body) in which no face is found.
* ``face_too_small`` (warning): on a front photo (or a bust's), the largest face is narrower than
  ``min_face_width_px`` pixels of the original photo (64 by default: below that the eyes are under
  10 px wide and the sculptor cannot read the features). Neither face code is raised on a photo
  already ``subject_too_small`` (moving closer fixes both), nor ``face_not_visible`` on one already
  ``blurry`` or ``too_dark`` (that retake advice comes first).
* ``multiple_subjects``: people counted from the faces (each at least ``face_count_share`` as wide as
  the largest, so a face on a poster far behind does not count) and the poses, besides the mask's
  components.
* ``subject_cropped``: the pose's ankles/heels/toes at or past the bottom of a full_body shot, or the
  top of the head (estimated from the eyes and mouth, or the face box) past the top of any shot.

Faces are only judged when the learned backend ran (``faces`` is null in the report otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from kits.photo.perception import Perception
from kits.photo.segmentation import SubjectComponent, SubjectMask

__all__ = ["PeopleFindings", "people_findings", "subject_mask"]

#: MediaPipe Pose landmarks of the feet: ankles, heels, toes.
FEET = (27, 28, 29, 30, 31, 32)
#: Eyes (inner, centre, outer, both sides) and the mouth corners.
EYES = (1, 2, 3, 4, 5, 6)
MOUTH = (9, 10)


@dataclass
class PeopleFindings:
    """What the learned perception says about the people in a photo (working-copy pixels)."""

    subject: str | None
    faces: int | None  # faces found; None when no face model ran
    people: int  # people counted from faces and poses (0 when unknown)
    face_width_px: float | None  # widest face, in pixels of the original photo
    cropped: list[str] = field(default_factory=list)  # frame edges the pose or face says are cut
    issues: list[tuple[str, dict]] = field(default_factory=list)  # (code, measure)


def subject_mask(perception: Perception) -> SubjectMask:
    """The perception's mask as the quality checks' :class:`SubjectMask` (the classical one unchanged)."""
    classical = perception.classical
    if perception.mask_method == "backdrop" and classical is not None:
        return classical
    mask = np.asarray(perception.mask, bool)
    h, w = mask.shape
    labels, count = ndimage.label(mask)
    components = []
    if count:
        areas = np.bincount(labels.ravel())[1:]
        slices = ndimage.find_objects(labels)
        centres = ndimage.center_of_mass(mask, labels, range(1, count + 1))
        for i in np.argsort(-areas):
            if areas[i] < 0.01 * h * w:
                continue
            sl = slices[i]
            cy, cx = centres[i]
            components.append(
                SubjectComponent(
                    bbox=(int(sl[1].start), int(sl[0].start), int(sl[1].stop), int(sl[0].stop)),
                    area_fraction=float(areas[i] / (h * w)),
                    centroid=(float(cx), float(cy)),
                )
            )
    return SubjectMask(
        mask=mask,
        components=components,
        source=perception.mask_method,
        background_rgb=None if classical is None else classical.background_rgb,
        confidence=float(perception.confidence) if components else 0.0,
        background_noise=0.0 if classical is None else classical.background_noise,
    )


def _head_top(perception: Perception) -> float | None:
    """Lowest estimate of the top of a head (pixels; negative = above the frame), or None."""
    tops = []
    for face in perception.faces:
        x0, y0, x1, y1 = face.box
        tops.append(y0 - 0.35 * (y1 - y0))
    for pose in perception.poses:
        lm = pose.landmarks
        if min(lm[list(EYES), 3].min(), lm[list(MOUTH), 3].min()) < 0.5:
            continue
        eyes, mouth = float(lm[list(EYES), 1].mean()), float(lm[list(MOUTH), 1].mean())
        if mouth > eyes:
            tops.append(eyes - 1.8 * (mouth - eyes))
    return min(tops) if tops else None


def _feet_cut(perception: Perception, height: int) -> bool:
    """The pose places a foot at or below the bottom row (MediaPipe extrapolates unseen feet)."""
    margin = 0.005 * height
    for pose in perception.poses:
        lm = pose.landmarks
        if lm[[11, 12], 3].min() < 0.5:
            continue
        if float(lm[list(FEET), 1].max()) >= height - margin:
            return True
    return False


def people_findings(
    perception: Perception,
    *,
    kind: str,
    bust: bool,
    scale: float,
    shape: tuple[int, int],
    min_face_width_px: float,
    face_count_share: float,
) -> PeopleFindings:
    """Face and pose findings of a photo perceived on a working copy of ``shape`` = (h, w); ``scale`` is
    original pixels per working pixel."""
    learned = perception.backend == "mediapipe"
    subject = perception.subject
    found = PeopleFindings(
        subject=subject,
        faces=len(perception.faces) if learned and subject != "pet" else None,  # a pet's photo: not searched
        people=0,
        face_width_px=None,
    )
    if not learned:
        return found
    widths = [f.width for f in perception.faces]
    if widths:
        found.face_width_px = round(max(widths) * scale, 1)
    counted_faces = sum(1 for wd in widths if wd >= face_count_share * max(widths)) if widths else 0
    found.people = max(counted_faces, len(perception.poses)) if subject == "person" else 0

    h, _w = shape
    if subject == "person":
        top = _head_top(perception)
        if top is not None and top < 0:
            found.cropped.append("top")
        if kind == "full_body" and _feet_cut(perception, h):
            found.cropped.append("bottom")

    face_kinds = ("front", "full_body") if bust else ("front",)
    if subject == "person" and kind in face_kinds and not perception.faces:
        found.issues.append(("face_not_visible", {"faces": 0}))
    if (
        subject == "person"
        and kind in face_kinds
        and found.face_width_px is not None
        and found.face_width_px < min_face_width_px
    ):
        found.issues.append(
            ("face_too_small", {"face_width_px": found.face_width_px, "min_face_width_px": min_face_width_px})
        )
    return found
