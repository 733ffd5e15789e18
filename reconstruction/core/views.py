"""Views: subject masks of the photos, registered to one normalised figure frame.

The figure frame is the studio's (Z up, facing -Y) in units of the subject's height: z runs from 0
(ground line) to 1 (top of the silhouette). Each photo is treated as an orthographic view; views are
registered by their silhouette height (scale) and ground line (the lowest subject row), so photos that
differ in scale and framing agree. Horizontally, a front/back view is centred on its silhouette box,
a side view likewise in depth.

Camera conventions (``direction`` is where the camera looks):
- front: camera at -Y looking +Y, image right = +X;
- back: camera at +Y looking -Y, image right = -X;
- side: camera at +X looking -X (image right = +Y, the figure faces image left) when ``facing`` is
  +1; mirrored (camera at -X) when the figure faces image right (``facing`` = -1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .segmentation import SubjectMask, segment_subject
from .types import PhotoInput, ReconstructionError

__all__ = ["RegisteredView", "register_views", "prepare_view"]


@dataclass
class RegisteredView:
    """A photo placed in the figure frame."""

    kind: str  # the customer's kind: front, side, back, full_body
    role: str  # front, back or side (how it is used)
    image: np.ndarray  # HxWx3 uint8, background pixels replaced by the nearest subject colour
    mask: np.ndarray  # HxW bool subject mask
    top: int  # first subject row
    ground: int  # last subject row + 1 (the ground line)
    centre_px: float  # horizontal centre of the silhouette (pixel coordinates, pixel centres at +0.5)
    px_per_unit: float  # pixels per unit of figure height
    confidence: float
    components: int
    facing: int = 1  # side views only: +1 the figure faces image left, -1 image right

    @property
    def height_px(self) -> int:
        return self.ground - self.top

    @property
    def direction(self) -> np.ndarray:
        """Unit vector the camera looks along (from the camera towards the figure)."""
        if self.role == "front":
            return np.array([0.0, 1.0, 0.0])
        if self.role == "back":
            return np.array([0.0, -1.0, 0.0])
        return np.array([-1.0 * self.facing, 0.0, 0.0])

    def horizontal_axis(self) -> tuple[int, float]:
        """(world axis index, sign) that image columns run along."""
        if self.role == "front":
            return 0, 1.0
        if self.role == "back":
            return 0, -1.0
        return 1, float(self.facing)

    def world_to_pixel(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (column, row) pixel coordinates of figure-frame points (N x 3)."""
        axis, sign = self.horizontal_axis()
        col = self.centre_px + sign * points[:, axis] * self.px_per_unit
        row = self.ground - points[:, 2] * self.px_per_unit
        return col, row

    def horizontal_extent(self) -> tuple[float, float]:
        """The silhouette's extent along its world horizontal axis (figure units)."""
        cols = np.nonzero(self.mask.any(axis=0))[0]
        _, sign = self.horizontal_axis()
        a = (cols[0] - self.centre_px) / self.px_per_unit * sign
        b = (cols[-1] + 1 - self.centre_px) / self.px_per_unit * sign
        return (min(a, b), max(a, b))


def _role(kind: str) -> str:
    if kind in ("front", "full_body"):
        return "front"
    if kind == "back":
        return "back"
    if kind == "side":
        return "side"
    raise ReconstructionError(f"unknown photo kind {kind!r}")


def _fill_background(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Replace background (and the outermost subject ring) by the nearest inner subject colour.

    Sampling colours near the outline then never picks up the backdrop.
    """
    inner = ndimage.binary_erosion(mask, iterations=2)
    if inner.sum() < 16:
        inner = mask
    if not inner.any():
        return rgb.copy()
    _, (iy, ix) = ndimage.distance_transform_edt(~inner, return_indices=True)
    return rgb[iy, ix]


def prepare_view(photo: PhotoInput, segmentation: SubjectMask | None = None) -> RegisteredView:
    """Segment one photo and measure its silhouette (scale and ground line)."""
    image = np.asarray(photo.image)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise ReconstructionError(f"a {photo.kind} photo must be an HxWx3/4 uint8 image, got {image.shape}")
    seg = segmentation or segment_subject(image)
    if not seg.components:
        raise ReconstructionError(f"no subject found in the {photo.kind} photo")
    mask = seg.mask
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    top, ground = int(rows[0]), int(rows[-1]) + 1
    if ground - top < 8:
        raise ReconstructionError(f"the subject in the {photo.kind} photo is too small")
    rgb = np.ascontiguousarray(image[:, :, :3])
    return RegisteredView(
        kind=photo.kind,
        role=_role(photo.kind),
        image=_fill_background(rgb, mask),
        mask=mask,
        top=top,
        ground=ground,
        centre_px=(cols[0] + cols[-1] + 1) / 2.0,
        px_per_unit=float(ground - top),
        confidence=float(seg.confidence),
        components=len(seg.components),
    )


def _row_profile_colours(view: RegisteredView, rows: int = 48) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per height band: mean colour of the silhouette's left edge, right edge and middle."""
    left = np.full((rows, 3), np.nan)
    right = np.full((rows, 3), np.nan)
    middle = np.full((rows, 3), np.nan)
    inset = max(2, int(0.02 * view.height_px))
    for i in range(rows):
        z = (i + 0.5) / rows
        r = int(np.clip(view.ground - z * view.px_per_unit, 0, view.mask.shape[0] - 1))
        cols = np.nonzero(view.mask[r])[0]
        if len(cols) < 2 * inset + 1:
            continue
        img = view.image[r].astype(float)
        left[i] = img[cols[0] + inset : cols[0] + 2 * inset].mean(axis=0)
        right[i] = img[cols[-1] - 2 * inset + 1 : cols[-1] - inset + 1].mean(axis=0)
        mid = cols[len(cols) // 2]
        middle[i] = img[max(0, mid - inset) : mid + inset + 1].mean(axis=0)
    return left, right, middle


def _side_facing(side: RegisteredView, front: RegisteredView, back: RegisteredView | None) -> int:
    """Which way a profile faces: the edge whose colours match the front photo's middle is the front.

    Returns +1 when the figure faces image left, -1 when it faces image right.
    """
    left, right, _ = _row_profile_colours(side)
    _, _, front_mid = _row_profile_colours(front)
    score = 0.0  # > 0: the left edge looks like the front
    ok = ~(np.isnan(left).any(1) | np.isnan(right).any(1) | np.isnan(front_mid).any(1))
    if ok.any():
        score += float(
            np.sum(
                np.linalg.norm(right[ok] - front_mid[ok], axis=1)
                - np.linalg.norm(left[ok] - front_mid[ok], axis=1)
            )
        )
    if back is not None:
        _, _, back_mid = _row_profile_colours(back)
        okb = ~(np.isnan(left).any(1) | np.isnan(right).any(1) | np.isnan(back_mid).any(1))
        if okb.any():
            score += float(
                np.sum(
                    np.linalg.norm(left[okb] - back_mid[okb], axis=1)
                    - np.linalg.norm(right[okb] - back_mid[okb], axis=1)
                )
            )
    return 1 if score >= 0 else -1


def register_views(
    photos: list[PhotoInput], product_line: str = "solo"
) -> tuple[list[RegisteredView], list[str]]:
    """Segment and register the photos; returns the views used (front first) and notes.

    Of several front-direction photos, a ``full_body`` one gives the silhouette for full-figure
    products and a ``front`` one for busts; the others are noted and left out of the shape.
    """
    if not photos:
        raise ReconstructionError("no photos given")
    notes: list[str] = []
    views = [prepare_view(p) for p in photos]
    fronts = [v for v in views if v.role == "front"]
    if not fronts:
        raise ReconstructionError("a front-facing photo is required")
    preferred = "front" if product_line == "bust" else "full_body"
    fronts.sort(key=lambda v: (v.kind != preferred, -v.confidence))
    front = fronts[0]
    for extra in fronts[1:]:
        notes.append(f"{extra.kind} photo not used for the shape (one front silhouette is used)")
    backs = [v for v in views if v.role == "back"]
    back = backs[0] if backs else None
    if len(backs) > 1:
        notes.append(f"{len(backs) - 1} extra back photo(s) not used")
    sides = [v for v in views if v.role == "side"]
    for side in sides:
        side.facing = _side_facing(side, front, back)
    used = [front] + ([back] if back is not None else []) + sides
    return used, notes
