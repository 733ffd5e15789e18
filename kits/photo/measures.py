"""The measures behind the photo quality report: sharpness, exposure, contrast and background clutter.

Each takes the working copy's luminance (0..1) or RGB (0..255) and the subject as the checks see it
(:class:`SubjectView`); :mod:`kits.photo.quality` turns them into issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

__all__ = ["SubjectView", "clutter", "contrast", "edge_map", "exposure", "sharpness", "subject_region"]


@dataclass
class SubjectView:
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


def subject_region(subj: SubjectView, shape: tuple[int, int]) -> np.ndarray:
    """Where sharpness is judged: the subject and its outline, or the whole photo if unknown."""
    if not subj.reliable or subj.fraction < 0.005:
        return np.ones(shape, bool)
    grow = max(2, round(0.01 * max(shape)))
    return ndimage.binary_dilation(subj.mask, iterations=grow)


# --------------------------------------------------------------------------- measures


def sharpness(luma: np.ndarray, region: np.ndarray) -> float:
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


def exposure(luma: np.ndarray, rgb: np.ndarray, subj: SubjectView) -> dict[str, float]:
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


def contrast(luma: np.ndarray, subj: SubjectView) -> float:
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


def edge_map(luma: np.ndarray) -> np.ndarray:
    """Strong edges: Sobel magnitude of the lightly smoothed luminance above 12 (0..255 scale)."""
    smooth = ndimage.gaussian_filter(luma * 255.0, 1.0)
    magnitude = np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)) / 8.0
    return magnitude > 12.0


def clutter(edges: np.ndarray, rgb: np.ndarray, subj: SubjectView, kind: str) -> dict[str, float]:
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
