"""The test meshes, defined once: small figurines built from manifold3d / trimesh primitives (mm, Z up,
standing on z = 0), and their bytes in a file format."""

from __future__ import annotations

import io

import manifold3d as m3
import numpy as np
import trimesh

from kits.mesh.gltf import glb_bytes


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


def sphere_figurine(bump: float = 0.0, subdivisions: int = 2) -> trimesh.Trimesh:
    """A watertight little 'figurine': a sphere standing on z = 0, optionally with its top pushed up
    (a sculptor's round that differs from the last by `bump` mm)."""
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=20.0)
    mesh.apply_translation([0, 0, 20.0])
    if bump:
        top = mesh.vertices[:, 2] > 32
        mesh.vertices[top, 2] += bump
    return mesh


def open_sphere() -> trimesh.Trimesh:
    """Not watertight: the sphere figurine with a hole in its side."""
    mesh = sphere_figurine()
    keep = np.ones(len(mesh.faces), dtype=bool)
    keep[:6] = False
    mesh.update_faces(keep)
    return mesh


def coloured_figurine(*, tipping: bool = False) -> trimesh.Trimesh:
    """A small coloured figurine: a body (cylinder) and a head (sphere).

    With `tipping`, the head hangs far to one side so the figurine falls over without a base.
    """
    body = trimesh.creation.cylinder(radius=8, height=40, sections=20)
    body.apply_translation([0, 0, 20])
    head = trimesh.creation.icosphere(subdivisions=1, radius=11 if tipping else 9)
    head.apply_translation([45 if tipping else 0, 0, 52])
    mesh = trimesh.util.concatenate([body, head])
    mesh.visual.vertex_colors = np.tile([180, 120, 90, 255], (len(mesh.vertices), 1))
    return mesh


def mesh_bytes(mesh: trimesh.Trimesh, file_type: str = "stl") -> bytes:
    """The mesh written as `file_type` (stl, ply, glb, obj...); a GLB as glTF tools write it (metres, Y up,
    linear COLOR_0: the studio's writer), so it reads back at the mesh's millimetres."""
    if file_type == "glb":
        return glb_bytes(mesh)
    buffer = io.BytesIO()
    mesh.export(buffer, file_type=file_type)
    return buffer.getvalue()
