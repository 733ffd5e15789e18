"""Vertex colours of a mesh, whatever visual trimesh loaded it with.

The studio's canonical colour is one RGBA (uint8) per vertex: every writer of this package reads it through
:func:`vertex_colors_of`, so a mesh that came in with a texture (GLB/OBJ) or with face colours exports the
same as one with vertex colours.
"""

from __future__ import annotations

import numpy as np
import trimesh

DEFAULT_BASE_RGBA = (54, 54, 58, 255)


def vertex_colors_of(mesh: trimesh.Trimesh) -> np.ndarray | None:
    """Per-vertex RGBA uint8 ``(n, 4)`` of ``mesh``, or None when the mesh carries no colour at all."""
    visual = mesh.visual
    if visual is None:
        return None
    kind = getattr(visual, "kind", None)
    if kind is None:
        return None
    if kind == "texture":
        try:
            visual = visual.to_color()
        except Exception:  # a texture trimesh cannot sample: treat as uncoloured
            return None
    colors = np.asarray(visual.vertex_colors)
    if colors.shape != (len(mesh.vertices), 4):
        return None
    return np.ascontiguousarray(colors, dtype=np.uint8)


def face_colors_from_vertices(faces: np.ndarray, vertex_colors: np.ndarray) -> np.ndarray:
    """Flat RGBA per face: the rounded mean of its three corners' colours."""
    mean = vertex_colors[faces].astype(np.float32).mean(axis=1)
    return np.clip(np.rint(mean), 0, 255).astype(np.uint8)


def colored_mesh(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> trimesh.Trimesh:
    """A trimesh over the given arrays, unprocessed, with vertex colours when given."""
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    if colors is not None:
        mesh.visual = trimesh.visual.ColorVisuals(mesh=mesh, vertex_colors=colors)
    return mesh
