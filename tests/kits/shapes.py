"""Small test meshes for the export/preview/render/compare tests (built here, never downloaded)."""

from __future__ import annotations

import numpy as np
import trimesh

RED = np.array([230, 20, 20, 255], dtype=np.uint8)
BLUE = np.array([20, 40, 220, 255], dtype=np.uint8)
GREY = np.array([180, 180, 180, 255], dtype=np.uint8)


def with_colors(mesh: trimesh.Trimesh, colors: np.ndarray) -> trimesh.Trimesh:
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


def two_colour_block(extents=(20.0, 12.0, 40.0), subdivisions: int = 2) -> trimesh.Trimesh:
    """An upright block standing on z = 0: red where x > 0, blue where x < 0 (watertight, stable)."""
    mesh = trimesh.creation.box(extents=extents)
    for _ in range(subdivisions):
        mesh = mesh.subdivide()
    mesh.merge_vertices()
    mesh.vertices[:, 2] += extents[2] / 2
    colors = np.where((mesh.vertices[:, 0] > 0)[:, None], RED, BLUE)
    return with_colors(mesh, colors.astype(np.uint8))


def leaning_cylinder(shear: float = 0.9) -> trimesh.Trimesh:
    """A cylinder of radius 5 and height 40 sheared along +X: its centre of mass lies beyond its foot."""
    mesh = trimesh.creation.cylinder(radius=5.0, height=40.0, sections=48)
    mesh.vertices[:, 2] += 20.0
    mesh.vertices[:, 0] += shear * mesh.vertices[:, 2]
    return with_colors(mesh, np.tile(GREY, (len(mesh.vertices), 1)))


def coloured_sphere(subdivisions: int = 4, radius: float = 30.0) -> trimesh.Trimesh:
    """A sphere, red on its +X cap (x > radius / 3), grey elsewhere."""
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    colors = np.where((mesh.vertices[:, 0] > radius / 3)[:, None], RED, GREY)
    return with_colors(mesh, colors.astype(np.uint8))


def colours_by_side(vertices: np.ndarray, colors: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Distinct RGB of the vertices well on the +X side and well on the -X side."""
    right = colors[vertices[:, 0] > width / 4][:, :3]
    left = colors[vertices[:, 0] < -width / 4][:, :3]
    return np.unique(right, axis=0), np.unique(left, axis=0)
