"""Placing a figurine for print: scale to the ordered height, stand it on z = 0, add a base when needed.

The ordered height includes the base. A base is a coloured, rounded slab (a disc with a 45-degree chamfer)
centred under the figurine's centre of mass and wide enough to hold its whole footprint with a margin;
it is unioned watertight with the figurine through manifold3d. When the figurine itself is not a closed
manifold the union is impossible and the base is added as a separate, overlapping shell (reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import manifold3d
import numpy as np
import trimesh

from kits.mesh.checks.stand import Stability, mesh_stability
from kits.mesh.colors import DEFAULT_BASE_RGBA, colored_mesh, vertex_colors_of

BASE_MODES = ("auto", "always", "never")
BASE_SEGMENTS = 128


class ExportError(ValueError):
    """An export that cannot be made (empty mesh, bad height, unknown format); one-line message."""


@dataclass
class Placement:
    """The figurine placed for print (millimetres), and what was done to it."""

    mesh: trimesh.Trimesh
    colors: np.ndarray | None
    scale: float
    base_added: bool
    base_reason: str
    base: dict | None
    stability_before: Stability
    warnings: list[str] = field(default_factory=list)


def base_thickness_mm(height_mm: float) -> float:
    """A few millimetres: 4 % of the height, between 2 and 5 mm."""
    return float(np.clip(0.04 * height_mm, 2.0, 5.0))


def place_for_print(
    mesh: trimesh.Trimesh,
    *,
    height_mm: float,
    base: str = "auto",
    base_rgba: tuple[int, int, int, int] = DEFAULT_BASE_RGBA,
) -> Placement:
    """Scale and place ``mesh`` (Z up) so that, with its base, it is ``height_mm`` tall on z = 0."""
    if base not in BASE_MODES:
        raise ExportError(f"base must be one of {', '.join(BASE_MODES)}, not {base!r}")
    if not np.isfinite(height_mm) or height_mm <= 0:
        raise ExportError(f"height must be a positive number of millimetres, not {height_mm!r}")
    if len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise ExportError("the mesh has no triangles")
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.isfinite(vertices).all():
        raise ExportError("the mesh has NaN or infinite coordinates")
    faces = np.asarray(mesh.faces, dtype=np.int64)
    colors = vertex_colors_of(mesh)
    figure_height = float(np.ptp(vertices[:, 2]))
    if figure_height <= 0:
        raise ExportError("the mesh is flat (zero height): nothing to stand up")

    # Judged at print size by the rule check_mesh uses for tips_over (one rule for both).
    before = mesh_stability(vertices * (height_mm / figure_height), faces)
    if base == "always":
        add_base, reason = True, "asked (--base always)"
    elif base == "never":
        add_base = False
        reason = "not asked (--base never)" + ("" if before.stable else "; the figurine would tip over")
    elif not before.stable:
        add_base, reason = (
            True,
            "the centre of mass is not safely over the footprint: the figurine would tip over",
        )
    else:
        add_base, reason = False, "stable without a base"

    warnings: list[str] = []
    if not add_base:
        scale = height_mm / figure_height
        placed = _center_xy(vertices * scale)
        out = colored_mesh(placed, faces, colors)
        return Placement(out, colors, scale, False, reason, None, before, warnings)

    thickness = base_thickness_mm(height_mm)
    overlap = min(0.6, 0.25 * thickness)
    if height_mm <= 3 * thickness:
        raise ExportError(f"height {height_mm:g} mm is too small for a {thickness:g} mm base")
    scale = (height_mm - thickness + overlap) / figure_height
    com_xy = np.asarray(before.center_of_mass_mm[:2]) * figure_height / height_mm
    figure = (vertices - [com_xy[0], com_xy[1], vertices[:, 2].min()]) * scale
    figure[:, 2] += thickness - overlap
    # footprint: whatever of the figure lies within the base's top slab, plus the contact points
    low = figure[figure[:, 2] <= thickness + 0.5][:, :2]
    reach = float(np.linalg.norm(low, axis=1).max()) if len(low) else 0.0
    radius = max(reach + max(2.0, 0.03 * height_mm), 0.2 * height_mm)
    base_mesh = _base_slab(radius, thickness, base_rgba)
    merged, union = _union_with_base(figure, faces, colors, base_mesh, base_rgba)
    if union != "manifold":
        warnings.append("the figurine is not a closed manifold: the base was added as an overlapping shell")
    merged_vertices, merged_faces, merged_colors = merged
    merged_vertices = _center_xy(merged_vertices)
    out = colored_mesh(merged_vertices, merged_faces, merged_colors)
    info = {
        "radius_mm": round(radius, 3),
        "thickness_mm": round(thickness, 3),
        "overlap_mm": round(overlap, 3),
        "rgba": list(base_rgba),
        "union": union,
    }
    return Placement(out, merged_colors, scale, True, reason, info, before, warnings)


def _center_xy(vertices: np.ndarray) -> np.ndarray:
    """Centre the bounding box on x/y and put the lowest point on z = 0."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    shift = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return vertices - shift


def _base_slab(radius: float, thickness: float, rgba: tuple[int, int, int, int]) -> manifold3d.Manifold:
    """A disc of ``radius`` whose top edge is chamfered at 45 degrees, from z = 0 to ``thickness``."""
    chamfer = min(0.35 * thickness, 0.1 * radius)
    body = manifold3d.Manifold.cylinder(thickness - chamfer, radius, radius, BASE_SEGMENTS)
    top = manifold3d.Manifold.cylinder(chamfer, radius, radius - chamfer, BASE_SEGMENTS).translate(
        (0.0, 0.0, thickness - chamfer)
    )
    slab = body + top
    mesh = slab.to_mesh()
    positions = np.asarray(mesh.vert_properties, dtype=np.float32)[:, :3]
    props = np.hstack([positions, np.tile(np.asarray(rgba, np.float32) / 255.0, (len(positions), 1))])
    return manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=np.ascontiguousarray(props, dtype=np.float32),
            tri_verts=np.ascontiguousarray(mesh.tri_verts, dtype=np.uint32),
        )
    )


def _union_with_base(
    figure: np.ndarray,
    faces: np.ndarray,
    colors: np.ndarray | None,
    base: manifold3d.Manifold,
    base_rgba: tuple[int, int, int, int],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray | None], str]:
    """Union of the figure and the base: watertight through manifold3d, else the two shells side by side."""
    figure_rgba = colors if colors is not None else np.tile([200, 200, 200, 255], (len(figure), 1))
    props = np.hstack([figure.astype(np.float32), figure_rgba.astype(np.float32) / 255.0])
    manifold_mesh = manifold3d.Mesh(
        vert_properties=np.ascontiguousarray(props, dtype=np.float32),
        tri_verts=np.ascontiguousarray(faces, dtype=np.uint32),
    )
    manifold_mesh.merge()
    solid = manifold3d.Manifold(manifold_mesh)
    if solid.status() == manifold3d.Error.NoError and not solid.is_empty():
        result = (solid + base).to_mesh()
        props = np.asarray(result.vert_properties, dtype=np.float64)
        tris = np.asarray(result.tri_verts, dtype=np.int64)
        remap = np.arange(len(props))
        merge_from = np.asarray(result.merge_from_vert, dtype=np.int64)
        if len(merge_from):
            remap[merge_from] = np.asarray(result.merge_to_vert, dtype=np.int64)
        tris = remap[tris]
        used = np.unique(tris)
        compact = np.full(len(props), -1, dtype=np.int64)
        compact[used] = np.arange(len(used))
        props = props[used]
        out_colors = np.clip(np.rint(props[:, 3:7] * 255), 0, 255).astype(np.uint8)
        return (props[:, :3], compact[tris], out_colors), "manifold"
    base_mesh = base.to_mesh()
    base_props = np.asarray(base_mesh.vert_properties, dtype=np.float64)
    vertices = np.vstack([figure, base_props[:, :3]])
    all_faces = np.vstack([faces, np.asarray(base_mesh.tri_verts, dtype=np.int64) + len(figure)])
    base_colors = np.tile(np.asarray(base_rgba, np.uint8), (len(base_props), 1))
    return (vertices, all_faces, np.vstack([figure_rgba.astype(np.uint8), base_colors])), "concatenated"
