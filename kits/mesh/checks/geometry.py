"""Per-face geometry shared by the checks and the print placement (numpy, chunked)."""

from __future__ import annotations

import numpy as np


def face_geometry(
    vertices: np.ndarray, faces: np.ndarray, chunk: int = 1 << 18
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centroids, unit normals (zero for degenerate faces), areas and signed tetra volumes per face,
    in chunks so temporaries stay small."""
    n = len(faces)
    centroids = np.empty((n, 3))
    normals = np.empty((n, 3))
    area = np.empty(n)
    volume = np.empty(n)
    for s in range(0, n, chunk):
        f = faces[s : s + chunk]
        v0, v1, v2 = vertices[f[:, 0]], vertices[f[:, 1]], vertices[f[:, 2]]
        centroids[s : s + chunk] = (v0 + v1 + v2) / 3.0
        v1 -= v0
        v2 -= v0
        cross = np.empty_like(v1)  # np.cross is slow on long arrays: written out
        cross[:, 0] = v1[:, 1] * v2[:, 2] - v1[:, 2] * v2[:, 1]
        cross[:, 1] = v1[:, 2] * v2[:, 0] - v1[:, 0] * v2[:, 2]
        cross[:, 2] = v1[:, 0] * v2[:, 1] - v1[:, 1] * v2[:, 0]
        double = np.sqrt(np.einsum("ij,ij->i", cross, cross))
        area[s : s + chunk] = 0.5 * double
        volume[s : s + chunk] = np.einsum("ij,ij->i", v0, cross) / 6.0
        normals[s : s + chunk] = cross / np.where(double > 0, double, 1.0)[:, None]
    return centroids, normals, area, volume
