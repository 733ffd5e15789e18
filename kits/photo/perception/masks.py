"""Subject masks from the learned probabilities or from GrabCut (OpenCV), cleaned the same way.

* :func:`clean_mask` keeps the significant connected components and fills their holes.
* :func:`refine_person` sharpens a person probability map (pose / selfie segmentation) with GrabCut
  inside a narrow band around its outline, so the model decides what is person and the colours only
  place the edge.
* :func:`grabcut_subject` finds a pet (or anything the person models miss): GrabCut seeded from the
  classical backdrop mask, or from a centred rectangle when that found nothing; a soft floor shadow
  (a smooth, darker version of the backdrop colour) is held as probable background and removed.

GrabCut runs on a copy at most ``GRABCUT_SIDE`` pixels long; masks come back at the input size.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from kits.photo.segmentation import SubjectMask

__all__ = ["GRABCUT_SIDE", "clean_mask", "grabcut_subject", "refine_person", "separation", "shadow_like"]

#: Longest side of the image GrabCut works on.
GRABCUT_SIDE = 320
#: GrabCut iterations.
GRABCUT_ITERATIONS = 4


def clean_mask(mask: np.ndarray, *, keep_share: float = 0.25, min_fraction: float = 0.005) -> np.ndarray:
    """The components of ``mask`` at least ``keep_share`` of the largest (and ``min_fraction`` of the
    frame), holes filled. Several people stay several components."""
    mask = np.asarray(mask, bool)
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    largest = areas.max()
    keep = np.nonzero((areas >= keep_share * largest) & (areas >= min_fraction * mask.size))[0]
    if not len(keep):
        keep = np.array([int(np.argmax(areas))])
    return ndimage.binary_fill_holes(np.isin(labels, keep))


def resize_float(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to ``size`` = (w, h)."""
    if values.shape[::-1] == tuple(size):
        return values.astype(np.float32)
    img = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(img.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A bool mask resized to ``size`` = (w, h) (smooth, then cut at one half)."""
    return resize_float(mask.astype(np.float32), size) >= 0.5


def _small(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, GRABCUT_SIDE / max(h, w))
    if scale >= 1.0:
        return np.ascontiguousarray(rgb[:, :, :3]), 1.0
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    return np.asarray(
        Image.fromarray(np.ascontiguousarray(rgb[:, :, :3])).resize(size, Image.BILINEAR)
    ), scale


def _grabcut(small: np.ndarray, init: np.ndarray) -> np.ndarray:
    """Run GrabCut from an initial ``GC_*`` label map; the labels' foreground if it cannot run."""
    import cv2

    has_fg = np.isin(init, (cv2.GC_FGD, cv2.GC_PR_FGD)).any()
    has_bg = np.isin(init, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
    if not (has_fg and has_bg):
        return np.isin(init, (cv2.GC_FGD, cv2.GC_PR_FGD))
    labels = init.astype(np.uint8).copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(small[:, :, ::-1])
    try:
        cv2.setRNGSeed(0)  # GrabCut's k-means starts from OpenCV's (per-thread) RNG: same photo, same mask
        cv2.grabCut(bgr, labels, None, bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return np.isin(init, (cv2.GC_FGD, cv2.GC_PR_FGD))
    return np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))


def refine_person(rgb: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """The person mask from a probability map at the image's size: GrabCut in a band around the 0.5 outline."""
    import cv2

    h, w = rgb.shape[:2]
    small, _ = _small(rgb)
    sh, sw = small.shape[:2]
    p = resize_float(prob, (sw, sh))
    core = p >= 0.5
    if not core.any():
        return np.zeros((h, w), bool)
    band = max(2, round(0.015 * max(sh, sw)))
    sure_fg = ndimage.binary_erosion(core, iterations=band)
    sure_bg = ~ndimage.binary_dilation(core, iterations=band)
    init = np.where(core, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    init[sure_fg] = cv2.GC_FGD
    init[sure_bg] = cv2.GC_BGD
    mask = _grabcut(small, init)
    mask = clean_mask(mask)
    return resize_mask(mask, (w, h))


def shadow_like(
    small: np.ndarray, backdrop_rgb: tuple[int, int, int] | None, noise: float = 0.0
) -> np.ndarray:
    """Pixels that look like a soft shadow on the backdrop: the backdrop's chroma, darker (35-97 % of its
    luminance) and smooth (little local texture)."""
    if backdrop_rgb is None:
        return np.zeros(small.shape[:2], bool)
    px = small[:, :, :3].astype(np.float64)
    bg = np.asarray(backdrop_rgb, dtype=np.float64)
    bg_sum = max(float(bg.sum()), 1.0)
    chroma = px / np.maximum(px.sum(axis=2, keepdims=True), 1.0)
    chroma_close = np.linalg.norm(chroma - bg / bg_sum, axis=2) < 0.025
    ratio = px.sum(axis=2) / bg_sum
    darker = (ratio > 0.35) & (ratio < 0.97)
    luma = px.mean(axis=2)
    local_mean = ndimage.uniform_filter(luma, 5)
    local_sd = np.sqrt(np.maximum(ndimage.uniform_filter(luma * luma, 5) - local_mean**2, 0.0))
    smooth = local_sd < max(4.0, 2.0 * noise)
    shadowy = chroma_close & darker
    # The shadow's own outline is not smooth at the window's scale: grow the smooth core over it.
    return ndimage.binary_dilation(shadowy & smooth, iterations=2) & shadowy


def separation(small: np.ndarray, mask: np.ndarray) -> float:
    """How well the subject's colours differ from the rest: 1 - histogram overlap (8 bins a channel)."""
    if not mask.any() or mask.all():
        return 0.0
    q = (small[:, :, :3].astype(np.int64) // 32).reshape(-1, 3)
    codes = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
    flat = mask.ravel()
    fg = np.bincount(codes[flat], minlength=512).astype(np.float64)
    bg = np.bincount(codes[~flat], minlength=512).astype(np.float64)
    overlap = np.minimum(fg / fg.sum(), bg / bg.sum()).sum()
    return float(np.clip(1.0 - overlap, 0.0, 1.0))


def grabcut_subject(rgb: np.ndarray, classical: SubjectMask) -> tuple[np.ndarray, float]:
    """``(mask at the image's size, confidence 0..1)`` of a subject no person model found.

    Seeded from the classical mask when it found something, else from a centred rectangle (the top
    and sides of the frame are background; the bottom may hold the subject). An empty, featureless
    photo gives an empty mask.
    """
    import cv2

    h, w = rgb.shape[:2]
    small, _ = _small(rgb)
    sh, sw = small.shape[:2]
    seeded = bool(classical.components) and classical.confidence >= 0.3
    plain = classical.background_noise < 12.0 and classical.source == "background"
    shadow = shadow_like(small, classical.background_rgb, classical.background_noise) if plain else None
    if seeded:
        seed = resize_mask(classical.mask, (sw, sh))
        k = max(2, round(0.03 * max(sh, sw)))
        init = np.full((sh, sw), cv2.GC_BGD, np.uint8)
        init[ndimage.binary_dilation(seed, iterations=2 * k)] = cv2.GC_PR_BGD
        init[seed] = cv2.GC_PR_FGD
        if classical.confidence >= 0.6:
            init[ndimage.binary_erosion(seed, iterations=k)] = cv2.GC_FGD
    else:
        luma = small[:, :, :3].astype(np.float64).mean(axis=2)
        if float(np.percentile(luma, 99) - np.percentile(luma, 1)) < 12.0:
            return np.zeros((h, w), bool), 0.0  # a blank wall: nothing to cut out
        init = np.full((sh, sw), cv2.GC_BGD, np.uint8)
        mx, top = round(0.08 * sw), round(0.06 * sh)
        init[top:, mx : sw - mx] = cv2.GC_PR_FGD
        init[sh - max(1, round(0.04 * sh)) :, :] = cv2.GC_PR_BGD
        init[sh - max(1, round(0.04 * sh)) :, mx : sw - mx] = cv2.GC_PR_FGD
    if shadow is not None:
        ys = np.nonzero(np.isin(init, (cv2.GC_FGD, cv2.GC_PR_FGD)).any(axis=1))[0]
        if len(ys):
            lower = np.zeros((sh, sw), bool)
            lower[ys[0] + round(0.6 * (ys[-1] - ys[0])) :, :] = True
            shadow &= lower
            init[shadow & (init != cv2.GC_BGD)] = cv2.GC_PR_BGD
    mask = _grabcut(small, init)
    if shadow is not None:
        mask &= ~shadow
        mask = ndimage.binary_opening(mask, iterations=1)
    mask = clean_mask(mask, min_fraction=0.01)
    if mask.mean() > 0.97 or not mask.any():
        return np.zeros((h, w), bool), 0.0
    confidence = separation(small, mask)
    if seeded:
        confidence = max(confidence, float(classical.confidence))
    return resize_mask(mask, (w, h)), confidence
