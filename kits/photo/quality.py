"""Photo quality report for customer photos (pure numpy/scipy/Pillow, no Django).

:func:`assess_photo` measures one EXIF-oriented photo and returns the report of DESIGN.md section 5
(``check_photo``): resolution, sharpness, exposure, contrast, background clutter and the subject's
size, framing and count, each problem as an issue ``{code, severity, message, advice, ...measure}``.
Errors block the photo (``too_small, blurry, too_dark, subject_too_small``); the others are advice.

The subject comes from :func:`kits.photo.segmentation.segment_subject` (PNG alpha when
present, else a background model). Measures are taken on a copy scaled so its longest side is at
most ``work_side`` pixels, so thresholds do not depend on the camera's resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from kits.photo.segmentation import SubjectMask, segment_subject

from .guidance import PHOTO_KINDS, issue_text
from .intake import IntakePhoto, PhotoRejected

__all__ = [
    "ERROR_CODES",
    "ISSUE_CODES",
    "QualityThresholds",
    "assess_photo",
    "rejection_report",
]

#: Every issue code, in the order issues are reported.
ISSUE_CODES: tuple[str, ...] = (
    "unreadable",
    "too_large",
    "too_small",
    "blurry",
    "too_dark",
    "too_bright",
    "low_contrast",
    "cluttered_background",
    "subject_too_small",
    "subject_cropped",
    "multiple_subjects",
)
#: Issue codes that block the photo (the others only advise). ``unreadable``/``too_large`` come from intake.
ERROR_CODES: frozenset[str] = frozenset(
    {"unreadable", "too_large", "too_small", "blurry", "too_dark", "subject_too_small"}
)

_EDGES = ("top", "bottom", "left", "right")
#: Below this many pixels on a side a photo is only reported ``too_small`` (nothing else is measurable).
MIN_MEASURABLE_SIDE = 16


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of the quality checks (luminance and fractions are 0..1)."""

    #: Shortest side in pixels below which the photo is ``too_small``.
    min_short_side: int = 480
    #: Longest side of the working copy the measures are taken on.
    work_side: int = 1024
    #: Variance of the Laplacian (contrast-normalised, 0..255 scale) below which the subject is ``blurry``.
    min_sharpness: float = 50.0
    #: ``too_dark`` when the brightest 5% of the photo is below this luminance...
    dark_highlights: float = 0.35
    #: ...or the subject's median luminance is below this.
    dark_subject: float = 0.08
    #: ``too_bright`` when the subject's median luminance is above this...
    bright_subject: float = 0.85
    #: ...or more than this share of the subject is clipped to white in some colour channel
    #: (with no subject found: this share of the whole photo clipped to white in all channels).
    bright_clipped: float = 0.30
    bright_clipped_frame: float = 0.70
    #: ``low_contrast`` when (p95 - p5) / (p95 + p5) of the luminance is below this.
    min_contrast: float = 0.20
    #: ``cluttered_background`` when more than this share of the background lies on a strong edge.
    clutter_edge_density: float = 0.025
    #: Minimum share of the frame the subject covers (portrait kinds / full_body).
    min_subject_fraction: float = 0.08
    min_subject_fraction_full_body: float = 0.05
    #: Minimum height (or width) of the subject as a share of the frame's.
    min_subject_extent: float = 0.40
    #: Below this segmentation confidence the subject checks are not trusted (no subject issues raised).
    min_confidence: float = 0.5
    #: With no subject found, the photo counts as empty (``subject_too_small``) only when fewer than
    #: this share of its pixels lie on an edge; otherwise the subject is unknown and not judged.
    featureless_edge_density: float = 0.002
    #: A second component counts as another subject when its area is at least this share of the largest.
    significant_component: float = 0.25
    #: Share of a frame edge the subject must cover to count as touching it (at least 3 pixels).
    edge_touch: float = 0.004


DEFAULT_THRESHOLDS = QualityThresholds()


@dataclass
class _Subject:
    """The subject as the checks see it (on the working copy)."""

    reliable: bool
    mask: np.ndarray  # bool, main subject(s)
    significant_mask: np.ndarray  # bool, every significant component (other people included)
    count: int  # significant components
    fraction: float
    height_fraction: float
    width_fraction: float
    bbox: tuple[int, int, int, int] | None  # x0, y0, x1, y1 in the working copy
    source: str
    confidence: float
    touches: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- entry points


def assess_photo(
    photo: IntakePhoto | Image.Image | np.ndarray,
    *,
    kind: str = "front",
    expected_subjects: int = 1,
    subject: SubjectMask | None = None,
    thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """Quality report of an EXIF-oriented photo (use :func:`open_photo` first for uploads).

    ``subject`` may pass a segmentation already computed for this photo (any resolution).
    Returns a JSON-ready dict: ``width, height, kind, acceptable, subject_fraction, issues`` and the
    measures (``sharpness, brightness, contrast, ...``).
    """
    if kind not in PHOTO_KINDS:
        raise ValueError(f"kind must be one of {', '.join(PHOTO_KINDS)}, not {kind!r}")
    if expected_subjects < 1:
        raise ValueError("expected_subjects must be at least 1")
    image = _as_image(photo)
    width, height = image.size
    t = thresholds
    if min(width, height) < MIN_MEASURABLE_SIDE:
        return _too_small_to_measure(width, height, kind, t)

    work = _working_copy(image, t.work_side)
    work_arr = np.asarray(work)
    rgb = _flatten_alpha(work_arr)
    luma = _luminance(rgb)

    seg = subject if subject is not None else segment_subject(work_arr)
    subj = _subject(seg, work.size, kind, expected_subjects, t)

    region = _subject_region(subj, luma.shape)
    sharpness = _sharpness(luma, region)
    exposure = _exposure(luma, rgb, subj)
    contrast = _contrast(luma, subj)
    edges = _edge_map(luma)
    clutter = _clutter(edges, rgb, subj, kind)
    # Nothing at all in the frame (a wall, a lens cap) as opposed to a subject the segmentation missed.
    featureless = float(edges.mean()) < t.featureless_edge_density

    issues: list[dict[str, Any]] = []

    def add(code: str, **measure: Any) -> None:
        message, advice = issue_text(code, kind, **measure)
        issues.append(
            {
                "code": code,
                "severity": "error" if code in ERROR_CODES else "warning",
                "message": message,
                "advice": advice,
                **measure,
            }
        )

    if min(width, height) < t.min_short_side:
        add("too_small", width=width, height=height, min_short_side=t.min_short_side)
    if sharpness < t.min_sharpness:
        add("blurry", sharpness=_r(sharpness), min_sharpness=t.min_sharpness)
    too_dark = exposure["highlights"] < t.dark_highlights or exposure["subject_brightness"] < t.dark_subject
    clipped_limit = t.bright_clipped if subj.reliable else t.bright_clipped_frame
    too_bright = not too_dark and (
        (subj.reliable and exposure["subject_brightness"] > t.bright_subject)
        or exposure["clipped_fraction"] > clipped_limit
    )
    if too_dark:
        add(
            "too_dark",
            brightness=_r(exposure["brightness"]),
            highlights=_r(exposure["highlights"]),
            subject_brightness=_r(exposure["subject_brightness"]),
        )
    if too_bright:
        add(
            "too_bright",
            brightness=_r(exposure["brightness"]),
            subject_brightness=_r(exposure["subject_brightness"]),
            clipped_fraction=_r(exposure["clipped_fraction"]),
        )
    # A dark or washed-out photo is also flat; its exposure advice covers it.
    if contrast < t.min_contrast and not (too_dark or too_bright):
        add("low_contrast", contrast=_r(contrast), min_contrast=t.min_contrast)
    if clutter["edge_density"] > t.clutter_edge_density:
        add(
            "cluttered_background",
            edge_density=_r(clutter["edge_density"]),
            max_edge_density=t.clutter_edge_density,
        )
    if subj.reliable or (not subj.count and featureless):
        min_fraction = t.min_subject_fraction_full_body if kind == "full_body" else t.min_subject_fraction
        extent = max(subj.height_fraction, subj.width_fraction)
        if subj.fraction < min_fraction or extent < t.min_subject_extent:
            add(
                "subject_too_small",
                subject_fraction=_r(subj.fraction),
                subject_height_fraction=_r(subj.height_fraction),
                min_subject_fraction=min_fraction,
            )
    if subj.reliable:
        allowed = set() if kind == "full_body" else {"bottom"}
        cut = [e for e in subj.touches if e not in allowed]
        if cut:
            add("subject_cropped", edges=cut)
        if subj.count > expected_subjects:
            add("multiple_subjects", subjects=subj.count, expected=expected_subjects)

    issues.sort(key=lambda issue: ISSUE_CODES.index(issue["code"]))
    return {
        "width": width,
        "height": height,
        "kind": kind,
        "acceptable": not any(issue["severity"] == "error" for issue in issues),
        "subject_fraction": _r(subj.fraction),
        "subject_height_fraction": _r(subj.height_fraction),
        "subject_count": subj.count,
        "subject_found": subj.reliable,
        "subject_source": subj.source,
        "subject_confidence": _r(subj.confidence),
        "subject_edges": subj.touches,
        "sharpness": _r(sharpness, 1),
        "brightness": _r(exposure["brightness"]),
        "subject_brightness": _r(exposure["subject_brightness"]),
        "highlights": _r(exposure["highlights"]),
        "shadows": _r(exposure["shadows"]),
        "clipped_fraction": _r(exposure["clipped_fraction"]),
        "contrast": _r(contrast),
        "background_edge_density": _r(clutter["edge_density"]),
        "background_variation": _r(clutter["variation"], 1),
        "issues": issues,
    }


def _too_small_to_measure(width: int, height: int, kind: str, t: QualityThresholds) -> dict[str, Any]:
    """A thumbnail or a sliver: only ``too_small`` is said; nothing else can be measured on it."""
    message, advice = issue_text("too_small", kind, width=width, height=height)
    issue = {
        "code": "too_small",
        "severity": "error",
        "message": message,
        "advice": advice,
        "width": width,
        "height": height,
        "min_short_side": t.min_short_side,
    }
    return {
        "width": width,
        "height": height,
        "kind": kind,
        "acceptable": False,
        "subject_fraction": None,
        "subject_found": False,
        "subject_count": 0,
        "sharpness": None,
        "brightness": None,
        "contrast": None,
        "issues": [issue],
    }


def rejection_report(error: PhotoRejected, *, kind: str = "front") -> dict[str, Any]:
    """A report of the same shape for a photo that intake refused (``unreadable`` or ``too_large``)."""
    message, advice = issue_text(error.code, kind, detail=error.message)
    return {
        "width": None,
        "height": None,
        "kind": kind,
        "acceptable": False,
        "subject_fraction": None,
        "issues": [{"code": error.code, "severity": "error", "message": message, "advice": advice}],
    }


def thresholds_dict(thresholds: QualityThresholds = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    """The thresholds as a plain dict (for documentation and the admin)."""
    return asdict(thresholds)


# --------------------------------------------------------------------------- preparation


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _as_image(photo: IntakePhoto | Image.Image | np.ndarray) -> Image.Image:
    if isinstance(photo, IntakePhoto):
        return photo.image
    if isinstance(photo, Image.Image):
        if photo.mode in ("RGB", "RGBA"):
            return photo
        has_alpha = photo.mode in ("LA", "PA") or "transparency" in photo.info
        return photo.convert("RGBA" if has_alpha else "RGB")
    arr = np.asarray(photo)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return Image.fromarray(arr, "L").convert("RGB")
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return Image.fromarray(np.ascontiguousarray(arr), "RGB" if arr.shape[2] == 3 else "RGBA")
    raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {arr.shape}")


def _working_copy(image: Image.Image, work_side: int) -> Image.Image:
    longest = max(image.size)
    if longest <= work_side:
        return image
    scale = work_side / longest
    size = (max(2, round(image.width * scale)), max(2, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flatten_alpha(arr: np.ndarray) -> np.ndarray:
    """RGB float (0..255); transparent pixels shown over a light grey studio backdrop."""
    if arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float64) / 255.0
        return arr[:, :, :3].astype(np.float64) * alpha + 225.0 * (1.0 - alpha)
    return arr.astype(np.float64)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of gamma-encoded sRGB, 0..1."""
    return (rgb[:, :, 0] * 0.2126 + rgb[:, :, 1] * 0.7152 + rgb[:, :, 2] * 0.0722) / 255.0


def _resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if mask.shape[::-1] == size:
        return mask.astype(bool)
    img = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(img.resize(size, Image.Resampling.NEAREST)) > 127


# --------------------------------------------------------------------------- subject


def _subject(
    seg: SubjectMask, size: tuple[int, int], kind: str, expected: int, t: QualityThresholds
) -> _Subject:
    w, h = size
    all_mask = _resize_mask(seg.mask, size)
    components = list(seg.components)
    empty = np.zeros((h, w), bool)
    if not components or not all_mask.any():
        return _Subject(False, empty, empty, 0, 0.0, 0.0, 0.0, None, seg.source, float(seg.confidence))

    labels, _ = ndimage.label(all_mask)
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    order = [int(i) for i in np.argsort(-areas) if areas[i] > 0]
    largest = areas[order[0]]
    significant = [
        i for i in order if areas[i] >= t.significant_component * largest and areas[i] >= 0.01 * h * w
    ]
    main = significant[:expected] if significant else order[:1]
    mask = np.isin(labels, main)

    ys, xs = np.nonzero(mask)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    touches = _touching_edges(mask, t.edge_touch)
    return _Subject(
        reliable=float(seg.confidence) >= t.min_confidence,
        mask=mask,
        significant_mask=np.isin(labels, significant) | mask,
        count=len(significant),
        fraction=float(mask.mean()),
        height_fraction=(bbox[3] - bbox[1]) / h,
        width_fraction=(bbox[2] - bbox[0]) / w,
        bbox=bbox,
        source=seg.source,
        confidence=float(seg.confidence),
        touches=touches,
    )


def _touching_edges(mask: np.ndarray, share: float) -> list[str]:
    """Frame edges the subject runs into (its pixels reach the outermost 1% of rows/columns).

    The segmentation's clean-up may stop a few pixels short of the frame, hence the depth.
    """
    h, w = mask.shape
    d = max(3, round(0.01 * max(h, w)))
    strips = {
        "top": mask[:d, :].any(axis=0),
        "bottom": mask[-d:, :].any(axis=0),
        "left": mask[:, :d].any(axis=1),
        "right": mask[:, -d:].any(axis=1),
    }
    out = []
    for edge in _EDGES:
        strip = strips[edge]
        if strip.sum() >= max(3, share * strip.size):
            out.append(edge)
    return out


def _subject_region(subj: _Subject, shape: tuple[int, int]) -> np.ndarray:
    """Where sharpness is judged: the subject and its outline, or the whole photo if unknown."""
    if not subj.reliable or subj.fraction < 0.005:
        return np.ones(shape, bool)
    grow = max(2, round(0.01 * max(shape)))
    return ndimage.binary_dilation(subj.mask, iterations=grow)


# --------------------------------------------------------------------------- measures


def _sharpness(luma: np.ndarray, region: np.ndarray) -> float:
    """Variance of the Laplacian over ``region``, after stretching the region's contrast to 0..255.

    The stretch (gain capped at 8x) makes a dim or flat but focused photo read as sharp, so blur is
    judged apart from exposure.
    """
    values = luma[region]
    low, high = np.percentile(values, [1, 99])
    gain = min(1.0 / max(high - low, 1.0 / 8.0), 8.0) * 255.0
    lap = ndimage.laplace((luma - low) * gain)
    inner = region.copy()
    inner[:1, :] = inner[-1:, :] = False
    inner[:, :1] = inner[:, -1:] = False
    if not inner.any():
        return 0.0
    return float(lap[inner].var())


def _exposure(luma: np.ndarray, rgb: np.ndarray, subj: _Subject) -> dict[str, float]:
    shadows, highlights = np.percentile(luma, [5, 95])
    if subj.reliable and subj.mask.any():
        subject_luma = luma[subj.mask]
        clipped = float((rgb[subj.mask].max(axis=1) >= 250).mean())
    else:
        subject_luma = luma.ravel()
        clipped = float((rgb.reshape(-1, 3).min(axis=1) >= 250).mean())  # white everywhere
    return {
        "brightness": float(luma.mean()),
        "subject_brightness": float(np.median(subject_luma)),
        "shadows": float(shadows),
        "highlights": float(highlights),
        "clipped_fraction": clipped,
    }


def _contrast(luma: np.ndarray, subj: _Subject) -> float:
    """Michelson-style contrast of the 5th and 95th luminance percentiles (exposure-independent).

    Taken around the subject (its box grown by 10%), so a small subject on a large plain
    background is judged on itself; on the whole photo when the subject is unknown.
    """
    values = luma
    if subj.reliable and subj.bbox is not None:
        h, w = luma.shape
        x0, y0, x1, y1 = subj.bbox
        gx, gy = round(0.1 * (x1 - x0)) + 2, round(0.1 * (y1 - y0)) + 2
        values = luma[max(0, y0 - gy) : min(h, y1 + gy), max(0, x0 - gx) : min(w, x1 + gx)]
    low, high = np.percentile(values, [5, 95])
    return float((high - low) / (high + low + 0.02))


def _edge_map(luma: np.ndarray) -> np.ndarray:
    """Strong edges: Sobel magnitude of the lightly smoothed luminance above 12 (0..255 scale)."""
    smooth = ndimage.gaussian_filter(luma * 255.0, 1.0)
    magnitude = np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)) / 8.0
    return magnitude > 12.0


def _clutter(edges: np.ndarray, rgb: np.ndarray, subj: _Subject, kind: str) -> dict[str, float]:
    """Edge density and colour spread of the background.

    The background is everything outside the significant subjects (with a margin); small blobs the
    segmentation found are clutter, so they count as background. If the subject is unknown, the
    frame's top band and the upper part of its side bands stand in for the background (a close-up's
    body fills the lower part of the frame; for full_body the bottom band counts too).
    """
    h, w = edges.shape
    if subj.reliable and subj.significant_mask.any():
        margin = max(2, round(0.006 * max(h, w)))
        background = ~ndimage.binary_dilation(subj.significant_mask, iterations=margin)
    else:
        band = max(2, round(0.08 * min(h, w)))
        upper = round(0.4 * h)
        background = np.zeros((h, w), bool)
        background[:band, :] = True
        background[:upper, :band] = True
        background[:upper, -band:] = True
        if kind == "full_body":
            background[-band:, :] = True
    if background.mean() < 0.02:
        return {"edge_density": 0.0, "variation": 0.0}
    return {
        "edge_density": float(edges[background].mean()),
        "variation": float(rgb[background].std(axis=0).mean()),
    }
