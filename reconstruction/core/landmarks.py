"""Registration by the body: views scaled and aligned by pose landmarks or the face, not the box.

A silhouette's bounding box is fooled by anything one photo shows and the other does not: a floor
shadow, a raised hand, a cropped foot, a hat. Body features are not. Each view gives image rows of
features (the top of the head, found in the mask above the eyes and nose; shoulders, hips and ankles
from the pose; the face box's top and bottom for close-ups); their heights in the reference view (the
main front, in the figure frame) and their rows in the other view fit the other view's scale and
ground line by least squares (``row = ground - z * px_per_unit``).

Landmarks are a few pixels noisier than a clean silhouette: when the fit agrees with the silhouette's
own registration (scale within ``SCALE_TOLERANCE``, ground within ``GROUND_TOLERANCE`` of the
height), the silhouette's exact figures are kept and the view counts as confirmed by the body; when
they disagree, the body decides. A fit whose features do not agree with each other (a different pose,
a wrong detection) is not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .views import RegisteredView

__all__ = ["pose_rows", "face_rows", "fit_rows", "register_by_body", "facing_from_pose"]

# MediaPipe Pose landmark indices
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR = 0, 2, 5, 7, 8
SHOULDERS, HIPS, ANKLES = (11, 12), (23, 24), (27, 28)
#: A landmark counts when its visibility is at least this.
VISIBLE = 0.5
#: Keep the silhouette's registration when the body's agrees this well (relative scale, ground / height).
#: Landmarks mean slightly different points from the front and in profile (a shoulder joint seen
#: from the side): on the bench's clean renders the two disagree by up to ~5 %, where the silhouette
#: is exact. The body decides the gross errors (a raised object, a shadow, a crop).
SCALE_TOLERANCE = 0.10
GROUND_TOLERANCE = 0.08
#: A fit whose features disagree by more than this share of the height (RMS) is not used.
MAX_RESIDUAL = 0.03
#: A profile's nose stands this share of the figure's height beyond its ears (a real profile: ~0.06).
PROFILE_NOSE = 0.035
#: The body's registration may change the silhouette's scale by this factor at most.
MAX_SCALE_CHANGE = 2.5


def _mean_row(pose: np.ndarray, idx: tuple[int, ...]) -> float | None:
    pts = pose[list(idx)]
    vis = pts[:, 3] >= VISIBLE if pts.shape[1] > 3 else np.ones(len(pts), bool)
    return float(pts[vis, 1].mean()) if vis.any() else None


def head_top_row(mask: np.ndarray, cx: float, eye_row: float, half_width: float) -> float | None:
    """The top of the head: the highest mask row of the columns above the eyes, connected to them."""
    h, w = mask.shape
    r = int(np.clip(round(eye_row), 0, h - 1))
    c0, c1 = int(max(0, np.floor(cx - half_width))), int(min(w, np.ceil(cx + half_width) + 1))
    if c1 <= c0:
        return None
    column = mask[: r + 1, c0:c1][::-1]  # from the eye row upwards
    on = column[0]
    if not on.any():
        return None
    run = np.where(column.all(axis=0), column.shape[0], np.argmin(column, axis=0))
    return float(r - run[on].max() + 1)


def pose_rows(pose: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Image rows of the head top, shoulders, hips and ankles of one pose (``(33, 4)`` pixels)."""
    out: dict[str, float] = {}
    for name, idx in (("shoulders", SHOULDERS), ("hips", HIPS), ("ankles", ANKLES)):
        row = _mean_row(pose, idx)
        if row is not None:
            out[name] = row
    face = pose[[NOSE, LEFT_EYE, RIGHT_EYE]]
    vis = face[:, 3] >= VISIBLE if face.shape[1] > 3 else np.ones(3, bool)
    if vis.any():
        cx, eye_row = float(face[vis, 0].mean()), float(face[vis, 1].mean())
        reach = out["shoulders"] - eye_row if "shoulders" in out else 0.0
        half = max(0.4 * reach, 0.01 * mask.shape[0], 2.0)
        top = head_top_row(mask, cx, eye_row, half)
        if top is not None and top < eye_row:
            out["head_top"] = top
    return out


def face_rows(box: tuple[float, float, float, float], mask: np.ndarray) -> dict[str, float]:
    """Image rows of a face box's top and bottom and of the head top above it."""
    x0, y0, x1, y1 = box
    out = {"face_top": float(y0), "face_bottom": float(y1)}
    top = head_top_row(mask, (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2)
    if top is not None and top < y0 + 0.5 * (y1 - y0):
        out["head_top"] = top
    return out


def fit_rows(
    reference: RegisteredView, ref_rows: dict[str, float], rows: dict[str, float], min_spread: float
) -> tuple[float, float, float] | None:
    """Scale (px per unit) and ground row mapping the reference's feature heights to ``rows``.

    Returns ``(px_per_unit, ground, rms / px_per_unit)``, or None with fewer than two shared
    features or when they span less than ``min_spread`` of the figure's height.
    """
    common = [k for k in ref_rows if k in rows]
    if len(common) < 2:
        return None
    z = np.array([(reference.ground - ref_rows[k]) / reference.px_per_unit for k in common])
    r = np.array([rows[k] for k in common])
    if np.ptp(z) < min_spread:
        return None
    a = np.stack([np.ones_like(z), -z], axis=1)
    (ground, scale), *_ = np.linalg.lstsq(a, r, rcond=None)
    if scale <= 0:
        return None
    rms = float(np.sqrt(np.mean((a @ np.array([ground, scale]) - r) ** 2)))
    return float(scale), float(ground), rms / float(scale)


def _features(view: RegisteredView, by: str) -> dict[str, float]:
    if by == "face":
        return face_rows(view.faces[0].box, view.mask) if view.faces else {}
    return pose_rows(view.poses[0], view.mask) if view.poses else {}


def register_by_body(view: RegisteredView, reference: RegisteredView, *, close_up: bool) -> str | None:
    """Register ``view`` to the reference by the body (pose landmarks, or the face for close-ups).

    Returns how it was registered (``"pose"``/``"face"``: the body moved it; ``"silhouette+pose"``/
    ``"silhouette+face"``: the body confirmed the silhouette's registration) or None when the body
    cannot tell (no pose or face in both views, too few features, features that disagree).
    """
    if max(len(reference.poses), len(reference.faces), reference.components) > 1:
        return None  # several people: whose landmarks would they be?
    if max(len(view.poses), len(view.faces), view.components) > 1:
        return None
    for by in ("face", "pose") if close_up else ("pose",):
        if len(reference.poses if by == "pose" else reference.faces) != 1:
            continue
        if len(view.poses if by == "pose" else view.faces) != 1:
            continue
        fit = fit_rows(
            reference, _features(reference, by), _features(view, by), 0.25 if by == "pose" else 0.08
        )
        if fit is None or fit[2] > MAX_RESIDUAL:
            continue
        scale, ground, _ = fit
        change = scale / view.px_per_unit
        if not 1 / MAX_SCALE_CHANGE <= change <= MAX_SCALE_CHANGE:
            continue
        if abs(change - 1) <= SCALE_TOLERANCE and abs(ground - view.ground) <= GROUND_TOLERANCE * scale:
            return f"silhouette+{by}"
        view.px_per_unit = scale
        view.ground = int(round(ground))
        return by
    return None


def facing_from_pose(view: RegisteredView) -> int | None:
    """A profile's facing from its pose: +1 when the nose is left of the ears (faces image left).

    None unless the nose stands clearly beyond the ears (``PROFILE_NOSE``): a pose model shown a head
    without a face in profile may put the nose a little to either side.
    """
    if len(view.poses) != 1:
        return None
    pose = view.poses[0]
    nose = pose[NOSE]
    ears = pose[[LEFT_EAR, RIGHT_EAR]]
    vis = ears[:, 3] >= VISIBLE if ears.shape[1] > 3 else np.ones(2, bool)
    if (pose.shape[1] > 3 and nose[3] < VISIBLE) or not vis.any():
        return None
    dx = float(nose[0] - ears[vis, 0].mean())
    if abs(dx) < PROFILE_NOSE * view.height_px:
        return None  # not clearly a profile (on a featureless head the model guesses)
    return 1 if dx < 0 else -1
