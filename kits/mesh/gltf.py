"""The studio's one GLB writer: a studio mesh (mm, Z up, sRGB vertex colours) as a glTF 2.0 binary.

Every GLB the studio writes (web previews, heatmaps, revision 0 from reconstruction, the print GLB, the
demo's rounds) comes from :func:`glb_bytes`, so each one follows glTF's own rules, checked by the Khronos
validator in the suite (``tools/validate_gltf.mjs``):

* positions in metres, Y up (:data:`kits.mesh.axes.STUDIO_TO_GLTF`), with the accessor's exact min/max;
* ``COLOR_0`` linear (:func:`kits.mesh.colors.srgb_to_linear`) as normalised unsigned short VEC4, so dark
  tones keep their precision (an 8-bit linear value would turn sRGB 20 into 22);
* optional unit normals, indices as unsigned int, every bufferView 4-byte aligned with its target;
* one matte, non-metallic material (resin is not metal; glTF's default material is fully metallic).

The studio's loader (:func:`kits.mesh.io.load_mesh`) reads these files, and any other glTF, back to
millimetres, Z up and sRGB bytes: it loads ``COLOR_0`` raw under :data:`LINEAR_COLOR_ATTRIBUTE` and hands the
result to :func:`colors_to_srgb`.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import trimesh

from kits.mesh.axes import studio_to_gltf
from kits.mesh.colors import linear_to_srgb, srgb_to_linear, vertex_colors_of

GENERATOR = "Figurine Studio"
_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_TRIANGLES = 4
_JSON_CHUNK, _BIN_CHUNK = 0x4E4F534A, 0x004E4942


class _Buffer:
    """The binary chunk being built: bufferViews and accessors appended one array at a time."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.length = 0
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array: np.ndarray, *, component: int, kind: str, target: int, **extra) -> int:
        data = np.ascontiguousarray(array).tobytes()
        self.views.append({"buffer": 0, "byteOffset": self.length, "byteLength": len(data), "target": target})
        padded = data + b"\x00" * (-len(data) % 4)
        self.parts.append(padded)
        self.length += len(padded)
        self.accessors.append(
            {"bufferView": len(self.views) - 1, "componentType": component, "count": len(array), "type": kind}
            | extra
        )
        return len(self.accessors) - 1


def _unit_normals(mesh: trimesh.Trimesh) -> np.ndarray:
    """The mesh's vertex normals turned into glTF axes, float32 and of unit length (glTF requires it);
    a vertex with no usable normal (unused, or only in degenerate triangles) gets glTF's up."""
    normals = studio_to_gltf(
        np.asarray(mesh.vertex_normals, dtype=np.float64)
    )  # a direction: scale dropped below
    normals = normals.astype(np.float32)
    length = np.linalg.norm(normals, axis=1)
    bad = ~np.isfinite(length) | (length < 1e-12)
    normals[bad] = (0.0, 1.0, 0.0)
    length[bad] = 1.0
    normals /= length[:, None]
    return normals / np.linalg.norm(normals, axis=1)[:, None]  # once more in float32: |n| within 1e-7


def glb_bytes(mesh: trimesh.Trimesh, *, include_normals: bool = True, name: str = "figurine") -> bytes:
    """``mesh`` (studio coordinates: mm, Z up; sRGB vertex colours if any) as GLB bytes in metres, Y up,
    ``COLOR_0`` linear. Raises ValueError for a mesh without triangles (glTF has no empty accessors)."""
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) == 0 or len(mesh.vertices) == 0:
        raise ValueError("the mesh has no triangles")
    positions = studio_to_gltf(mesh.vertices).astype(np.float32)
    buffer = _Buffer()
    indices = buffer.add(
        faces.astype("<u4").reshape(-1), component=_UNSIGNED_INT, kind="SCALAR", target=_ELEMENT_ARRAY_BUFFER
    )
    attributes = {
        "POSITION": buffer.add(
            positions.astype("<f4"),
            component=_FLOAT,
            kind="VEC3",
            target=_ARRAY_BUFFER,
            min=[float(v) for v in positions.min(axis=0)],
            max=[float(v) for v in positions.max(axis=0)],
        )
    }
    if include_normals:
        attributes["NORMAL"] = buffer.add(
            _unit_normals(mesh).astype("<f4"), component=_FLOAT, kind="VEC3", target=_ARRAY_BUFFER
        )
    colors = vertex_colors_of(mesh)
    if colors is not None:
        linear = np.rint(srgb_to_linear(colors).astype(np.float64) * 65535.0).astype("<u2")
        attributes["COLOR_0"] = buffer.add(
            linear, component=_UNSIGNED_SHORT, kind="VEC4", target=_ARRAY_BUFFER, normalized=True
        )
    document = {
        "asset": {"version": "2.0", "generator": GENERATOR},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": name, "mesh": 0}],
        "meshes": [
            {
                "name": name,
                "primitives": [
                    {"attributes": attributes, "indices": indices, "material": 0, "mode": _TRIANGLES}
                ],
            }
        ],
        "materials": [
            {
                "name": "resin",
                "pbrMetallicRoughness": {
                    "baseColorFactor": [1.0, 1.0, 1.0, 1.0],
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.8,
                },
            }
        ],
        "accessors": buffer.accessors,
        "bufferViews": buffer.views,
        "buffers": [{"byteLength": buffer.length}],
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    body += b" " * (-len(body) % 4)
    binary = b"".join(buffer.parts)
    total = 12 + 8 + len(body) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<II", len(body), _JSON_CHUNK),
            body,
            struct.pack("<II", len(binary), _BIN_CHUNK),
            binary,
        ]
    )


# ---------------------------------------------------------------------------------------------- reading
#: the name the loader gives a glTF's COLOR_0 so trimesh loads it raw (application attributes start "_")
LINEAR_COLOR_ATTRIBUTE = "_STUDIO_LINEAR_COLOR_0"
_NORMALISED_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def colors_to_srgb(loaded) -> None:
    """Give every mesh trimesh loaded from a glTF its ``COLOR_0`` (found raw under
    :data:`LINEAR_COLOR_ATTRIBUTE`) as sRGB vertex colours, in place.

    ``COLOR_0`` is linear by glTF's definition: float, or normalised unsigned byte/short. A primitive with a
    colour texture keeps the texture (sRGB by glTF's definition) as its colour.
    """
    meshes = loaded.geometry.values() if isinstance(loaded, trimesh.Scene) else [loaded]
    for mesh in meshes:
        attributes = getattr(mesh, "vertex_attributes", None)
        raw = attributes.pop(LINEAR_COLOR_ATTRIBUTE, None) if attributes is not None else None
        if raw is None or not isinstance(mesh, trimesh.Trimesh):
            continue
        raw = np.asarray(raw)
        if raw.ndim != 2 or raw.shape[1] not in (3, 4) or len(raw) != len(mesh.vertices):
            continue
        material = getattr(mesh.visual, "material", None)
        textured = getattr(mesh.visual, "uv", None) is not None and (
            getattr(material, "baseColorTexture", None) is not None
            or getattr(material, "image", None) is not None
        )
        if textured:
            continue
        if raw.dtype.kind in "ui":
            linear = raw / _NORMALISED_MAX.get(raw.dtype, float(np.iinfo(raw.dtype).max))
        else:
            linear = raw.astype(np.float64)
        mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=linear_to_srgb(linear))
