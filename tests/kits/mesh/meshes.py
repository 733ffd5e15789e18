"""Small test meshes built from manifold3d / trimesh primitives (mm, Z up, standing on z = 0)."""

from __future__ import annotations

import manifold3d as m3
import numpy as np
import trimesh


def to_trimesh(solid: m3.Manifold) -> trimesh.Trimesh:
    mesh = solid.to_mesh()
    vertices = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3]
    faces = np.asarray(mesh.tri_verts, dtype=np.int64)
    return trimesh.Trimesh(vertices, faces, process=False)


def capsule(a: tuple[float, float, float], b: tuple[float, float, float], r: float) -> m3.Manifold:
    """A capsule as the hull of two spheres."""
    s1 = m3.Manifold.sphere(r, 24).translate(a)
    s2 = m3.Manifold.sphere(r, 24).translate(b)
    return m3.Manifold.batch_hull([s1, s2])


def figurine_solid(with_base: bool = True) -> m3.Manifold:
    """A clean figurine about 100 mm tall: base, legs, body, arms, head (one union)."""
    parts = [
        capsule((-6, 0, 8), (-5, 0, 45), 4.5),
        capsule((6, 0, 8), (5, 0, 45), 4.5),
        capsule((0, 0, 48), (0, 0, 70), 11.0),
        capsule((-13, 0, 68), (-17, -4, 45), 3.5),
        capsule((13, 0, 68), (17, -4, 45), 3.5),
        m3.Manifold.sphere(9.0, 40).translate((0, 0, 88)),
    ]
    if with_base:
        parts.append(m3.Manifold.cylinder(5.0, 22.0, 22.0, 64))
    solid = parts[0]
    for part in parts[1:]:
        solid = solid + part
    return solid


def figurine(with_base: bool = True) -> trimesh.Trimesh:
    mesh = to_trimesh(figurine_solid(with_base))
    mesh.vertices[:, 2] -= mesh.vertices[:, 2].min()
    return mesh


def box(extents=(10.0, 10.0, 10.0), center=(0.0, 0.0, 5.0)) -> trimesh.Trimesh:
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(center)
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)


def concatenate(*meshes: trimesh.Trimesh) -> trimesh.Trimesh:
    vertices, faces, offset = [], [], 0
    for mesh in meshes:
        vertices.append(np.asarray(mesh.vertices))
        faces.append(np.asarray(mesh.faces) + offset)
        offset += len(mesh.vertices)
    return trimesh.Trimesh(np.vstack(vertices), np.vstack(faces), process=False)


def with_sliver(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Split one edge with a collinear vertex, closing the gap with a zero-area face (still watertight)."""
    vertices = np.asarray(mesh.vertices).copy()
    faces = np.asarray(mesh.faces).copy()
    a, b, c = faces[0]
    m = len(vertices)
    vertices = np.vstack([vertices, (vertices[a] + vertices[b]) / 2])
    faces = np.vstack([faces[1:], [[a, m, c], [m, b, c], [a, b, m]]])
    return trimesh.Trimesh(vertices, faces, process=False)
