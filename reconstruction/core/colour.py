"""Vertex colours from the photos.

Each vertex takes the colour of the photo that sees it best: a view's weight is its visibility (the
vertex is the first surface along the view's rays, tested against the shape field's entry depths)
times how squarely the surface faces the camera. Views are blended with a steep power of their
weights, so the best view dominates and seams stay soft. Regions no photo sees are filled from the
nearest seen vertex when a side photo exists (it shows the back's outline colours), else from the
mirrored front (the front photo sampled straight through the figure).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from scipy.spatial import cKDTree

from .shape import ShapeField
from .views import RegisteredView

__all__ = ["vertex_colours"]

BLEND_POWER = 8.0
SEEN_WEIGHT = 0.08


def _entry_depths(field: ShapeField, view: RegisteredView) -> tuple[np.ndarray, int, int, float]:
    """First-surface coordinate along the view's rays, per ray column.

    Returns (depth map, depth axis, sign, tolerance): a point is visible when
    ``sign * (coord - depth) <= tol`` (sign +1: the camera sits on the low side of the axis).
    """
    inside = field.inside()  # [z, y, x]
    d = view.direction
    axis = 1 if view.role in ("front", "back") else 0
    dim = 2 - axis  # tensor dimension of that world axis
    sign = 1 if d[axis] > 0 else -1
    n = inside.shape[dim]
    idx = torch.arange(n, device=inside.device).view([-1 if i == dim else 1 for i in range(3)])
    big = n + 10
    if sign > 0:
        first = torch.where(inside, idx, torch.full_like(idx, big)).amin(dim=dim)
        coords = torch.where(first >= big, torch.full_like(first, big), first)
    else:
        last = torch.where(inside, idx, torch.full_like(idx, -big)).amax(dim=dim)
        coords = last
    coord_np = coords.cpu().numpy().astype(np.float64)
    world = field.origin[axis] + coord_np * field.spacing
    world[np.abs(coord_np) >= big] = sign * np.inf
    return world, axis, sign, 2.5 * field.spacing


def _visible(points: np.ndarray, field: ShapeField, view: RegisteredView) -> np.ndarray:
    depth, axis, sign, tol = _entry_depths(field, view)
    other = 0 if axis == 1 else 1  # horizontal axis of the depth map besides z
    i_other = np.clip(
        np.rint((points[:, other] - field.origin[other]) / field.spacing), 0, depth.shape[1] - 1
    )
    i_z = np.clip(np.rint((points[:, 2] - field.origin[2]) / field.spacing), 0, depth.shape[0] - 1)
    entry = depth[i_z.astype(int), i_other.astype(int)]
    return sign * (points[:, axis] - entry) <= tol


def _sample(view: RegisteredView, points: np.ndarray) -> np.ndarray:
    col, row = view.world_to_pixel(points)
    h, w = view.image.shape[:2]
    coords = np.stack([np.clip(row - 0.5, 0, h - 1), np.clip(col - 0.5, 0, w - 1)])
    img = view.image.astype(np.float32)
    return np.stack([ndimage.map_coordinates(img[:, :, c], coords, order=1) for c in range(3)], axis=1)


def vertex_colours(
    points: np.ndarray, normals: np.ndarray, views: list[RegisteredView], field: ShapeField
) -> tuple[np.ndarray, dict[str, float]]:
    """RGBA uint8 colours for vertices at ``points`` (figure frame) with unit ``normals``."""
    n = len(points)
    weights = np.zeros((len(views), n))
    facing = np.zeros((len(views), n))
    samples = np.zeros((len(views), n, 3), np.float32)
    for k, view in enumerate(views):
        cos = normals @ (-view.direction)
        facing[k] = cos
        vis = _visible(points, field, view) & view.in_frame(points)
        weights[k] = np.clip(cos, 0.0, 1.0) ** 2 * vis * ("colour" in view.uses)
        samples[k] = _sample(view, points)
    best = weights.max(axis=0)
    seen = best > SEEN_WEIGHT
    blend = weights**BLEND_POWER
    total = blend.sum(axis=0)
    colours = np.zeros((n, 3), np.float32)
    ok = total > 0
    colours[ok] = np.einsum("kn,knc->nc", blend[:, ok], samples[:, ok]) / total[ok, None]

    unseen = ~seen
    has_side = any(v.role == "side" and "colour" in v.uses for v in views)
    if unseen.any():
        if seen.any():
            tree = cKDTree(points[seen])
            # Occluded surfaces that face a camera, or any unseen surface when a profile exists.
            facing_some = (facing > 0.2).any(axis=0)
            nearest_fill = unseen & (facing_some | has_side)
            if nearest_fill.any():
                _, idx = tree.query(points[nearest_fill], k=4)
                colours[nearest_fill] = colours[seen][idx].mean(axis=1)
            mirrored = unseen & ~nearest_fill
        else:
            mirrored = unseen
        if mirrored.any():
            # Mirrored front (or back): the best-aligned front/back view sampled through the figure.
            axis_views = [
                k for k, v in enumerate(views) if v.role in ("front", "back") and "colour" in v.uses
            ] or [0]
            align = facing[axis_views][:, mirrored]  # the view the surface faces (back for the back)
            pick = np.array(axis_views)[align.argmax(axis=0)]
            colours[mirrored] = samples[pick, np.nonzero(mirrored)[0]]
    rgba = np.concatenate([np.clip(np.rint(colours), 0, 255), np.full((n, 1), 255)], axis=1).astype(np.uint8)
    stats = {"seen_fraction": float(seen.mean()) if n else 0.0}
    for k, view in enumerate(views):
        stats[f"best_{view.role}_{k}"] = float(((weights.argmax(axis=0) == k) & seen).mean()) if n else 0.0
    return rgba, stats
