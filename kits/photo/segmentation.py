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


#: Weight of a border side as background evidence (a subject reaches the bottom far more often).
SIDE_WEIGHTS = {"top": 2.0, "left": 1.0, "right": 1.0, "bottom": 0.5}


def _border(h: int, w: int, band: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Border band pixels: rows, columns, side weight and segment id (each side cut in 4 runs)."""
    yy, xx, wt, seg = [], [], [], []
    for k, name in enumerate(("top", "bottom", "left", "right")):
        if name in ("top", "bottom"):
            r0 = 0 if name == "top" else h - band
            ys, xs = np.mgrid[r0 : r0 + band, 0:w]
            along = xs / max(w, 1)
        else:
            c0 = 0 if name == "left" else w - band
            ys, xs = np.mgrid[band : h - band, c0 : c0 + band]
            along = ys / max(h, 1)
        yy.append(ys.ravel())
        xx.append(xs.ravel())
        wt.append(np.full(ys.size, SIDE_WEIGHTS[name]))
        seg.append(k * 4 + np.minimum((along.ravel() * 4).astype(int), 3))
    return np.concatenate(yy), np.concatenate(xx), np.concatenate(wt), np.concatenate(seg)


def _basis_columns(xs: np.ndarray, ys: np.ndarray) -> list[int]:
    """Model terms the inliers can support: a direction's gradient (and curvature) only when the
    inliers span enough of it, so a model fitted on the top and upper sides alone (a bust's
    shoulders fill the bottom) does not extrapolate wildly."""
    cols = [0]
    x_span = float(np.ptp(xs)) if len(xs) else 0.0
    y_span = float(np.ptp(ys)) if len(ys) else 0.0
    if x_span > 0.8:
        cols.append(1)
    if y_span > 0.8:
        cols.append(2)
    if x_span > 0.8 and y_span > 0.8:
        cols.append(3)
    if x_span > 1.6:
        cols.append(4)
    if y_span > 1.6:
        cols.append(5)
    return cols


def _fit_background(small: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit a smooth colour model to the border pixels that look like background.

    The subject may cover much of the border (a close bust whose shoulders reach both sides and the
    bottom, a figure cut by an edge), so the fit starts from the dominant border colour (the border
    runs' median colours, each supported by the border pixels near it, the top weighted most) and
    grows its inliers by iterative refits with a robust cut. Returns (coefficients 6x3, noise,
    inlier colours).
    """
    h, w, _ = small.shape
    band = max(2, round(0.03 * min(h, w)))
    yy, xx, weight, segment = _border(h, w, band)
    xs = xx / max(w - 1, 1) * 2.0 - 1.0
    ys = yy / max(h - 1, 1) * 2.0 - 1.0
    colours = small[yy, xx]
    basis = _design(xs, ys)

    # Seed: the segment median colour with the most (weighted) border support.
    medians = np.array([np.median(colours[segment == k], axis=0) for k in np.unique(segment)])
    support = []
    for m in medians:
        near = np.linalg.norm(colours - m, axis=1) < 16.0
        support.append(float(weight[near].sum()))
    seed = medians[int(np.argmax(support))]
    keep = np.linalg.norm(colours - seed, axis=1) < 16.0

    coef = np.zeros((basis.shape[1], 3))
    coef[0] = seed
    min_keep = max(12, int(0.05 * len(colours)))
    for _ in range(8):
        if keep.sum() < min_keep:
            break
        cols = _basis_columns(xs[keep], ys[keep])
        sub, *_ = np.linalg.lstsq(basis[keep][:, cols], colours[keep], rcond=None)
        coef = np.zeros((basis.shape[1], 3))
        coef[cols] = sub
        resid = np.linalg.norm(colours - basis @ coef, axis=1)
        med = float(np.median(resid[keep]))
        mad = float(np.median(np.abs(resid[keep] - med))) + 1e-6
        cut = max(med + 4.0 * 1.4826 * mad, 6.0)
        new_keep = resid <= cut
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
    fg = _clean(fg)
    bg_level = _background_level(fg, dist, threshold)
    fg = _fill_holes(fg, dist, bg_level)
    colour_fg = fg
    fg = _add_edge_enclosed(fg, small, dist, threshold, bg_level)
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
        mask = _fill_holes(mask, dist_full, bg_level, min_size=MIN_HOLE_FRACTION * h * w)
        # Full-resolution distances carry the sensor noise that the working size averaged away:
        # slits are judged against the backdrop's noise level measured at full resolution.
        full_level = min(_background_level(mask, dist_full, threshold), threshold)
        mask = _reopen_slits(mask, dist_full, full_level)
    else:
        mask = _reopen_slits(fg, dist, bg_level)
    mask, components = _components(mask, min_fraction)

    if components:
        # Separation: Otsu effectiveness, damped when the subject is barely above the background noise.
        by_colour = colour_fg & fg
        subject_dist = float(np.median(dist[by_colour])) if by_colour.any() else 0.0
        contrast = np.clip((subject_dist - threshold) / max(threshold, 1e-6), 0.0, 1.0)
        clutter = np.clip(1.0 - noise / 40.0, 0.0, 1.0)
        # Regions found only by their outline (edge cue) are less certain than colour-separated ones.
        by_edges = 1.0 - float(by_colour.sum()) / max(float(fg.sum()), 1.0)
        confidence = float(
            np.clip(eta * (0.5 + 0.5 * contrast) * (0.5 + 0.5 * clutter) * (1.0 - 0.4 * by_edges), 0.0, 1.0)
        )
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


def _clean(fg: np.ndarray) -> np.ndarray:
    """Opening, closing and hole filling; the frame is extended (edge mode) so a subject touching
    it keeps its outermost rows."""
    pad = 3
    padded = np.pad(fg, pad, mode="edge")
    padded = ndimage.binary_opening(padded, iterations=1)
    padded = ndimage.binary_closing(padded, iterations=2)
    return padded[pad:-pad, pad:-pad]


#: Enclosed background at least this share of the image stays background (inside an arm loop).
MIN_HOLE_FRACTION = 0.0004


def _frame_quiet(fg: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Background pixels near the frame, away from the subject: the photo's own noise lives there."""
    frame = np.zeros(fg.shape, bool)
    band = max(3, round(0.05 * min(fg.shape)))
    frame[:band] = frame[-band:] = True
    frame[:, :band] = frame[:, -band:] = True
    return frame & background & ~ndimage.binary_dilation(fg, iterations=3)


def _background_level(fg: np.ndarray, dist: np.ndarray, threshold: float) -> float:
    """Colour distance below which a region looks like the backdrop itself (not a pale subject)."""
    quiet = _frame_quiet(fg, dist <= threshold)
    noise = float(np.quantile(dist[quiet], 0.95)) if quiet.sum() > 32 else 0.0
    return max(2.0 * noise, 4.0)


def _fill_holes(
    mask: np.ndarray, dist: np.ndarray, bg_level: float, min_size: float | None = None
) -> np.ndarray:
    """Fill the subject's holes, except large ones that show the backdrop (an arm on the hip)."""
    filled = ndimage.binary_fill_holes(mask)
    holes = filled & ~mask
    if not holes.any():
        return filled
    labels, count = ndimage.label(holes)
    idx = np.arange(1, count + 1)
    sizes = np.asarray(ndimage.sum_labels(holes, labels, idx))
    level = np.asarray(ndimage.median(dist, labels, idx))
    if min_size is None:
        min_size = MIN_HOLE_FRACTION * mask.size
    backdrop = idx[(sizes >= min_size) & (level <= bg_level)]
    return filled & ~np.isin(labels, backdrop)


def _reopen_slits(mask: np.ndarray, dist: np.ndarray, bg_level: float) -> np.ndarray:
    """Give back to the backdrop the pixels that look exactly like it and touch it.

    The closing that bridges noise also seals narrow slits of backdrop between parts of the
    subject (the gap between the legs, an armpit, between a couple's arms), and the coarse working
    resolution widens that: a mask pixel whose own colour distance is at the backdrop's noise level
    and that is connected (through such pixels) to the background outside the mask is backdrop.
    Holes enclosed by the subject are left as the hole filling decided, and so is a backdrop-coloured
    band that would cut the subject in two (a white stripe across an overexposed shirt): a slit is
    a dead end into the subject, not a bridge between two of its parts.
    """
    looks_like_backdrop = ~mask | (dist <= bg_level)
    labels, count = ndimage.label(looks_like_backdrop)
    if count == 0:
        return mask
    touches = np.zeros(count + 1, bool)
    touches[np.unique(labels[~mask])] = True
    touches[0] = False
    reopen = mask & touches[labels]
    if not reopen.any():
        return mask
    kept = mask & ~reopen
    parts, n_parts = ndimage.label(kept)
    # Specks cut off along the outline do not count as parts: only a band between real parts bridges.
    sizes = np.bincount(parts.ravel(), minlength=n_parts + 1)
    small = sizes < max(64.0, 0.002 * float(mask.sum()))
    small[0] = True
    parts[small[parts]] = 0
    regions, n_regions = ndimage.label(reopen)
    pairs = [np.zeros((0, 2), np.int64)]
    for a, b in (
        (regions[1:], parts[:-1]),
        (regions[:-1], parts[1:]),
        (regions[:, 1:], parts[:, :-1]),
        (regions[:, :-1], parts[:, 1:]),
    ):
        sel = (a > 0) & (b > 0)
        pairs.append(np.stack([a[sel], b[sel]], axis=1))
    pairs = np.unique(np.concatenate(pairs), axis=0)
    bridges = np.bincount(pairs[:, 0], minlength=n_regions + 1) >= 2
    return kept | bridges[regions]


#: Smallest local colour step (RGB units) that counts as an outline for the edge cue.
MIN_EDGE_STEP = 6.0


def _add_edge_enclosed(
    fg: np.ndarray, small: np.ndarray, dist: np.ndarray, threshold: float, bg_level: float
) -> np.ndarray:
    """Add regions the colour distance misses but an outline encloses, next to the subject.

    A near-white shirt against a near-white backdrop is too close to the background model for the
    colour threshold, yet its outline is a clear local step: the regions closed by colour steps,
    touching the subject found so far and clearly (if weakly) off the background colour, are
    subject too. ``dist`` is the colour distance to the background model; the pixels below
    ``threshold`` near the frame set the edge threshold and the distance floor (the photo's own
    noise). Background enclosed by the subject (between an arm and the body) stays background.
    """
    background = dist <= threshold
    if not fg.any():
        return fg
    img = ndimage.gaussian_filter(small, sigma=(0.7, 0.7, 0))
    step = np.zeros(fg.shape)
    for axis in (0, 1):
        diff = np.linalg.norm(np.roll(img, -1, axis=axis) - np.roll(img, 1, axis=axis), axis=2)
        if axis == 0:
            diff[0] = diff[-1] = 0.0
        else:
            diff[:, 0] = diff[:, -1] = 0.0
        step = np.maximum(step, diff)
    quiet = _frame_quiet(fg, background)
    edge_noise = float(np.quantile(step[quiet], 0.98)) if quiet.sum() > 32 else 0.0
    edges = step > max(MIN_EDGE_STEP, 1.5 * edge_noise)
    edges = ndimage.binary_closing(edges, iterations=1)  # bridge one-pixel gaps from noise
    closed = ndimage.binary_fill_holes(fg | edges)
    extra = ndimage.binary_opening(closed & ~fg, iterations=2)
    if not extra.any():
        return fg
    labels, count = ndimage.label(extra)
    touching = np.unique(labels[ndimage.binary_dilation(fg, iterations=2) & (labels > 0)])
    touching = touching[touching > 0]
    if not len(touching):
        return fg
    level = ndimage.median(dist, labels, touching)
    kept = [lab for lab, d in zip(touching, np.atleast_1d(level), strict=True) if d > bg_level]
    return _fill_holes(fg | np.isin(labels, kept), dist, bg_level)


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
