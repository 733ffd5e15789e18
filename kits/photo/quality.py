"""Photo quality report for customer photos (pure numpy/scipy/Pillow, no Django).

:func:`assess_photo` measures one EXIF-oriented photo and returns the report of DESIGN.md section 5
(``check_photo``): resolution, sharpness, exposure, contrast, background clutter and the subject's
size, framing and count, each problem as an issue ``{code, severity, message, advice, ...measure}``.
Errors block the photo (``too_small, blurry, too_dark, subject_too_small, face_not_visible``); the
others are advice.

The subject comes from :func:`kits.photo.perception.perceive`: the learned person mask, faces and
poses when mediapipe is installed (the face, people-count and pose checks are in
:mod:`kits.photo.people`), GrabCut for pets and anything else, and the classical
:func:`kits.photo.segmentation.segment_subject` (PNG alpha when present, else a background model)
without it. Measures are taken on a copy scaled so its longest side is at most ``work_side`` pixels,
so thresholds do not depend on the camera's resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from kits.photo.perception import SUBJECTS, perceive
from kits.photo.segmentation import SubjectMask

from .guidance import PHOTO_KINDS, issue_text
from .intake import IntakePhoto, PhotoRejected
from .measures import SubjectView as _Subject
from .measures import clutter as _clutter
from .measures import contrast as _contrast
from .measures import edge_map as _edge_map
from .measures import exposure as _exposure
from .measures import sharpness as _sharpness
from .measures import subject_region as _subject_region
from .people import people_findings, subject_mask

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
    "face_not_visible",
    "face_too_small",
)
#: Issue codes that block the photo (the others only advise). ``unreadable``/``too_large`` come from intake.
ERROR_CODES: frozenset[str] = frozenset(
    {"unreadable", "too_large", "too_small", "blurry", "too_dark", "subject_too_small", "face_not_visible"}
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
    #: ``face_too_small`` when the widest face on a front photo is narrower than this (original pixels):
    #: the eyes are then about 10 px wide. A photo of the minimum size framed as the guidance asks
    #: (head to chest) shows a face of 150 px or more.
    min_face_width_px: float = 64.0
    #: A face counts as another person when it is at least this share as wide as the widest face.
    face_count_share: float = 0.4


DEFAULT_THRESHOLDS = QualityThresholds()


def assess_photo(
    photo: IntakePhoto | Image.Image | np.ndarray,
    *,
    kind: str = "front",
    expected_subjects: int = 1,
    subject: SubjectMask | None = None,
    subject_type: str | None = None,
    bust: bool = False,
    learned: bool | None = None,
    thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """Quality report of an EXIF-oriented photo (use :func:`open_photo` first for uploads).

    ``subject`` may pass a segmentation already computed for this photo (any resolution).
    ``subject_type`` says what the photo is of (``person``, ``pet`` or None: found from the photo);
    ``bust`` asks for the face on front and full-body photos; ``learned=False`` keeps to the classical
    backdrop segmentation (no face or pose checks), None uses the learned models when installed.
    Returns a JSON-ready dict: ``width, height, kind, subject, faces, acceptable, subject_fraction,
    issues`` and the measures (``sharpness, brightness, contrast, ...``).
    """
    if kind not in PHOTO_KINDS:
        raise ValueError(f"kind must be one of {', '.join(PHOTO_KINDS)}, not {kind!r}")
    if subject_type is not None and subject_type not in SUBJECTS:
        raise ValueError(f"subject must be one of {', '.join(SUBJECTS)}, not {subject_type!r}")
    if expected_subjects < 1:
        raise ValueError("expected_subjects must be at least 1")
    image = _as_image(photo)
    width, height = image.size
    t = thresholds
    if min(width, height) < MIN_MEASURABLE_SIDE:
        return _too_small_to_measure(width, height, kind, t, subject_type)

    work = _working_copy(image, t.work_side)
    work_arr = np.asarray(work)
    rgb = _flatten_alpha(work_arr)
    luma = _luminance(rgb)

    perception = perceive(work_arr, subject=subject_type, learned=learned)
    seg = subject if subject is not None else subject_mask(perception)
    subj = _subject(seg, work.size, kind, expected_subjects, t)
    people = people_findings(
        perception,
        kind=kind,
        bust=bust,
        scale=width / work.width,
        shape=work_arr.shape[:2],
        min_face_width_px=t.min_face_width_px,
        face_count_share=t.face_count_share,
    )

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
        message, advice = issue_text(code, kind, subject=people.subject, **measure)
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
    allowed = set() if kind == "full_body" else {"bottom"}
    touched = set(subj.touches if subj.reliable else []) | set(people.cropped)
    cut = [e for e in _EDGES if e in touched and e not in allowed]
    if cut:
        add("subject_cropped", edges=cut)
    count = max(subj.count if subj.reliable else 0, people.people)
    if count > expected_subjects:
        add("multiple_subjects", subjects=count, expected=expected_subjects)
    # One cause, one retake advice: a person too small in the frame ("move closer") covers a face too
    # small or not made out; a blurry or dark photo covers a face the models could not make out.
    raised = {issue["code"] for issue in issues}
    for code, measure in people.issues:
        if "subject_too_small" in raised or (code == "face_not_visible" and raised & {"blurry", "too_dark"}):
            continue
        add(code, **measure)

    issues.sort(key=lambda issue: ISSUE_CODES.index(issue["code"]))
    return {
        "width": width,
        "height": height,
        "kind": kind,
        "subject": people.subject,
        "faces": people.faces,
        "face_width_px": people.face_width_px,
        "people_found": people.people,
        "perception": perception.backend,
        "mask_method": perception.mask_method if subject is None else seg.source,
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


def _too_small_to_measure(
    width: int, height: int, kind: str, t: QualityThresholds, subject: str | None
) -> dict[str, Any]:
    """A thumbnail or a sliver: only ``too_small`` is said; nothing else can be measured on it."""
    message, advice = issue_text("too_small", kind, subject=subject, width=width, height=height)
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
        "subject": subject,
        "faces": None,
        "acceptable": False,
        "subject_fraction": None,
        "subject_found": False,
        "subject_count": 0,
        "sharpness": None,
        "brightness": None,
        "contrast": None,
        "issues": [issue],
    }


def rejection_report(
    error: PhotoRejected, *, kind: str = "front", subject: str | None = None
) -> dict[str, Any]:
    """A report of the same shape for a photo that intake refused (``unreadable`` or ``too_large``)."""
    message, advice = issue_text(error.code, kind, subject=subject, detail=error.message)
    return {
        "width": None,
        "height": None,
        "kind": kind,
        "subject": subject,
        "faces": None,
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
