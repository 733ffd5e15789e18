"""Surface extraction: marching cubes on a shape field, smoothing and remeshing to a triangle budget."""

from __future__ import annotations

import numpy as np
import pymeshlab
import torch
import trimesh
from skimage import measure

from .shape import ShapeField

__all__ = ["extract_surface", "remesh", "keep_significant_shells"]


def _smooth_field(values: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a 3D field (torch, any device)."""
    if sigma <= 0:
        return values
    radius = max(1, int(round(2.5 * sigma)))
    xs = torch.arange(-radius, radius + 1, dtype=values.dtype, device=values.device)
    kernel = torch.exp(-0.5 * (xs / sigma) ** 2)
    kernel = kernel / kernel.sum()
    v = values[None, None]
    for dim in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + dim] = len(kernel)
        pad = [0, 0, 0, 0, 0, 0]
        pad[2 * (2 - dim)] = pad[2 * (2 - dim) + 1] = radius
        v = torch.nn.functional.pad(v, pad, mode="replicate")
        v = torch.nn.functional.conv3d(v, kernel.view(shape))
    return v[0, 0]


def extract_surface(field: ShapeField, smooth_sigma: float = 0.6) -> trimesh.Trimesh:
    """Closed triangle surface of ``field > 0`` in the figure frame (marching cubes on a padded grid)."""
    values = _smooth_field(field.values.float(), smooth_sigma)
    vol = torch.nn.functional.pad(values, (1, 1, 1, 1, 1, 1), value=-1.0).cpu().numpy()
    if vol.max() <= 0:
        raise ValueError("the shape is empty")
    verts, faces, _, _ = measure.marching_cubes(vol, level=0.0, method="lewiner", allow_degenerate=False)
    # verts are (k, j, i) = (z, y, x) in padded voxel indices
    xyz = np.stack([verts[:, 2], verts[:, 1], verts[:, 0]], axis=1) - 1.0
    xyz = xyz * field.spacing + np.asarray(field.origin)
    # skimage orients faces for "inside = higher values"; flip to outward normals.
    mesh = trimesh.Trimesh(vertices=xyz, faces=faces[:, ::-1], process=True)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def keep_significant_shells(mesh: trimesh.Trimesh, min_volume_fraction: float = 0.01) -> trimesh.Trimesh:
    """Drop specks: keep closed shells with at least ``min_volume_fraction`` of the total volume."""
    parts = mesh.split(only_watertight=False)
    if len(parts) <= 1:
        return mesh
    volumes = np.array([abs(p.volume) for p in parts])
    keep = [p for p, vol in zip(parts, volumes, strict=True) if vol >= min_volume_fraction * volumes.sum()]
    return trimesh.util.concatenate(keep) if len(keep) > 1 else keep[0]


def remesh(mesh: trimesh.Trimesh, triangle_budget: int, smoothing_steps: int = 12) -> trimesh.Trimesh:
    """Taubin-smooth and decimate (quadric edge collapse, topology preserved) to the triangle budget."""
    ms = pymeshlab.MeshSet()
    ms.add_mesh(
        pymeshlab.Mesh(
            vertex_matrix=mesh.vertices.astype(np.float64), face_matrix=mesh.faces.astype(np.int32)
        )
    )
    if smoothing_steps > 0:
        ms.apply_coord_taubin_smoothing(stepsmoothnum=smoothing_steps)
    if len(mesh.faces) > triangle_budget:
        ms.meshing_decimation_quadric_edge_collapse(
            targetfacenum=int(triangle_budget),
            preservetopology=True,
            preserveboundary=True,
            preservenormal=True,
            optimalplacement=True,
            planarquadric=True,
            qualitythr=0.4,
        )
        ms.apply_coord_taubin_smoothing(stepsmoothnum=3)
    m = ms.current_mesh()
    out = trimesh.Trimesh(vertices=m.vertex_matrix(), faces=m.face_matrix(), process=True)
    if not out.is_watertight or not out.is_winding_consistent:
        trimesh.repair.fix_winding(out)
        if not out.is_watertight:
            # Decimation must never cost watertightness: fall back to the smoothed, undecimated surface.
            return mesh
    if out.volume < 0:
        out.invert()
    return out
