"""How the figurine stands: footprint, centre of mass, overhangs, fit in the printers' build volumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError


@dataclass
class Stability:
    stable: bool
    center_of_mass_mm: list[float]
    footprint_area_mm2: float
    margin_mm: float  # distance of the projected centre of mass inside the footprint hull (<0: outside)
    footprint_bbox_mm: list[list[float]]


def stability(
    used_vertices: np.ndarray,
    face_volume: np.ndarray,
    face_area: np.ndarray,
    centroids: np.ndarray,
    footprint_tol_mm: float = 0.5,
    margin_mm: float = 1.0,
    min_tip_angle_deg: float = 3.0,
) -> Stability:
    """Standing on its lowest point: the centre of mass (of the volume; of the surface when the mesh
    encloses no volume) projected on the ground must lie inside the convex hull of the footprint (vertices
    within ``footprint_tol_mm`` of the lowest point) by at least ``margin_mm``, and far enough that a tilt
    of ``min_tip_angle_deg`` does not tip it (margin / height of the centre of mass)."""
    total = face_volume.sum()
    if abs(total) > 1e-9:
        # tetrahedra (origin, v0, v1, v2) have their centroid at 3/4 of the face centroid
        com = 0.75 * (face_volume[:, None] * centroids).sum(axis=0) / total
    else:
        com = (face_area[:, None] * centroids).sum(axis=0) / max(face_area.sum(), 1e-12)
    zmin = used_vertices[:, 2].min()
    foot = used_vertices[used_vertices[:, 2] <= zmin + footprint_tol_mm][:, :2]
    bbox = [foot.min(axis=0).round(3).tolist(), foot.max(axis=0).round(3).tolist()]
    try:
        hull = ConvexHull(foot)
    except (QhullError, ValueError):
        return Stability(False, com.round(3).tolist(), 0.0, -np.inf, bbox)
    inside = -(hull.equations[:, :2] @ com[:2] + hull.equations[:, 2]).max()
    height = max(float(com[2] - zmin), 1e-9)
    tilt_ok = np.degrees(np.arctan2(inside, height)) >= min_tip_angle_deg
    return Stability(
        bool(inside >= margin_mm and tilt_ok), com.round(3).tolist(), float(hull.volume), float(inside), bbox
    )


def mesh_stability(vertices: np.ndarray, faces: np.ndarray, **rule: float) -> Stability:
    """The same standing rule as ``check_mesh``'s ``tips_over``, for any mesh in millimetres."""
    from kits.mesh.checks.geometry import face_geometry

    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    centroids, _normals, area, volume = face_geometry(vertices, faces)
    return stability(vertices[np.unique(faces)], volume, area, centroids, **rule)


def overhang_area(
    normals: np.ndarray, face_area: np.ndarray, centroids: np.ndarray, zmin: float, angle_deg: float = 45.0
) -> tuple[float, np.ndarray]:
    """Area of faces facing down more steeply than ``angle_deg`` above the ground plane, not counting the
    bottom that rests on the plate. Returns (area mm2, mask)."""
    mask = (normals[:, 2] < -np.cos(np.radians(angle_deg))) & (centroids[:, 2] > zmin + 0.05)
    return float(face_area[mask].sum()), mask


def fits_build_volume(
    extent_mm: np.ndarray, volumes_mm: list[tuple[float, float, float]]
) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the bounding box fits any printer (standing up; turning 90 degrees about Z allowed)."""
    results = []
    for vol in volumes_mm:
        x, y, z = (float(v) for v in vol)
        ex, ey, ez = (float(e) for e in extent_mm)
        fits = ez <= z and ((ex <= x and ey <= y) or (ey <= x and ex <= y))
        results.append({"build_volume_mm": [x, y, z], "fits": bool(fits)})
    return (any(r["fits"] for r in results) if results else True), results
