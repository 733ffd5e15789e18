"""Parametric template bodies: what a sculptor starts from when reconstruction fails.

A watertight, neutral-grey figure per product line (person, couple, pet, bust, family group),
built from primitives united with manifold3d, in studio conventions: millimetres, Z up, facing -Y,
standing on z = 0, scaled to the ordered height.
"""

from __future__ import annotations

import manifold3d as m3d
import numpy as np
import trimesh

GREY = (190, 190, 190, 255)


def _sphere(r: float, at: tuple[float, float, float], scale=(1.0, 1.0, 1.0)) -> m3d.Manifold:
    return m3d.Manifold.sphere(r, 48).scale(scale).translate(at)


def _limb(a: tuple[float, float, float], b: tuple[float, float, float], r: float) -> m3d.Manifold:
    return m3d.Manifold.hull(m3d.Manifold.batch_hull([_sphere(r, a), _sphere(r, b)]))


def _person(x: float = 0.0, scale: float = 1.0) -> m3d.Manifold:
    """A standing person about 100 units tall with feet on z = 0, centred on x."""
    s = scale
    parts = [
        _sphere(9 * s, (x, 0, 88 * s), (0.9, 1.0, 1.1)),  # head
        _limb((x, 0, 72 * s), (x, 0, 80 * s), 4 * s),  # neck
        _sphere(16 * s, (x, 0, 58 * s), (1.0, 0.6, 1.2)),  # chest
        _sphere(14 * s, (x, 0, 42 * s), (1.0, 0.65, 0.9)),  # hips
        _limb((x - 15 * s, 0, 68 * s), (x - 19 * s, 0, 40 * s), 4 * s),  # arms
        _limb((x + 15 * s, 0, 68 * s), (x + 19 * s, 0, 40 * s), 4 * s),
        _limb((x - 7 * s, 0, 38 * s), (x - 8 * s, 0, 4 * s), 5 * s),  # legs
        _limb((x + 7 * s, 0, 38 * s), (x + 8 * s, 0, 4 * s), 5 * s),
        _sphere(5 * s, (x - 8 * s, -3 * s, 3 * s), (1.0, 1.8, 0.7)),  # feet
        _sphere(5 * s, (x + 8 * s, -3 * s, 3 * s), (1.0, 1.8, 0.7)),
    ]
    return m3d.Manifold.batch_boolean(parts, m3d.OpType.Add)


def _pet() -> m3d.Manifold:
    parts = [
        _sphere(22, (0, 8, 34), (0.8, 1.6, 0.8)),  # body
        _sphere(12, (0, -26, 54)),  # head facing -Y
        _sphere(5, (0, -37, 50), (1.0, 1.2, 0.8)),  # snout
        _limb((0, 28, 40), (0, 44, 58), 3),  # tail
    ]
    for lx in (-10, 10):
        for ly in (-12, 24):
            parts.append(_limb((lx, ly, 30), (lx, ly, 4), 5))
    return m3d.Manifold.batch_boolean(parts, m3d.OpType.Add)


def _bust() -> m3d.Manifold:
    parts = [
        m3d.Manifold.cylinder(12, 22, 24, 64).translate((0, 0, 0)),  # plinth
        _sphere(30, (0, 0, 30), (1.2, 0.6, 0.6)),  # shoulders
        _limb((0, 0, 40), (0, 0, 58), 9),  # neck
        _sphere(20, (0, 0, 74), (0.85, 1.0, 1.15)),  # head
    ]
    return m3d.Manifold.batch_boolean(parts, m3d.OpType.Add)


def template_body(product_line: str, *, height_mm: float, persons: int = 1) -> trimesh.Trimesh:
    """A watertight grey template figure for the product line at the ordered height."""
    if product_line == "pet":
        solid = _pet()
    elif product_line == "bust":
        solid = _bust()
    else:
        count = 2 if product_line == "couple" else max(1, persons) if product_line == "family" else 1
        spacing = 42.0
        offsets = (np.arange(count) - (count - 1) / 2) * spacing
        solid = m3d.Manifold.batch_boolean([_person(float(x)) for x in offsets], m3d.OpType.Add)
    raw = solid.to_mesh()
    mesh = trimesh.Trimesh(
        vertices=np.asarray(raw.vert_properties)[:, :3], faces=np.asarray(raw.tri_verts), process=True
    )
    lo, hi = mesh.bounds
    mesh.apply_translation([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    mesh.apply_scale(height_mm / (hi[2] - lo[2]))
    mesh.visual.vertex_colors = np.tile(np.array(GREY, dtype=np.uint8), (len(mesh.vertices), 1))
    return mesh
