"""The studio's axes and units and glTF's, in one place.

Studio meshes are millimetres, Z up, facing -Y (DESIGN.md section 6). glTF/GLB is metres and Y up by
specification, with +Z towards the viewer, so a studio point (x, y, z) mm is stored as glTF
(x, z, -y) / 1000 m: a figurine facing -Y then faces a glTF viewer's camera, and a 150 mm figurine is
0.15 m tall in Blender, in AR and in a game engine. ``STUDIO_TO_GLTF`` is that one conversion (a -90 degree
turn about X and the mm -> m scale); every GLB the studio writes goes through it
(:func:`kits.mesh.gltf.glb_bytes`), and the loader reads every glTF/GLB, the studio's own and sculptors'
uploads alike, back with ``GLTF_TO_STUDIO`` (glTF means metres, so an upload is multiplied by 1000).
The browser viewers do the same in JavaScript (``toGltf``/``toStudio`` in the preview templates).
"""

from __future__ import annotations

import numpy as np
import trimesh

#: glTF's unit is the metre; the studio's is the millimetre.
MM_PER_METRE = 1000.0

# studio (x, y, z) mm -> glTF (x, z, -y) m: a -90 degree turn about X, then mm -> m
STUDIO_TO_GLTF = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]]) @ np.diag(
    [1 / MM_PER_METRE, 1 / MM_PER_METRE, 1 / MM_PER_METRE, 1.0]
)
GLTF_TO_STUDIO = np.linalg.inv(STUDIO_TO_GLTF)


def studio_to_gltf(points) -> np.ndarray:
    """Studio coordinates (mm, Z up) to glTF's (metres, Y up)."""
    return trimesh.transform_points(np.asarray(points, dtype=np.float64).reshape(-1, 3), STUDIO_TO_GLTF)


def gltf_to_studio(points) -> np.ndarray:
    """glTF coordinates (metres, Y up) back to the studio's (mm, Z up)."""
    return trimesh.transform_points(np.asarray(points, dtype=np.float64).reshape(-1, 3), GLTF_TO_STUDIO)


def for_gltf(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy of a studio mesh in glTF axes and metres (colours kept)."""
    turned = mesh.copy()
    turned.apply_transform(STUDIO_TO_GLTF)
    return turned
