"""Hostile and broken mesh uploads, as bytes, for the preflight tests of the kit and the upload service."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np

from tests.kits.mesh.meshes import box, mesh_bytes

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-'
    '3dmodel+xml"/></Types>'
)


def model_xml(prolog: str = "", body: str = "") -> str:
    """A one-triangle 3MF model part, with ``prolog`` after the XML declaration."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<model unit="millimeter" xmlns="{CORE}"><resources>'
        '<object id="1" type="model"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/>'
        f'<vertex x="0" y="1" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles>{body}'
        '</mesh></object></resources><build><item objectid="1"/></build></model>'
    )


def three_mf(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_3mf() -> bytes:
    """A model part of 40 MB of spaces: a few tens of kB compressed."""
    return three_mf({"3D/3dmodel.model": model_xml() + " " * (40 * 1024 * 1024)})


def xxe_3mf() -> bytes:
    prolog = '<!DOCTYPE model [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return three_mf({"[Content_Types].xml": CONTENT_TYPES, "3D/3dmodel.model": model_xml(prolog)})


def billion_laughs_3mf() -> bytes:
    entities = '<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    return three_mf({"3D/3dmodel.model": model_xml(f"<!DOCTYPE model [{entities}]>", "<!-- &j; -->")})


def nan_obj() -> bytes:
    return b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 1\nv 0 0 inf\nf 1 2 3\nf 1 3 4\nf 1 2 5\n"


def nan_stl() -> bytes:
    """A binary STL (a box) with one vertex coordinate set to NaN."""
    data = bytearray(mesh_bytes(box()))
    struct.pack_into("<f", data, 84 + 12, float("nan"))  # first triangle, first vertex, x
    return bytes(data)


def out_of_range_obj() -> bytes:
    return b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 9\n"


def out_of_range_ply() -> bytes:
    return (
        b"ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
        b"element face 2\nproperty list uchar int vertex_indices\nend_header\n"
        b"0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0 1 7\n"
    )


def glb_document(data: bytes) -> tuple[dict, bytes]:
    """A GLB's JSON and the bytes after its JSON chunk."""
    json_len = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20 : 20 + json_len]), data[20 + json_len :]


def glb_from(document: dict, rest: bytes, *, length: int | None = None) -> bytes:
    body = json.dumps(document).encode()
    body += b" " * (-len(body) % 4)
    total = 20 + len(body) + len(rest)
    return (
        struct.pack("<4sII", b"glTF", 2, total if length is None else length)
        + struct.pack("<II", len(body), 0x4E4F534A)
        + body
        + rest
    )


def external_image_glb() -> bytes:
    document, rest = glb_document(mesh_bytes(box(), "glb"))
    document["images"] = [{"uri": "http://169.254.169.254/latest/meta-data/texture.png"}]
    return glb_from(document, rest)


def external_buffer_gltf() -> bytes:
    document, _rest = glb_document(mesh_bytes(box(), "glb"))
    document["buffers"] = [{"uri": "file:///etc/passwd", "byteLength": 100}]
    return json.dumps(document).encode()


def external_buffer_glb() -> bytes:
    """A GLB whose one buffer is a URL instead of its BIN chunk."""
    document, rest = glb_document(mesh_bytes(box(), "glb"))
    document["buffers"][0]["uri"] = "https://example.com/stolen.bin"
    return glb_from(document, rest)


def truncated_glb() -> bytes:
    data = mesh_bytes(box(), "glb")
    return data[: len(data) - 64]


def good_meshes() -> dict[str, bytes]:
    shape = box()
    rng = np.random.default_rng(1)
    shape.vertices += rng.normal(0, 1e-3, shape.vertices.shape)
    return {f"good.{fmt}": mesh_bytes(shape, fmt) for fmt in ("stl", "ply", "obj", "glb", "3mf")}


#: (file name, bytes maker, refusal code, words the message has) of each hostile upload.
HOSTILE = {
    "zip_bomb_3mf": ("bomb.3mf", zip_bomb_3mf, "unsafe", "zip bomb"),
    "xxe_3mf": ("xxe.3mf", xxe_3mf, "unsafe", "DOCTYPE or XML entities"),
    "billion_laughs_3mf": ("laughs.3mf", billion_laughs_3mf, "unsafe", "DOCTYPE or XML entities"),
    "nan_obj": ("nan.obj", nan_obj, "invalid_coordinates", "NaN or infinite"),
    "nan_stl": ("nan.stl", nan_stl, "invalid_coordinates", "NaN or infinite"),
    "out_of_range_obj": ("index.obj", out_of_range_obj, "invalid_coordinates", "do not exist"),
    "out_of_range_ply": ("index.ply", out_of_range_ply, "invalid_coordinates", "do not exist"),
    "external_image_glb": ("texture.glb", external_image_glb, "unsafe", "external texture image"),
    "external_buffer_gltf": ("buffer.gltf", external_buffer_gltf, "unsafe", "external buffer"),
    "external_buffer_glb": ("buffer.glb", external_buffer_glb, "unsafe", "external buffer"),
    "truncated_glb": ("short.glb", truncated_glb, "unreadable", "GLB header says"),
}
