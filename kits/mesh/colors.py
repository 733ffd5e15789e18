"""Vertex colours of a mesh, whatever visual trimesh loaded it with.

The studio's canonical colour is one RGBA (uint8) per vertex: every writer of this package reads it through
:func:`vertex_colors_of`, so a mesh that came in with a texture (GLB/OBJ) or with face colours exports the
same as one with vertex colours.

Those bytes are sRGB-encoded (what a photo, a PLY, a 3MF and a printer mean by 230,20,20). glTF's ``COLOR_0``
is linear by specification, so the GLB writer and the glTF loader convert with the one pair of functions
here, :func:`srgb_to_linear` and :func:`linear_to_srgb` (IEC 61966-2-1 transfer function; alpha is never
gamma-encoded and passes through scaled only).
"""

from __future__ import annotations

import numpy as np
import trimesh

DEFAULT_BASE_RGBA = (54, 54, 58, 255)


def srgb_to_linear(rgba) -> np.ndarray:
    """sRGB colours ``(..., 3|4)`` (uint8 0-255, or floats 0-1) to linear float32 0-1, alpha kept linear.

    A red 230,20,20 becomes about (0.791, 0.007, 0.007).
    """
    values = np.asarray(rgba)
    unit = values / 255.0 if np.issubdtype(values.dtype, np.integer) else values.astype(np.float64)
    unit = np.clip(unit, 0.0, 1.0)
    out = unit.copy()
    rgb = unit[..., :3]
    out[..., :3] = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return out.astype(np.float32)


def linear_to_srgb(linear) -> np.ndarray:
    """Linear colours ``(..., 3|4)`` (floats 0-1) to sRGB uint8 0-255, alpha scaled only: the inverse of
    :func:`srgb_to_linear` (a byte comes back as itself)."""
    unit = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    out = unit.copy()
    rgb = unit[..., :3]
    out[..., :3] = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * rgb ** (1 / 2.4) - 0.055)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


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
