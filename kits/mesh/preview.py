"""Web preview GLB: the figurine decimated for the browser, colours kept, its deviation measured.

Decimation is fast-simplification's quadric edge collapse; vertex colours are carried over from the
nearest original vertex (KD-tree). The symmetric Hausdorff distance between the preview and the original
is measured on surface samples with exact point-to-triangle distances (:class:`SurfaceIndex`).
"""

from __future__ import annotations

import time
from pathlib import Path

import fast_simplification
import numpy as np
import trimesh
from scipy.spatial import cKDTree

from kits.hashing import file_sha256
from kits.mesh.colors import colored_mesh, vertex_colors_of
from kits.mesh.compare import SurfaceIndex, refine_max, sample_surface
from kits.mesh.gltf import glb_bytes

DEFAULT_MAX_TRIANGLES = 300_000


def decimate(
    vertices: np.ndarray, faces: np.ndarray, target_triangles: int, *, aggressiveness: float = 7.0
) -> tuple[np.ndarray, np.ndarray]:
    """Quadric edge-collapse decimation to at most ``target_triangles`` (fast-simplification)."""
    if len(faces) <= target_triangles:
        return vertices, faces
    out_vertices, out_faces = fast_simplification.simplify(
        np.ascontiguousarray(vertices, dtype=np.float32),
        np.ascontiguousarray(faces, dtype=np.int32),
        target_count=int(target_triangles),
        agg=aggressiveness,
    )
    out_faces = np.asarray(out_faces, dtype=np.int64)
    if len(out_faces) > target_triangles:  # the collapse stopped short: push harder once
        out_vertices, out_faces = fast_simplification.simplify(
            np.ascontiguousarray(out_vertices, dtype=np.float32),
            np.ascontiguousarray(out_faces, dtype=np.int32),
            target_count=int(target_triangles * 0.98),
            agg=aggressiveness + 2,
        )
        out_faces = np.asarray(out_faces, dtype=np.int64)
    return np.asarray(out_vertices, dtype=np.float64), out_faces


def hausdorff(
    a_vertices: np.ndarray,
    a_faces: np.ndarray,
    b_vertices: np.ndarray,
    b_faces: np.ndarray,
    *,
    samples: int = 50_000,
    a_index: SurfaceIndex | None = None,
) -> dict:
    """Sampled symmetric Hausdorff distance between a dense surface A (the original) and a coarser B (the
    preview): ``{hausdorff, a_to_b_max, b_to_a_max, median, exact}`` in the vertices' units.

    Samples: ``samples`` area-weighted points on each side plus all of B's vertices. Distances come from
    the KD-tree candidates of :class:`SurfaceIndex` (upper bounds); the maxima are then made exact by
    :func:`refine_max`.
    """
    a_mesh = trimesh.Trimesh(a_vertices, a_faces, process=False)
    b_mesh = trimesh.Trimesh(b_vertices, b_faces, process=False)
    a_index = a_index or SurfaceIndex(a_vertices, a_faces)
    b_index = SurfaceIndex(b_vertices, b_faces, centroids=True)
    b_points = np.vstack([sample_surface(b_mesh, samples, seed=1), b_vertices])
    a_points = sample_surface(a_mesh, samples, seed=2)
    b_to_a = a_index.distance(b_points, k=1)  # A is dense: the triangles around the nearest vertex
    a_to_b = b_index.distance(a_points)
    b_to_a_max, exact_ba = refine_max(b_points, b_to_a, a_index)
    a_to_b_max, exact_ab = refine_max(a_points, a_to_b, b_index)
    return {
        "hausdorff": float(max(b_to_a_max, a_to_b_max)),
        "a_to_b_max": float(a_to_b_max),
        "b_to_a_max": float(b_to_a_max),
        "median": float((np.median(b_to_a) + np.median(a_to_b)) / 2),
        "exact": bool(exact_ab and exact_ba),
    }


def make_web_glb(
    mesh: trimesh.Trimesh,
    out_path: str | Path,
    *,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
    height_mm: float | None = None,
    hausdorff_samples: int = 50_000,
    include_normals: bool = False,
) -> dict:
    """Write the browser preview of ``mesh`` (studio coordinates: mm, Z up) as a GLB in glTF's metres,
    Y up, linear COLOR_0 (:func:`kits.mesh.gltf.glb_bytes`).

    Decimates to at most ``max_triangles``; keeps vertex colours; measures the Hausdorff distance to the
    original in mm (at ``height_mm`` when given, else in the mesh's own millimetres; ``hausdorff_samples``
    0 skips it and reports None). Normals are left to the viewer by default (smaller file).
    Returns ``path, sha256, bytes, triangles_in, triangles, vertices, decimated, colors, hausdorff_mm,
    median_deviation_mm, hausdorff_exact, seconds {decimate, colors, write, hausdorff, total}``.
    """
    started = time.perf_counter()
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) == 0:
        raise ValueError("the mesh has no triangles")
    colors = vertex_colors_of(mesh)
    out_path = Path(out_path)
    seconds: dict[str, float] = {}

    tick = time.perf_counter()
    small_vertices, small_faces = decimate(vertices, faces, max_triangles)
    decimated = len(small_faces) < len(faces)
    seconds["decimate"] = time.perf_counter() - tick

    tick = time.perf_counter()
    tree = None
    small_colors = colors
    if decimated and colors is not None:
        tree = cKDTree(vertices, balanced_tree=False, compact_nodes=False)
        _, nearest = tree.query(small_vertices, k=1, workers=-1)
        small_colors = colors[nearest]
    seconds["colors"] = time.perf_counter() - tick

    tick = time.perf_counter()
    preview = colored_mesh(small_vertices, small_faces, small_colors)
    data = glb_bytes(preview, include_normals=include_normals)
    out_path.write_bytes(data)
    seconds["write"] = time.perf_counter() - tick

    tick = time.perf_counter()
    scale = 1.0
    if height_mm is not None and np.ptp(vertices[:, 2]) > 0:
        scale = height_mm / float(np.ptp(vertices[:, 2]))
    if decimated and hausdorff_samples > 0:
        original_index = SurfaceIndex(vertices, faces, tree=tree)
        measured = hausdorff(
            vertices, faces, small_vertices, small_faces, samples=hausdorff_samples, a_index=original_index
        )
        hausdorff_mm, median_mm = measured["hausdorff"] * scale, measured["median"] * scale
        exact = measured["exact"]
    elif decimated:  # not measured
        hausdorff_mm, median_mm, exact = None, None, False
    else:
        hausdorff_mm = median_mm = 0.0
        exact = True
    seconds["hausdorff"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started
    return {
        "path": str(out_path),
        "sha256": file_sha256(out_path),
        "bytes": out_path.stat().st_size,
        "triangles_in": int(len(faces)),
        "triangles": int(len(small_faces)),
        "vertices": int(len(small_vertices)),
        "decimated": decimated,
        "colors": small_colors is not None,
        "hausdorff_mm": None if hausdorff_mm is None else round(float(hausdorff_mm), 4),
        "median_deviation_mm": None if median_mm is None else round(float(median_mm), 5),
        "hausdorff_exact": exact,
        "seconds": {key: round(value, 3) for key, value in seconds.items()},
    }
