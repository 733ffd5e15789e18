"""Views: subject masks of the photos, registered to one normalised figure frame.

The figure frame is the studio's (Z up, facing -Y) in units of the subject's height: z runs from 0
(ground line) to 1 (top of the main front's silhouette). Each photo is treated as an orthographic
view. Masks, faces and poses come from :mod:`.subject` (the learned perception when it is there, the
classical segmentation otherwise; a floor shadow is backdrop). The other views are registered to the
main front by the body when a pose (or, for close-ups, a face) is found in both (:mod:`.landmarks`),
else by their silhouette height (scale) and ground line (the lowest subject row), so photos that
differ in scale and framing agree. Horizontally, a front/back view is centred on its silhouette box
and then shifted to the best silhouette agreement, a side view is centred on its box in depth.

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

from kits.photo.perception import subject_for_product_line
from kits.photo.segmentation import SubjectMask

from .landmarks import facing_from_pose, register_by_body
from .subject import FaceBox, PhotoSubject, find_subject
from .types import PhotoInput, ReconstructionError

__all__ = [
    "RegisteredView",
    "prepare_view",
    "register_prepared",
    "register_views",
    "subject_for",
]


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
    cropped: bool = False  # the subject is cut by the photo's bottom edge (a close-up of the upper body)
    uses: tuple[str, ...] = ("shape", "colour")  # what the view is used for
    backend: str = "classical"  # the perception that found the mask: "mediapipe" or "classical"
    method: str = "backdrop"  # how the mask was made (selfie_segmentation, grabcut, backdrop, alpha...)
    poses: tuple[np.ndarray, ...] = ()  # (33, 4) pose landmarks in pixels, one per person found
    worlds: tuple[np.ndarray, ...] = ()  # (33, 3) world landmarks (metres, hip-centred)
    faces: tuple[FaceBox, ...] = ()
    shadow_px: int = 0  # floor-shadow pixels taken out of the mask
    checked_by: str = ""  # the learned mask that confirmed the backdrop outline
    registered_by: str = "silhouette"  # silhouette | pose | face | width_profile | silhouette+pose ...
    facing_from: str = ""  # side views: "pose" or "colour"

    def in_frame(self, points: np.ndarray) -> np.ndarray:
        """Whether figure-frame points project inside the photo."""
        col, row = self.world_to_pixel(points)
        h, w = self.mask.shape
        return (col >= 0) & (col <= w) & (row >= 0) & (row <= h)

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


def subject_for(product_line: str) -> str | None:
    """What the photos of a product line show: the photo kit's table, the same as the photo check at
    upload; None for a line that does not say ("3D model only"): each photo's perception decides."""
    return subject_for_product_line(product_line)


def prepare_view(
    photo: PhotoInput,
    segmentation: SubjectMask | PhotoSubject | None = None,
    *,
    subject: str | None = "person",
    learned: bool | None = None,
) -> RegisteredView:
    """Segment one photo (faces and poses too, when the learned perception runs) and measure its
    silhouette (scale and ground line)."""
    image = np.asarray(photo.image)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise ReconstructionError(f"a {photo.kind} photo must be an HxWx3/4 uint8 image, got {image.shape}")
    if segmentation is None:
        seen = find_subject(image, subject=subject, learned=learned)
    elif isinstance(segmentation, SubjectMask):
        seen = PhotoSubject(
            mask=segmentation.mask,
            components=len(segmentation.components),
            confidence=float(segmentation.confidence),
            method="alpha" if segmentation.source == "alpha" else "backdrop",
        )
    else:
        seen = segmentation
    if not seen.components:
        raise ReconstructionError(f"no subject found in the {photo.kind} photo")
    mask = seen.mask
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    top, ground = int(rows[0]), int(rows[-1]) + 1
    if ground - top < 8:
        raise ReconstructionError(f"the subject in the {photo.kind} photo is too small")
    rgb = np.ascontiguousarray(image[:, :, :3])
    band = max(2, int(0.01 * mask.shape[0]))
    cropped = ground >= mask.shape[0] - band and bool(mask[ground - 1].mean() > 0.02)
    return RegisteredView(
        kind=photo.kind,
        role=_role(photo.kind),
        image=_fill_background(rgb, mask),
        mask=mask,
        top=top,
        ground=ground,
        centre_px=(cols[0] + cols[-1] + 1) / 2.0,
        px_per_unit=float(ground - top),
        confidence=float(seen.confidence),
        components=int(seen.components),
        cropped=cropped,
        backend=seen.backend,
        method=seen.method,
        poses=tuple(seen.poses),
        worlds=tuple(seen.worlds),
        faces=tuple(seen.faces),
        shadow_px=int(seen.shadow_px),
        checked_by=seen.checked_by,
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


#: Below this mean colour difference (RGB units per height band) the colours cannot tell a profile's facing.
FACING_COLOUR_EVIDENCE = 8.0


def _side_facing(side: RegisteredView, front: RegisteredView, back: RegisteredView | None) -> int:
    """Which way a profile faces: the edge whose colours match the front photo's middle is the front.

    Returns +1 when the figure faces image left, -1 when it faces image right.
    """
    return 1 if _side_facing_score(side, front, back) >= 0 else -1


def _side_facing_score(side: RegisteredView, front: RegisteredView, back: RegisteredView | None) -> float:
    """The colour evidence for facing image left (> 0) or right (< 0): mean RGB distance per band."""
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
    return score / max(len(left), 1)


def _width_profile(view: RegisteredView, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per height ``z``: silhouette width and mid position along the view's world axis (figure units)."""
    _, sign = view.horizontal_axis()
    widths = np.full(len(z), np.nan)
    mids = np.full(len(z), np.nan)
    for k, zk in enumerate(z):
        r = int(np.floor(view.ground - zk * view.px_per_unit))
        if 0 <= r < view.mask.shape[0]:
            cols = np.nonzero(view.mask[r])[0]
            if len(cols):
                widths[k] = len(cols) / view.px_per_unit
                mids[k] = sign * ((cols[0] + cols[-1] + 1) / 2 - view.centre_px) / view.px_per_unit
    return widths, mids


def register_crop(view: RegisteredView, reference: RegisteredView) -> float:
    """Register a close-up (cut by the bottom edge) to a full view of the same direction.

    The top of the head is aligned and the scale searched so the close-up's row widths match the
    reference's; the horizontal centre then aligns the rows' mid points. Returns the mean relative
    width mismatch (0 = perfect).
    """
    rows = np.arange(view.top, view.mask.shape[0] - 1)
    crop_w = view.mask[rows].sum(axis=1).astype(float)
    best = (np.inf, float(view.height_px))
    for s in np.geomspace(view.height_px, 8.0 * view.height_px, 160):
        z = 1.0 - (rows - view.top + 0.5) / s
        view.px_per_unit, view.ground = float(s), int(round(view.top + s))
        ref_w, _ = _width_profile(reference, z)
        ok = ~np.isnan(ref_w) & (z > 0)
        if ok.sum() < 0.8 * len(z):
            continue
        cost = float(np.mean(np.abs(crop_w[ok] / s - ref_w[ok])) / max(np.mean(ref_w[ok]), 1e-9))
        if cost < best[0]:
            best = (cost, float(s))
    view.px_per_unit = best[1]
    view.ground = int(round(view.top + best[1]))
    z = 1.0 - (rows - view.top + 0.5) / view.px_per_unit
    _, ref_mid = _width_profile(reference, z)
    _, sign = view.horizontal_axis()
    mids = np.array(
        [(c[0] + c[-1] + 1) / 2 if len(c := np.nonzero(view.mask[r])[0]) else np.nan for r in rows]
    )
    ok = ~np.isnan(ref_mid) & ~np.isnan(mids)
    if ok.any():
        view.centre_px = float(np.median(mids[ok] - sign * ref_mid[ok] * view.px_per_unit))
    return best[0]


def align_horizontally(view: RegisteredView, reference: RegisteredView) -> float:
    """Shift a front-direction view sideways to best match the reference silhouette; returns the IoU.

    Centring on the silhouette box is fooled by anything one photo shows beside the figure and the
    other does not (a held object, a crop); the shift with the best silhouette agreement is not.
    """
    base = view.centre_px
    best = (silhouette_agreement(view, reference), base)
    step = max(1.0, 0.005 * view.px_per_unit)
    for k in range(-60, 61):
        view.centre_px = base + k * step
        score = silhouette_agreement(view, reference)
        if score > best[0] + 1e-9:
            best = (score, view.centre_px)
    view.centre_px = best[1]
    return best[0]


def silhouette_agreement(view: RegisteredView, reference: RegisteredView, samples: int = 96) -> float:
    """IoU of two registered silhouettes of the same direction (mirrored for a back view), in frame."""
    lo = min(view.horizontal_extent()[0], reference.horizontal_extent()[0])
    hi = max(view.horizontal_extent()[1], reference.horizontal_extent()[1])
    h = np.linspace(lo, hi, samples)
    z = (np.arange(samples) + 0.5) / samples
    pts = np.stack(np.meshgrid(h, [0.0], z, indexing="ij"), -1).reshape(-1, 3)

    def inside(v: RegisteredView) -> tuple[np.ndarray, np.ndarray]:
        col, row = v.world_to_pixel(pts)
        H, W = v.mask.shape
        ok = (col >= 0) & (col < W) & (row >= 0) & (row < H)
        m = np.zeros(len(pts), bool)
        m[ok] = v.mask[row[ok].astype(int), col[ok].astype(int)]
        return m, ok

    a, oka = inside(view)
    b, okb = inside(reference)
    both = oka & okb
    union = (a | b)[both].sum()
    return float((a & b)[both].sum() / union) if union else 0.0


#: Below this silhouette IoU with the main front view, an extra front-direction photo is left out.
MIN_AGREEMENT = 0.55


def register_views(
    photos: list[PhotoInput], product_line: str = "solo", *, learned: bool | None = None
) -> tuple[list[RegisteredView], list[str]]:
    """Segment and register the photos; returns every view (main front first) and notes.

    Every photo is used. Of several front-direction photos, a ``full_body`` one is the main front
    for full-figure products and a ``front`` one for busts; the others (and every back and side photo)
    are registered to it: by the body when a pose (a face for busts and close-ups) is found in both,
    else by height and ground line, or by the width profile when a close-up is cut by the bottom
    edge. Front-direction photos carve and colour the figure too, unless their silhouette disagrees
    with the main one (then they only colour, when the agreement is fair, or are left out with a
    note). Every side photo carves and colours its own side (its facing found from colours, or from
    the pose when the colours cannot tell).
    """
    if not photos:
        raise ReconstructionError("no photos given")
    subject = subject_for(product_line)
    return register_prepared(
        [prepare_view(p, subject=subject, learned=learned) for p in photos],
        product_line,
    )


def register_prepared(
    views: list[RegisteredView], product_line: str = "solo"
) -> tuple[list[RegisteredView], list[str]]:
    """:func:`register_views` on views already segmented by :func:`prepare_view`."""
    notes: list[str] = []
    if not views:
        raise ReconstructionError("no photos given")
    fronts = [v for v in views if v.role == "front"]
    if not fronts:
        raise ReconstructionError("a front-facing photo is required")
    preferred = "front" if product_line == "bust" else "full_body"
    fronts.sort(key=lambda v: (v.kind != preferred, v.cropped, -v.confidence))
    front = fronts[0]
    backs = [v for v in views if v.role == "back"]
    sides = [v for v in views if v.role == "side"]
    close_up = product_line == "bust"
    for v in fronts[1:] + backs + sides:
        how = register_by_body(v, front, close_up=close_up or v.cropped)
        if how is not None:
            v.registered_by = how
        elif v.role != "side" and v.cropped and not front.cropped:
            register_crop(v, front)
            v.registered_by = "width_profile"
    used = [front]
    for extra in fronts[1:] + backs:
        agreement = align_horizontally(extra, front)
        if agreement >= MIN_AGREEMENT:
            used.append(extra)
        elif agreement >= 0.35:
            extra.uses = ("colour",)
            used.append(extra)
            notes.append(
                f"{extra.kind} photo silhouette agrees poorly with the main front ({agreement:.2f}): colour only"
            )
        else:
            extra.uses = ()
            used.append(extra)
            notes.append(
                f"{extra.kind} photo not used: its silhouette does not match the main front ({agreement:.2f})"
            )
    back = next((v for v in used if v.role == "back" and v.uses), None)
    for side in sides:
        # colours decide when they clearly can (a faceless or turned head fools the pose model), the
        # pose when they cannot (the same clothes front and back)
        score = _side_facing_score(side, front, back)
        by_pose = facing_from_pose(side) if abs(score) < FACING_COLOUR_EVIDENCE else None
        side.facing = by_pose if by_pose is not None else (1 if score >= 0 else -1)
        side.facing_from = "pose" if by_pose is not None else "colour"
    if len(sides) > 1 and len({s.facing for s in sides}) == 1:
        notes.append(f"{len(sides)} side photos show the same profile")
    return used + sides, notes
