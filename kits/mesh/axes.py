"""The studio's axes and glTF's, in one place.

Studio meshes are millimetres, Z up, facing -Y (DESIGN.md section 6). glTF/GLB is Y up by
specification with +Z towards the viewer, so a studio point (x, y, z) is stored as glTF (x, z, -y):
a figurine facing -Y then faces a glTF viewer's camera. Every GLB the studio writes goes through
`glb_bytes`, and the loader turns GLB content back with `GLTF_TO_STUDIO`.
"""

from __future__ import annotations

import numpy as np
import trimesh

# studio (x, y, z) -> glTF (x, z, -y): a -90 degree turn about X
STUDIO_TO_GLTF = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])
GLTF_TO_STUDIO = np.linalg.inv(STUDIO_TO_GLTF)


def studio_to_gltf(points) -> np.ndarray:
    """Studio coordinates (Z up) to glTF's (Y up)."""
    return trimesh.transform_points(np.asarray(points, dtype=np.float64).reshape(-1, 3), STUDIO_TO_GLTF)


def gltf_to_studio(points) -> np.ndarray:
    """glTF coordinates (Y up) back to the studio's (Z up)."""
    return trimesh.transform_points(np.asarray(points, dtype=np.float64).reshape(-1, 3), GLTF_TO_STUDIO)


def for_gltf(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy of a studio mesh turned into glTF axes (colours kept)."""
    turned = mesh.copy()
    turned.apply_transform(STUDIO_TO_GLTF)
    return turned


def glb_bytes(mesh: trimesh.Trimesh, *, include_normals: bool = True) -> bytes:
    """A studio mesh as GLB bytes in glTF axes, vertex colours kept."""
    return trimesh.exchange.gltf.export_glb(trimesh.Scene(for_gltf(mesh)), include_normals=include_normals)
