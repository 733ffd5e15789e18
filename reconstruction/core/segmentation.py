"""Subject masks for customer photos (pure numpy/scipy, no Django).

A photo's alpha channel is used when it carries information; otherwise the subject is separated
from a simple background (plain colour or a smooth gradient, as studio guidance asks): a smooth
background model is fitted to the border pixels, every pixel's colour distance to that model is
thresholded automatically (Otsu), and the result is cleaned with morphology, hole filling and
connected components. Several subjects (a couple, a family) are kept as separate components.

Shared by the photo quality checks and the reconstruction pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

__all__ = ["SubjectComponent", "SubjectMask", "segment_subject"]

#: Working resolution (longest side) of the colour segmentation; the mask is upscaled afterwards.
WORK_SIDE = 320
#: Smallest colour distance (0..255 RGB units) that can count as subject, whatever Otsu says.
MIN_COLOUR_DISTANCE = 18.0


@dataclass
class SubjectComponent:
    """One connected subject in the photo (pixel coordinates of the full-size image)."""

    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1/y1 exclusive)
    area_fraction: float  # share of all image pixels
    centroid: tuple[float, float]  # x, y


@dataclass
class SubjectMask:
    """Where the subject is in a photo, and how sure we are."""

    mask: np.ndarray  # bool HxW, subject pixels (all kept subjects)
    components: list[SubjectComponent]  # significant connected subjects, largest first
    source: str  # "alpha" or "background"
    background_rgb: tuple[int, int, int] | None
    confidence: float  # 0..1, how well subject and background separate
    background_noise: float = 0.0  # robust spread (RGB units) of the border around the background model

    @property
    def subject_fraction(self) -> float:
        """Share of the image covered by the subject(s)."""
        return float(self.mask.mean()) if self.mask.size else 0.0

    @property
    def is_empty(self) -> bool:
        return not self.components


def segment_subject(image: np.ndarray, *, min_component_fraction: float = 0.01) -> SubjectMask:
    """Find the subject pixels of an EXIF-oriented ``HxWx3`` or ``HxWx4`` uint8 photo.

    Components smaller than ``min_component_fraction`` of the image are dropped. A blank or
    featureless image gives an empty mask with no components and confidence 0.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)

    if arr.shape[2] == 4:
        alpha = arr[:, :, 3]
        transparent = float((alpha < 128).mean())
        if 0.002 < transparent < 0.998:
            return _from_alpha(alpha, min_component_fraction)
        arr = arr[:, :, :3]
    return _from_background(np.ascontiguousarray(arr[:, :, :3]), min_component_fraction)


# --------------------------------------------------------------------------- alpha


def _from_alpha(alpha: np.ndarray, min_fraction: float) -> SubjectMask:
    mask = alpha >= 128
    mask = ndimage.binary_fill_holes(mask)
    mask, components = _components(mask, min_fraction)
    # Confidence: how decisive the alpha is (few half-transparent pixels beyond the outline).
    partial = float(((alpha > 16) & (alpha < 240)).mean())
    edge = float(_edge_fraction(mask))
    confidence = float(np.clip(1.0 - max(0.0, partial - 2.0 * edge) * 10.0, 0.0, 1.0))
    if not components:
        confidence = 0.0
    return SubjectMask(
        mask=mask, components=components, source="alpha", background_rgb=None, confidence=confidence
    )


def _edge_fraction(mask: np.ndarray) -> float:
    if not mask.any():
        return 0.0
    eroded = ndimage.binary_erosion(mask)
    return float((mask & ~eroded).mean())


# --------------------------------------------------------------------------- background model


def _design(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Quadratic polynomial basis in normalised coordinates (smooth gradients and vignettes)."""
    return np.stack([np.ones_like(xs), xs, ys, xs * ys, xs * xs, ys * ys], axis=1)


def _evaluate(coef: np.ndarray, h: int, w: int) -> np.ndarray:
    """The background model as an ``h x w x 3`` float32 image."""
    xs = np.linspace(-1.0, 1.0, w, dtype=np.float32)
    ys = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    c = coef.astype(np.float32)
    return (
        c[0]
        + xs[None, :, None] * c[1]
        + ys[:, :, None] * c[2]
        + (ys * xs[None, :])[:, :, None] * c[3]
        + (xs * xs)[None, :, None] * c[4]
        + (ys * ys)[:, :, None] * c[5]
    )


def _fit_background(small: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit a smooth colour model to the border; return (coefficients 6x3, noise, inlier colours)."""
    h, w, _ = small.shape
    band = max(2, round(0.03 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band, :] = border[-band:, :] = True
    border[:, :band] = border[:, -band:] = True
    yy, xx = np.nonzero(border)
    xs = xx / max(w - 1, 1) * 2.0 - 1.0
    ys = yy / max(h - 1, 1) * 2.0 - 1.0
    colours = small[yy, xx]
    basis = _design(xs, ys)

    keep = np.ones(len(colours), bool)
    coef = np.zeros((basis.shape[1], 3))
    for _ in range(4):
        if keep.sum() < basis.shape[1] * 3:
            break
        coef, *_ = np.linalg.lstsq(basis[keep], colours[keep], rcond=None)
        resid = np.linalg.norm(colours - basis @ coef, axis=1)
        med = float(np.median(resid[keep]))
        mad = float(np.median(np.abs(resid[keep] - med))) + 1e-6
        cut = max(med + 4.0 * 1.4826 * mad, 6.0)
        new_keep = resid <= cut
        # The subject may touch the border (a bust, a crop): never drop more than 60% of it.
        if new_keep.mean() < 0.4:
            new_keep = resid <= np.quantile(resid, 0.4)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep

    resid = np.linalg.norm(colours[keep] - basis[keep] @ coef, axis=1)
    noise = float(np.quantile(resid, 0.9)) if len(resid) else 0.0
    return coef, noise, colours[keep]


def _otsu(values: np.ndarray) -> tuple[float, float]:
    """Otsu threshold of ``values`` and its effectiveness (between-class / total variance)."""
    hist, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    p = hist.astype(float) / max(hist.sum(), 1)
    w0 = np.cumsum(p)
    w1 = 1.0 - w0
    m = np.cumsum(p * centres)
    mt = m[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m) ** 2 / (w0 * w1)
    between = np.nan_to_num(between[:-1], nan=0.0, posinf=0.0)
    if not len(between) or between.max() <= 0:
        return float(values.max()) + 1.0, 0.0
    i = int(np.argmax(between))
    total = float(np.sum(p * (centres - mt) ** 2))
    eta = float(between[i] / total) if total > 0 else 0.0
    return float(edges[i + 1]), eta


def _from_background(rgb: np.ndarray, min_fraction: float) -> SubjectMask:
    h, w, _ = rgb.shape
    scale = min(1.0, WORK_SIDE / max(h, w))
    if scale < 1.0:
        sw, sh = max(2, round(w * scale)), max(2, round(h * scale))
        small = np.asarray(Image.fromarray(rgb).resize((sw, sh), Image.BILINEAR), dtype=np.float64)
    else:
        small = rgb.astype(np.float64)
    coef, noise, inliers = _fit_background(small)
    model = _evaluate(coef, *small.shape[:2])
    bg_rgb = tuple(int(v) for v in np.clip(np.median(inliers, axis=0), 0, 255)) if len(inliers) else None

    raw_dist = np.linalg.norm(small - model, axis=2)
    dist = ndimage.median_filter(raw_dist, size=3)
    # Otsu on log distances: the background is one tight mode near zero, while the subject may have
    # several colours at very different distances (skin, clothes); a log scale keeps them together.
    log_t, eta = _otsu(np.log1p(dist))
    threshold = max(float(np.expm1(log_t)), MIN_COLOUR_DISTANCE, 2.5 * noise)

    fg = dist > threshold
    fg = ndimage.binary_opening(fg, iterations=1)
    fg = ndimage.binary_closing(fg, iterations=2, border_value=0)
    fg = ndimage.binary_fill_holes(fg)
    fg, _ = _components(fg, min_fraction)

    if scale < 1.0 and fg.any():
        # Full-resolution colour distance for clean outlines, restricted to around the kept subjects.
        diff = rgb.astype(np.float32) - _evaluate(coef, h, w)
        dist_full = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        near = np.asarray(
            Image.fromarray(ndimage.binary_dilation(fg, iterations=1).astype(np.uint8) * 255).resize(
                (w, h), Image.NEAREST
            )
        )
        core = np.asarray(
            Image.fromarray(ndimage.binary_erosion(fg, iterations=1).astype(np.uint8) * 255).resize(
                (w, h), Image.NEAREST
            )
        )
        mask = ((dist_full > threshold) & (near > 0)) | (core > 0)
        mask = ndimage.binary_fill_holes(mask)
    else:
        mask = fg
    mask, components = _components(mask, min_fraction)

    if components:
        # Separation: Otsu effectiveness, damped when the subject is barely above the background noise.
        subject_dist = float(np.median(dist[fg])) if fg.any() else 0.0
        contrast = np.clip((subject_dist - threshold) / max(threshold, 1e-6), 0.0, 1.0)
        clutter = np.clip(1.0 - noise / 40.0, 0.0, 1.0)
        confidence = float(np.clip(eta * (0.5 + 0.5 * contrast) * (0.5 + 0.5 * clutter), 0.0, 1.0))
    else:
        confidence = 0.0
    return SubjectMask(
        mask=mask,
        components=components,
        source="background",
        background_rgb=bg_rgb,
        confidence=confidence,
        background_noise=noise,
    )


# --------------------------------------------------------------------------- components


def _components(mask: np.ndarray, min_fraction: float) -> tuple[np.ndarray, list[SubjectComponent]]:
    """Keep connected components of at least ``min_fraction`` of the image, largest first."""
    h, w = mask.shape
    labels, count = ndimage.label(mask)
    if count == 0:
        return np.zeros((h, w), bool), []
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    min_area = max(1.0, min_fraction * h * w)
    kept = [i + 1 for i in np.argsort(-areas, kind="stable") if areas[i] >= min_area]
    if not kept:
        return np.zeros((h, w), bool), []
    slices = ndimage.find_objects(labels)
    centroids = ndimage.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, kept)
    components = []
    for label, (cy, cx) in zip(kept, centroids, strict=True):
        sl = slices[label - 1]
        components.append(
            SubjectComponent(
                bbox=(int(sl[1].start), int(sl[0].start), int(sl[1].stop), int(sl[0].stop)),
                area_fraction=float(areas[label - 1] / (h * w)),
                centroid=(float(cx), float(cy)),
            )
        )
    out = np.isin(labels, kept)
    return out, components
