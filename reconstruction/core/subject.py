"""The subject of one photo: its mask, faces and body poses, and which perception found them.

The photo kit's learned perception (``kits.photo.perception``: MediaPipe selfie/pose segmentation for
people, GrabCut seeded from the classical mask for pets) is used when the kit is there; without it (an
older kit, or the package missing) the classical colour segmentation (``kits.photo.segmentation``)
runs. Either way a soft floor shadow under the subject is backdrop, not subject
(:func:`drop_floor_shadow`), unless the mask came from the photo's alpha channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from kits.photo import perception as _kit

__all__ = ["FaceBox", "PhotoSubject", "find_subject", "drop_floor_shadow", "learned_available"]

#: Smallest share of the image a separate subject part must cover to count (as the segmentation's).
MIN_COMPONENT_FRACTION = 0.01
#: The classical outline is kept when it agrees this well (IoU) with the learned mask.
AGREEMENT = 0.85
#: Height band above the ground line (share of the silhouette height) where a floor shadow is looked for.
SHADOW_BAND = 0.15


@dataclass(frozen=True)
class FaceBox:
    """A face found in the photo: its box (x0, y0, x1, y1 pixels) and, when found, its 468 landmarks."""

    box: tuple[float, float, float, float]
    score: float = 1.0
    landmarks: np.ndarray | None = None


@dataclass
class PhotoSubject:
    """What perception found in one photo."""

    mask: np.ndarray  # bool HxW
    components: int  # separate subject parts
    confidence: float  # 0..1
    backend: str = "classical"  # "mediapipe" or "classical"
    method: str = "backdrop"  # selfie_segmentation | pose_segmentation | grabcut | backdrop | alpha
    poses: tuple[np.ndarray, ...] = ()  # each (33, 4): x, y pixels, z, visibility (MediaPipe order)
    worlds: tuple[np.ndarray, ...] = ()  # each (33, 3) metres, hip-centred
    faces: tuple[FaceBox, ...] = field(default_factory=tuple)
    shadow_px: int = 0  # pixels of floor shadow taken out of the mask
    checked_by: str = ""  # the learned mask that confirmed a backdrop outline ("" when not)


def learned_available() -> bool:
    """Whether the learned perception (MediaPipe) can run here."""
    return _kit.learned_available()


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Keep parts of at least MIN_COMPONENT_FRACTION of the image; returns the mask and their count."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask, 0
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    keep = np.nonzero(sizes >= MIN_COMPONENT_FRACTION * mask.size)[0] + 1
    if not len(keep):
        keep = np.array([int(np.argmax(sizes)) + 1])
    return np.isin(labels, keep), int(len(keep))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else 0.0


def find_subject(
    image: np.ndarray, *, subject: str | None = "person", learned: bool | None = None
) -> PhotoSubject:
    """Mask, faces and poses of the subject of an ``HxWx3``/``HxWx4`` uint8 photo.

    ``subject`` is what the product line says the photo shows (``"person"`` or ``"pet"``);
    ``learned=False`` forces the classical segmentation (tests; the package-missing path).

    With the learned perception, the learned mask says where the subject is; when the classical
    backdrop segmentation (shadow taken out) finds the same subject (IoU >= ``AGREEMENT``), its outline
    is kept instead: on a simple backdrop it is exact to the pixel, where the learned mask is computed
    at the model's size and is soft at the outline (``checked_by`` names the learned mask then).
    """
    rgb = np.ascontiguousarray(image[:, :, :3])
    checked_by = ""
    # The kit itself falls back to the classical backdrop segmentation when MediaPipe is missing.
    seen = _kit.perceive(image, subject=subject, learned=learned)
    poses = tuple(np.asarray(p.landmarks, float) for p in seen.poses)
    worlds = tuple(np.asarray(p.world, float) for p in seen.poses)
    faces = tuple(FaceBox(tuple(float(v) for v in f.box), float(f.score), f.landmarks) for f in seen.faces)
    mask = np.asarray(seen.mask, bool)
    backend, method = seen.backend, seen.mask_method
    classical = seen.classical
    if classical is not None and classical.source == "alpha" and classical.components:
        method = "alpha"
    confidence = float(seen.confidence)
    shadow = 0
    if mask.any() and method != "alpha":
        mask, shadow = drop_floor_shadow(rgb, mask)
        if backend != "classical" and classical is not None and classical.components:
            outline, outline_shadow = drop_floor_shadow(rgb, classical.mask)
            if _iou(outline, mask) >= AGREEMENT:
                checked_by, method = method, "backdrop"
                mask, shadow = outline, outline_shadow
                confidence = max(confidence, float(classical.confidence))
    mask, count = _components(mask) if mask.any() else (mask, 0)
    return PhotoSubject(
        mask=mask,
        components=count,
        confidence=confidence if count else 0.0,
        backend=backend,
        method=method,
        poses=poses,
        worlds=worlds,
        faces=faces,
        shadow_px=shadow,
        checked_by=checked_by,
    )


def _backdrop_model(rgb: np.ndarray, mask: np.ndarray, rows: slice) -> np.ndarray | None:
    """A smooth (quadratic) backdrop fitted to the pixels well away from the subject, evaluated on ``rows``."""
    h, w = mask.shape
    stride = max(1, min(h, w) // 160)
    away = ~ndimage.binary_dilation(mask[::stride, ::stride], iterations=3)
    yy, xx = np.nonzero(away)
    if len(yy) < 60:
        return None
    colours = rgb[::stride, ::stride][yy, xx].astype(np.float64)
    xs, ys = xx * stride / max(w - 1, 1) * 2 - 1, yy * stride / max(h - 1, 1) * 2 - 1

    def basis(x, y):
        return np.stack([np.ones_like(x), x, y, x * y, x * x, y * y], axis=-1)

    a = basis(xs, ys)
    keep = np.ones(len(a), bool)
    for _ in range(2):  # one robust refit without the outliers (other objects in the room)
        coef, *_ = np.linalg.lstsq(a[keep], colours[keep], rcond=None)
        resid = np.linalg.norm(a @ coef - colours, axis=1)
        keep = resid <= max(2.5 * np.median(resid), 6.0)
    gy, gx = np.mgrid[rows, 0:w]
    model = basis(gx / max(w - 1, 1) * 2 - 1, gy / max(h - 1, 1) * 2 - 1) @ coef
    return model


def drop_floor_shadow(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Take a soft floor shadow out of a subject mask; returns the mask and the pixels removed.

    A shadow on the floor is the backdrop darkened, not recoloured: near the ground line (the lowest
    ``SHADOW_BAND`` of the silhouette) mask pixels whose colour is the local backdrop's times one
    factor for all three channels (0.35..1.06: from a deep shadow to the backdrop itself), in parts
    that touch the backdrop outside the mask, are backdrop. Dark shoes and coloured clothes are not
    (their colour is not a scaled backdrop colour); nothing is removed when it would take more than a
    third of the mask.
    """
    rows = np.nonzero(mask.any(axis=1))[0]
    if len(rows) < 8:
        return mask, 0
    top, ground = int(rows[0]), int(rows[-1]) + 1
    band0 = max(top, ground - max(3, int(np.ceil(SHADOW_BAND * (ground - top)))))
    band = slice(band0, ground)
    model = _backdrop_model(rgb, mask, band)
    if model is None:
        return mask, 0

    def scaled_backdrop(pixels: np.ndarray, max_chroma: float) -> np.ndarray:
        ratio = pixels / np.maximum(model, 1.0)
        lum = ratio.mean(axis=2)
        chroma = np.abs(ratio - lum[:, :, None]).max(axis=2) / np.maximum(lum, 1e-6)
        return (lum > 0.35) & (lum < 1.06) & (chroma < max_chroma)

    raw = rgb[band].astype(np.float64)
    # judged on a 5 x 5 mean (sensor noise), then grown by the pixels' own colours up to the outline
    # (the mean mixes the subject's colours into the shadow right beside it)
    candidate = mask[band] & scaled_backdrop(ndimage.uniform_filter(raw, size=(5, 5, 1)), 0.08)
    candidate |= mask[band] & ndimage.binary_dilation(candidate, iterations=2) & scaled_backdrop(raw, 0.12)
    if not candidate.any():
        return mask, 0
    outside = ~mask[band]
    labels, n = ndimage.label(candidate, structure=np.ones((3, 3)))
    touching = np.unique(labels[ndimage.binary_dilation(outside) & candidate])
    touching = touching[touching > 0]
    if not len(touching):
        return mask, 0
    shadow_band = np.isin(labels, touching)
    removed = int(shadow_band.sum())
    if removed > mask.sum() / 3:
        return mask, 0
    out = mask.copy()
    out[band] &= ~shadow_band
    # the shadow's rim leaves specks and one-pixel threads: open the mask where the shadow was
    near = np.zeros(mask.shape, bool)
    near[band] = ndimage.binary_dilation(shadow_band, iterations=3)
    out = np.where(near, ndimage.binary_opening(out, iterations=1), out)
    return out, removed
