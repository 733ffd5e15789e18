"""Geometric comparison of two revisions of a figurine, and the surface distances it rests on.

``compare_meshes(previous, current)`` measures, for every vertex of the current mesh, its distance to the
previous surface (exact point-to-triangle distance against the triangles around the nearest previous
vertices, found with a KD-tree), summarises it (max, mean, 95th percentile, area changed) and can write a
heatmap GLB: the current mesh coloured blue -> red by distance, grey where it did not move.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from kits.mesh.colors import colored_mesh
from kits.mesh.gltf import glb_bytes

MAX_VALENCE = 12
CENTROID_K = 6
UNCHANGED_GREY = np.array([170, 170, 170, 255], dtype=np.uint8)
# blue -> cyan -> green -> yellow -> red
RAMP = np.array([[0, 0, 255], [0, 200, 255], [0, 200, 0], [255, 220, 0], [255, 0, 0]], dtype=np.float64)


def point_triangle_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point to its triangle ``(a, b, c)`` (row-wise, vectorised)."""
    ab, ac = b - a, c - a
    return _distance_from_parts(points - a, ab, ac, _dot(ab, ab), _dot(ac, ac), _dot(ab, ac))


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x[:, 0] * y[:, 0] + x[:, 1] * y[:, 1] + x[:, 2] * y[:, 2]


def _distance_from_parts(
    ap: np.ndarray, ab: np.ndarray, ac: np.ndarray, ab2: np.ndarray, ac2: np.ndarray, abac: np.ndarray
) -> np.ndarray:
    """Point-triangle distance from ``ap = p - a``, the edges ``ab, ac`` and their dot products.

    Ericson's closest-point regions (Real-Time Collision Detection, 5.1.5) written with dot products only,
    so the squared distance follows from the barycentric weights without forming the closest point.
    """
    d1, d2, ap2 = _dot(ab, ap), _dot(ac, ap), _dot(ap, ap)
    d3, d4 = d1 - ab2, d2 - abac  # against b
    d5, d6 = d1 - abac, d2 - ac2  # against c
    vc = d1 * d4 - d3 * d2
    vb = d5 * d2 - d1 * d6
    va = d3 * d6 - d5 * d4
    conditions = [
        (d1 <= 0) & (d2 <= 0),  # vertex a
        (d3 >= 0) & (d4 <= d3),  # vertex b
        (d6 >= 0) & (d5 <= d6),  # vertex c
        (vc <= 0) & (d1 >= 0) & (d3 <= 0),  # edge ab
        (vb <= 0) & (d2 >= 0) & (d6 <= 0),  # edge ac
        (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0),  # edge bc
    ]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        edge_ab = d1 / (d1 - d3)
        edge_ac = d2 / (d2 - d6)
        edge_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        denom = 1.0 / (va + vb + vc)
        v = np.select(conditions, [0.0, 1.0, 0.0, edge_ab, 0.0, 1.0 - edge_bc], vb * denom)
        w = np.select(conditions, [0.0, 0.0, 1.0, 0.0, edge_ac, edge_bc], vc * denom)
        squared = ap2 - 2 * v * d1 - 2 * w * d2 + v * v * ab2 + 2 * v * w * abac + w * w * ac2
        result = np.sqrt(np.maximum(squared, 0.0))
    degenerate = ~np.isfinite(result)
    if degenerate.any():  # zero-area triangle: the nearest of its three edges
        p, a = ap[degenerate], np.zeros_like(ap[degenerate])
        b, c = ab[degenerate], ac[degenerate]
        result[degenerate] = np.minimum(
            np.minimum(_segment_distance(p, a, b), _segment_distance(p, a, c)), _segment_distance(p, b, c)
        )
    return result


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    length2 = _dot(ab, ab)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(_dot(points - a, ab) / length2, 0.0, 1.0)
    t = np.where(length2 > 0, t, 0.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


class SurfaceIndex:
    """Nearest-surface queries on a triangle mesh: KD-tree over vertices + their incident triangles."""

    def __init__(
        self, vertices: np.ndarray, faces: np.ndarray, *, centroids: bool = False, tree: cKDTree | None = None
    ) -> None:
        self.vertices = np.ascontiguousarray(vertices, dtype=np.float64)
        self.faces = np.ascontiguousarray(faces, dtype=np.int64)
        self.tree = (
            tree if tree is not None else cKDTree(self.vertices, balanced_tree=False, compact_nodes=False)
        )
        flat = self.faces.ravel()
        order = np.argsort(flat)
        counts = np.bincount(flat, minlength=len(self.vertices))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        slot = np.arange(len(flat)) - np.repeat(starts, counts)
        keep = slot < MAX_VALENCE
        incident = np.full((len(self.vertices), MAX_VALENCE), -1, dtype=np.int64)
        incident[flat[order][keep], slot[keep]] = order[keep] // 3
        self.incident = incident
        corner = self.vertices[self.faces]
        self.a = corner[:, 0]
        self.ab = corner[:, 1] - self.a
        self.ac = corner[:, 2] - self.a
        self.ab2, self.ac2, self.abac = _dot(self.ab, self.ab), _dot(self.ac, self.ac), _dot(self.ab, self.ac)
        # a coarse mesh (large triangles) also needs the triangles whose centres are near, not only
        # those around the nearest vertices
        self.centroid_tree = None
        self.radius: float | None = None
        if centroids:
            self.centroid_tree = cKDTree(
                self.a + (self.ab + self.ac) / 3.0, balanced_tree=False, compact_nodes=False
            )

    def exact_distance(self, points: np.ndarray, upper: np.ndarray | None = None) -> np.ndarray:
        """Exact distance to the surface: every triangle whose centre lies within the upper bound plus
        the largest centre-to-corner radius is tested (meant for a few thousand points)."""
        points = np.asarray(points, dtype=np.float64)
        upper = self.distance(points) if upper is None else np.asarray(upper, dtype=np.float64)
        if self.centroid_tree is None:
            self.centroid_tree = cKDTree(
                self.a + (self.ab + self.ac) / 3.0, balanced_tree=False, compact_nodes=False
            )
        if self.radius is None:
            centre = (self.ab + self.ac) / 3.0  # relative to a
            self.radius = float(
                max(
                    np.linalg.norm(centre, axis=1).max(),
                    np.linalg.norm(self.ab - centre, axis=1).max(),
                    np.linalg.norm(self.ac - centre, axis=1).max(),
                )
            )
        neighbours = self.centroid_tree.query_ball_point(points, upper + self.radius * (1 + 1e-9), workers=-1)
        exact = upper.copy()
        for i, faces in enumerate(neighbours):
            if len(faces):
                f = np.asarray(faces, dtype=np.int64)
                d = _distance_from_parts(
                    points[i] - self.a[f], self.ab[f], self.ac[f], self.ab2[f], self.ac2[f], self.abac[f]
                )
                exact[i] = min(exact[i], float(d.min()))
        return exact

    def distance(self, points: np.ndarray, k: int = 3, chunk: int = 50_000) -> np.ndarray:
        """Distance from each point to the surface (triangles around its ``k`` nearest vertices)."""
        points = np.asarray(points, dtype=np.float64)
        out = np.empty(len(points))
        k = min(k, len(self.vertices))
        for start in range(0, len(points), chunk):
            block = points[start : start + chunk]
            _, nearest = self.tree.query(block, k=k, workers=-1)
            nearest = nearest.reshape(len(block), k)
            candidates = self.incident[nearest].reshape(len(block), -1)
            if self.centroid_tree is not None:
                _, near_faces = self.centroid_tree.query(
                    block, k=min(CENTROID_K, len(self.faces)), workers=-1
                )
                candidates = np.hstack([candidates, near_faces.reshape(len(block), -1)])
            rows, cols = np.nonzero(candidates >= 0)  # row-major: pairs grouped by point
            face = candidates[rows, cols]
            dist = _distance_from_parts(
                block[rows] - self.a[face],
                self.ab[face],
                self.ac[face],
                self.ab2[face],
                self.ac2[face],
                self.abac[face],
            )
            counts = np.bincount(rows, minlength=len(block))
            best = np.full(len(block), np.inf)
            has = counts > 0
            if len(dist):
                starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
                best[has] = np.minimum.reduceat(dist, starts[has])
            # a point whose nearest vertices have no triangle falls back to the vertex distance
            if not has.all():
                best[~has] = self.tree.query(block[~has], k=1)[0]
            out[start : start + len(block)] = best
        return out


def refine_max(
    points: np.ndarray, estimate: np.ndarray, index: SurfaceIndex, *, batch: int = 256, limit: int = 50_000
) -> tuple[float, bool]:
    """The exact maximum over ``points`` of their distance to the surface of ``index``.

    ``estimate`` holds upper bounds (distances to some triangle): points are checked exactly
    (:meth:`SurfaceIndex.exact_distance`) from the largest estimate down until no estimate left can beat
    the largest exact distance. Returns ``(max, exact)``; ``exact`` is False when ``limit`` points were
    checked first (the value is then the remaining upper bound).
    """
    order = np.argsort(estimate)[::-1]
    best, checked = 0.0, 0
    while checked < len(order):
        if estimate[order[checked]] <= best:
            return best, True
        if checked >= limit:
            return float(max(best, estimate[order[checked]])), False
        chosen = order[checked : checked + batch]
        best = max(best, float(index.exact_distance(points[chosen], estimate[chosen]).max()))
        checked += len(chosen)
    return best, True


def sample_surface(mesh: trimesh.Trimesh, count: int, seed: int = 0) -> np.ndarray:
    """``count`` points spread over the surface (area-weighted, reproducible)."""
    rng = np.random.default_rng(seed)
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    a = vertices[faces[:, 0]]
    ab, ac = vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a
    cross = np.column_stack(
        [
            ab[:, 1] * ac[:, 2] - ab[:, 2] * ac[:, 1],
            ab[:, 2] * ac[:, 0] - ab[:, 0] * ac[:, 2],
            ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0],
        ]
    )
    cumulative = np.cumsum(np.sqrt(_dot(cross, cross)))
    if cumulative[-1] <= 0:
        return vertices[rng.integers(0, len(vertices), count)]
    chosen = np.minimum(np.searchsorted(cumulative, rng.random(count) * cumulative[-1]), len(faces) - 1)
    r1, r2 = rng.random(count), rng.random(count)
    flip = r1 + r2 > 1
    r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
    return a[chosen] + r1[:, None] * ab[chosen] + r2[:, None] * ac[chosen]


def heat_colors(distance: np.ndarray, threshold: float, vmax: float) -> np.ndarray:
    """RGBA per value: grey below ``threshold``, else blue (threshold) -> red (``vmax`` and above)."""
    span = max(vmax - threshold, 1e-12)
    t = np.clip((distance - threshold) / span, 0.0, 1.0) * (len(RAMP) - 1)
    low = np.minimum(np.floor(t).astype(np.int64), len(RAMP) - 2)
    frac = (t - low)[:, None]
    rgb = RAMP[low] * (1 - frac) + RAMP[low + 1] * frac
    colors = np.column_stack([np.rint(rgb), np.full(len(distance), 255)]).astype(np.uint8)
    colors[distance < threshold] = UNCHANGED_GREY
    return colors


def compare_meshes(
    previous: trimesh.Trimesh,
    current: trimesh.Trimesh,
    *,
    height_mm: float | None = None,
    threshold_mm: float = 0.1,
    heatmap_path: str | Path | None = None,
) -> dict:
    """Distance of the current revision's surface from the previous one, in millimetres.

    With ``height_mm`` both meshes are scaled by the one factor that brings the previous mesh to that
    height (a shared factor, so a local change stays local). Returns ``max_mm, mean_mm, p95_mm,
    area_changed_mm2, area_changed_fraction, changed_vertices, changed_bbox_mm ({min, max} or None),
    threshold_mm, scale, vertices, heatmap_path, heatmap_scale_mm [low, high]``.
    """
    prev_vertices = np.asarray(previous.vertices, dtype=np.float64)
    cur_vertices = np.asarray(current.vertices, dtype=np.float64)
    if len(previous.faces) == 0 or len(current.faces) == 0:
        raise ValueError("both meshes need triangles to be compared")
    scale = 1.0
    if height_mm is not None:
        previous_height = float(np.ptp(prev_vertices[:, 2]))
        if previous_height <= 0 or height_mm <= 0:
            raise ValueError("cannot scale a flat mesh or to a non-positive height")
        scale = height_mm / previous_height
    index = SurfaceIndex(prev_vertices * scale, np.asarray(previous.faces))
    points = cur_vertices * scale
    faces = np.asarray(current.faces, dtype=np.int64)
    distance = index.distance(points)

    triangles = points[faces]
    areas = (
        np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1)
        / 2
    )
    face_distance = distance[faces].mean(axis=1)
    changed_faces = face_distance >= threshold_mm
    changed_vertices = distance >= threshold_mm
    total_area = float(areas.sum())
    changed_area = float(areas[changed_faces].sum())
    bbox = None
    if changed_vertices.any():
        changed = points[changed_vertices]
        bbox = {
            "min": [round(float(v), 3) for v in changed.min(axis=0)],
            "max": [round(float(v), 3) for v in changed.max(axis=0)],
        }
    vmax = max(float(distance.max()), threshold_mm * 2)
    report = {
        "max_mm": round(float(distance.max()), 4),
        "mean_mm": round(float(distance.mean()), 4),
        "p95_mm": round(float(np.percentile(distance, 95)), 4),
        "area_changed_mm2": round(changed_area, 3),
        "area_changed_fraction": round(changed_area / total_area, 5) if total_area > 0 else 0.0,
        "changed_vertices": int(changed_vertices.sum()),
        "changed_bbox_mm": bbox,
        "threshold_mm": threshold_mm,
        "scale": scale,
        "vertices": int(len(points)),
        "heatmap_path": None,
        "heatmap_scale_mm": [threshold_mm, round(vmax, 4)],
    }
    if heatmap_path is not None:
        heatmap = colored_mesh(points, faces, heat_colors(distance, threshold_mm, vmax))
        Path(heatmap_path).write_bytes(glb_bytes(heatmap))
        report["heatmap_path"] = str(heatmap_path)
    return report
