"""A figurine-like test mesh from a signed-distance figure (benches only; tests use small primitives).

Millimetres, Z up, facing -Y, standing on a round base at z = 0. It carries a 0.6 mm wire (a glasses arm
sticking out of the head) that a printability check must find.
"""

from __future__ import annotations

import numpy as np

WIRE_RADIUS_MM = 0.3
WIRE_START = np.array([10.0, -8.0, 131.0])
WIRE_END = np.array([24.0, 8.0, 131.0])


def _capsule(p: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    ab = b - a
    t = np.clip(((p - a) @ ab) / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1) - r


def _smin(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1 - h) + a * h - k * h * (1 - h)


def figurine_sdf(p: np.ndarray) -> np.ndarray:
    """Signed distance (negative inside) of the figure at points p (..., 3)."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    radial = np.hypot(x, y)
    base = np.maximum(np.maximum(radial - 40.0, -z), z - 5.0)
    d = base
    for s in (-1.0, 1.0):
        d = _smin(d, _capsule(p, np.array([12 * s, 0, 9.0]), np.array([10 * s, 0, 72.0]), 7.0), 2.0)
        d = _smin(d, _capsule(p, np.array([20 * s, 0, 104.0]), np.array([30 * s, -6, 66.0]), 5.0), 2.0)
    torso = _capsule(p, np.array([0, 0, 74.0]), np.array([0, 0, 106.0]), 17.0)
    d = _smin(d, torso, 4.0)
    head = np.linalg.norm(p - np.array([0, 0, 128.0]), axis=-1) - 14.0
    d = _smin(d, _capsule(p, np.array([0, 0, 108.0]), np.array([0, 0, 120.0]), 6.0), 2.0)
    d = _smin(d, head, 3.0)
    d = _smin(d, np.linalg.norm(p - np.array([0, -13.5, 128.0]), axis=-1) - 2.5, 1.0)  # nose
    wire = _capsule(p, WIRE_START, WIRE_END, WIRE_RADIUS_MM)
    return np.minimum(d, wire)


def figurine_mesh(voxel_mm: float = 0.205) -> tuple[np.ndarray, np.ndarray]:
    """Marching-cubes mesh (vertices, faces) of the figure; about 1.6 M triangles at the default voxel."""
    from skimage.measure import marching_cubes

    lo = np.array([-42.0, -42.0, -2.0])
    hi = np.array([42.0, 42.0, 145.0])
    axes = [np.arange(lo[i], hi[i] + voxel_mm, voxel_mm) for i in range(3)]
    volume = np.empty((len(axes[0]), len(axes[1]), len(axes[2])), dtype=np.float32)
    gy, gz = np.meshgrid(axes[1], axes[2], indexing="ij")
    for i, xv in enumerate(axes[0]):
        pts = np.stack([np.full_like(gy, xv), gy, gz], axis=-1)
        volume[i] = figurine_sdf(pts)
    verts, faces, _normals, _values = marching_cubes(volume, level=0.0, spacing=(voxel_mm,) * 3)
    verts = verts + lo
    verts[:, 2] -= verts[:, 2].min()
    return verts.astype(np.float64), faces.astype(np.int64)
