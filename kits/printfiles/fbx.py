"""Binary FBX 7.4 for game pipelines: a small writer and reader of our own (no Autodesk SDK).

Layout as Blender's ``io_scene_fbx/encode_bin.py`` writes it: the 27-byte header
(``Kaydara FBX Binary  \\x00\\x1a\\x00`` + version), node records (end offset, property count, property
bytes, name, typed properties, nested nodes closed by a 13-byte null record), and the fixed footer.
The scene holds one ``Geometry`` (``Vertices``, ``PolygonVertexIndex`` with the last index of each
polygon stored as ``-index - 1``, ``LayerElementColor`` by polygon vertex, a UV layer onto a palette
texture, ``LayerElementMaterial`` all polygons material 0) and one ``Model``, connected to the root, with
a Lambert ``Material`` whose diffuse colour is the embedded palette texture (so Blender's material view
shows the colours, not only its colour-attribute shading). Units: millimetres (``UnitScaleFactor`` 0.1, FBX counts in centimetres), Z up.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FBX_VERSION = 7400
HEAD_MAGIC = b"Kaydara FBX Binary\x20\x20\x00\x1a\x00"
NULL_RECORD = b"\x00" * 13
# Fixed time stamp, file id and footer id, as Blender writes them (the SDK checks they agree).
TIME_ID = b"1970-01-01 10:00:00:000"
FILE_ID = b"\x28\xb3\x2a\xeb\xb6\x24\xcc\xc2\xbf\xc8\xb0\x2a\xa9\x2b\xfc\xf1"
FOOT_ID = b"\xfa\xbc\xab\x09\xd0\xc8\xd4\x66\xb1\x76\xfb\x83\x1c\xf7\x26\x7e"
FOOT_MAGIC = b"\xf8\x5a\x8c\x6a\xde\xf5\xd9\x7e\xec\xe9\x0c\xe3\x75\x8f\x29\x0b"
ALWAYS_NULL_RECORD = {b"AnimationStack", b"AnimationLayer"}

_SCALAR = {"C": "<?", "Y": "<h", "I": "<i", "L": "<q", "F": "<f", "D": "<d"}
_ARRAY = {"b": np.bool_, "i": np.int32, "l": np.int64, "f": np.float32, "d": np.float64}


@dataclass
class Node:
    """One FBX node record: a name, typed properties ``(code, value)`` and children."""

    name: str
    props: list[tuple[str, object]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def add(self, name: str, *props: tuple[str, object]) -> Node:
        child = Node(name, list(props))
        self.children.append(child)
        return child

    def find(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name == name), None)

    def find_all(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name == name]


def _encode_prop(code: str, value: object) -> bytes:
    if code in _SCALAR:
        return code.encode() + struct.pack(_SCALAR[code], value)
    if code in ("S", "R"):
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]
        return code.encode() + struct.pack("<I", len(data)) + data
    if code in _ARRAY:
        array = np.ascontiguousarray(value, dtype=_ARRAY[code]).astype(
            np.dtype(_ARRAY[code]).newbyteorder("<")
        )
        raw = array.tobytes()
        if len(raw) > 128:
            payload = zlib.compress(raw, 1)
            return code.encode() + struct.pack("<3I", array.size, 1, len(payload)) + payload
        return code.encode() + struct.pack("<3I", array.size, 0, len(raw)) + raw
    raise ValueError(f"unknown FBX property type {code!r}")


def _write_node(out: bytearray, node: Node, is_last: bool) -> None:
    start = len(out)
    props = b"".join(_encode_prop(code, value) for code, value in node.props)
    name = node.name.encode("ascii")
    out += struct.pack("<3I", 0, len(node.props), len(props))
    out += bytes((len(name),)) + name + props
    if node.children:
        for i, child in enumerate(node.children):
            _write_node(out, child, i == len(node.children) - 1)
        out += NULL_RECORD
    elif (not node.props and not is_last) or name in ALWAYS_NULL_RECORD:
        out += NULL_RECORD
    struct.pack_into("<I", out, start, len(out))


def encode(top_level: list[Node]) -> bytes:
    """The bytes of a binary FBX 7.4 file holding ``top_level`` nodes."""
    out = bytearray(HEAD_MAGIC + struct.pack("<I", FBX_VERSION))
    for node in top_level:
        _write_node(out, node, False)
    out += NULL_RECORD
    out += FOOT_ID + b"\x00" * 4
    pad = ((len(out) + 15) & ~15) - len(out)
    out += b"\x00" * (pad or 16)
    out += struct.pack("<I", FBX_VERSION) + b"\x00" * 120 + FOOT_MAGIC
    return bytes(out)


def _p(node: Node, name: str, type_name: str, label: str, flags: str, *values: tuple[str, object]) -> None:
    node.add("P", ("S", name), ("S", type_name), ("S", label), ("S", flags), *values)


def scene_nodes(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None, name: str) -> list[Node]:
    """The node tree of a scene with one coloured triangle mesh."""
    header = Node("FBXHeaderExtension")
    header.add("FBXHeaderVersion", ("I", 1003))
    header.add("FBXVersion", ("I", FBX_VERSION))
    stamp = header.add("CreationTimeStamp")
    for key, value in (("Version", 1000), ("Year", 1970), ("Month", 1), ("Day", 1), ("Hour", 10)):
        stamp.add(key, ("I", value))
    for key in ("Minute", "Second", "Millisecond"):
        stamp.add(key, ("I", 0))
    header.add("Creator", ("S", "Figurine Studio"))

    settings = Node("GlobalSettings")
    settings.add("Version", ("I", 1000))
    props = settings.add("Properties70")
    for key, value in (("UpAxis", 2), ("UpAxisSign", 1), ("FrontAxis", 1), ("FrontAxisSign", -1)):
        _p(props, key, "int", "Integer", "", ("I", value))
    for key, value in (
        ("CoordAxis", 0),
        ("CoordAxisSign", 1),
        ("OriginalUpAxis", 2),
        ("OriginalUpAxisSign", 1),
    ):
        _p(props, key, "int", "Integer", "", ("I", value))
    _p(props, "UnitScaleFactor", "double", "Number", "", ("D", 0.1))
    _p(props, "OriginalUnitScaleFactor", "double", "Number", "", ("D", 0.1))
    _p(props, "AmbientColor", "ColorRGB", "Color", "", ("D", 0.0), ("D", 0.0), ("D", 0.0))
    _p(props, "DefaultCamera", "KString", "", "", ("S", "Producer Perspective"))
    _p(props, "TimeMode", "enum", "", "", ("I", 11))
    _p(props, "TimeSpanStart", "KTime", "Time", "", ("L", 0))
    _p(props, "TimeSpanStop", "KTime", "Time", "", ("L", 46186158000))
    _p(props, "CustomFrameRate", "double", "Number", "", ("D", 24.0))

    documents = Node("Documents")
    documents.add("Count", ("I", 1))
    document = documents.add("Document", ("L", 1000), ("S", ""), ("S", "Scene"))
    doc_props = document.add("Properties70")
    _p(doc_props, "SourceObject", "object", "", "")
    _p(doc_props, "ActiveAnimStackName", "KString", "", "", ("S", ""))
    document.add("RootNode", ("L", 0))

    definitions = Node("Definitions")
    definitions.add("Version", ("I", 100))
    types = ("GlobalSettings", "Model", "Geometry", "Material") + (
        ("Texture", "Video") if colors is not None else ()
    )
    definitions.add("Count", ("I", len(types)))
    for type_name in types:
        definitions.add("ObjectType", ("S", type_name)).add("Count", ("I", 1))

    geometry_id, model_id = 2_000_001, 2_000_002
    objects = Node("Objects")
    geometry = objects.add("Geometry", ("L", geometry_id), ("S", f"{name}\x00\x01Geometry"), ("S", "Mesh"))
    geometry.add("Properties70")
    geometry.add("GeometryVersion", ("I", 124))
    geometry.add("Vertices", ("d", np.asarray(vertices, dtype=np.float64).ravel()))
    polygon_index = np.asarray(faces, dtype=np.int32).copy()
    polygon_index[:, 2] = -polygon_index[:, 2] - 1  # negative (xor -1) marks a polygon's last corner
    geometry.add("PolygonVertexIndex", ("i", polygon_index.ravel()))
    if colors is not None:
        layer_color = geometry.add("LayerElementColor", ("I", 0))
        layer_color.add("Version", ("I", 101))
        layer_color.add("Name", ("S", "Col"))
        layer_color.add("MappingInformationType", ("S", "ByPolygonVertex"))
        layer_color.add("ReferenceInformationType", ("S", "IndexToDirect"))
        layer_color.add("Colors", ("d", (np.asarray(colors, dtype=np.float64) / 255.0).ravel()))
        layer_color.add("ColorIndex", ("i", np.asarray(faces, dtype=np.int32).ravel()))
        png = _palette_uv_layer(geometry, faces, colors)
    _material_layer(geometry)
    layer = geometry.add("Layer", ("I", 0))
    layer.add("Version", ("I", 100))
    for element_type in ("LayerElementMaterial",) + (
        ("LayerElementColor", "LayerElementUV") if colors is not None else ()
    ):
        element = layer.add("LayerElement")
        element.add("Type", ("S", element_type))
        element.add("TypedIndex", ("I", 0))
    model = objects.add("Model", ("L", model_id), ("S", f"{name}\x00\x01Model"), ("S", "Mesh"))
    model.add("Version", ("I", 232))
    model_props = model.add("Properties70")
    _p(model_props, "DefaultAttributeIndex", "int", "Integer", "", ("I", 0))
    model.add("MultiLayer", ("I", 0))
    model.add("MultiTake", ("I", 0))
    model.add("Shading", ("C", True))
    model.add("Culling", ("S", "CullingOff"))

    connections = Node("Connections")
    connections.add("C", ("S", "OO"), ("L", geometry_id), ("L", model_id))
    connections.add("C", ("S", "OO"), ("L", model_id), ("L", 0))
    _material_objects(objects, connections, model_id, name, png if colors is not None else None)
    takes = Node("Takes")
    takes.add("Current", ("S", ""))
    return [
        header,
        Node("FileId", [("R", FILE_ID)]),
        Node("CreationTime", [("S", TIME_ID.decode())]),
        Node("Creator", [("S", "Figurine Studio")]),
        settings,
        documents,
        Node("References"),
        definitions,
        objects,
        connections,
        takes,
    ]


MATERIAL_ID, TEXTURE_ID, VIDEO_ID = 2_000_003, 2_000_004, 2_000_005
PALETTE_NAME = "palette.png"


def _palette_uv_layer(geometry: Node, faces: np.ndarray, colors: np.ndarray) -> bytes:
    """A UV layer onto the palette texture of the face colours (as the OBJ export's); the PNG bytes."""
    # lazy: the writers module pulls in the GLB writer; the FBX reader needs none of it
    from kits.mesh.colors import face_colors_from_vertices
    from kits.printfiles.writers import palette_texture

    image, uvs, face_entry = palette_texture(face_colors_from_vertices(np.asarray(faces), np.asarray(colors)))
    layer_uv = geometry.add("LayerElementUV", ("I", 0))
    layer_uv.add("Version", ("I", 101))
    layer_uv.add("Name", ("S", "UVMap"))
    layer_uv.add("MappingInformationType", ("S", "ByPolygonVertex"))
    layer_uv.add("ReferenceInformationType", ("S", "IndexToDirect"))
    layer_uv.add("UV", ("d", np.asarray(uvs, dtype=np.float64).ravel()))
    layer_uv.add("UVIndex", ("i", np.repeat(np.asarray(face_entry, dtype=np.int32), 3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _material_layer(geometry: Node) -> None:
    """Every polygon uses material 0 (the Model's first material)."""
    layer = geometry.add("LayerElementMaterial", ("I", 0))
    layer.add("Version", ("I", 101))
    layer.add("Name", ("S", ""))
    layer.add("MappingInformationType", ("S", "AllSame"))
    layer.add("ReferenceInformationType", ("S", "IndexToDirect"))
    layer.add("Materials", ("i", np.zeros(1, dtype=np.int32)))


def _material_objects(objects: Node, connections: Node, model_id: int, name: str, png: bytes | None) -> None:
    """A Lambert material on the model; with colours its diffuse colour is the embedded palette texture,
    so the colours show in a viewer's material view (Blender's Material Preview), not only as a colour
    attribute. Connections: material to model, texture to the material's ``DiffuseColor``, video (the
    embedded PNG) to the texture."""
    material = objects.add("Material", ("L", MATERIAL_ID), ("S", f"{name}\x00\x01Material"), ("S", ""))
    material.add("Version", ("I", 102))
    material.add("ShadingModel", ("S", "lambert"))
    material.add("MultiLayer", ("I", 0))
    props = material.add("Properties70")
    grey = ("D", 0.8), ("D", 0.8), ("D", 0.8)
    _p(props, "DiffuseColor", "Color", "", "A", *(grey if png is None else (("D", 1.0),) * 3))
    _p(props, "DiffuseFactor", "Number", "", "A", ("D", 1.0))
    _p(props, "EmissiveColor", "Color", "", "A", ("D", 0.0), ("D", 0.0), ("D", 0.0))
    _p(props, "AmbientColor", "Color", "", "A", ("D", 0.0), ("D", 0.0), ("D", 0.0))
    _p(props, "Opacity", "double", "Number", "", ("D", 1.0))
    connections.add("C", ("S", "OO"), ("L", MATERIAL_ID), ("L", model_id))
    if png is None:
        return
    texture = objects.add("Texture", ("L", TEXTURE_ID), ("S", f"{name}\x00\x01Texture"), ("S", ""))
    texture.add("Type", ("S", "TextureVideoClip"))
    texture.add("Version", ("I", 202))
    texture.add("TextureName", ("S", f"{name}\x00\x01Texture"))
    texture_props = texture.add("Properties70")
    _p(texture_props, "UseMaterial", "bool", "", "", ("I", 1))
    texture.add("Media", ("S", f"{name}\x00\x01Video"))
    texture.add("FileName", ("S", PALETTE_NAME))
    texture.add("RelativeFilename", ("S", PALETTE_NAME))
    texture.add("ModelUVTranslation", ("D", 0.0), ("D", 0.0))
    texture.add("ModelUVScaling", ("D", 1.0), ("D", 1.0))
    texture.add("Texture_Alpha_Source", ("S", "None"))
    texture.add("Cropping", ("I", 0), ("I", 0), ("I", 0), ("I", 0))
    video = objects.add("Video", ("L", VIDEO_ID), ("S", f"{name}\x00\x01Video"), ("S", "Clip"))
    video.add("Type", ("S", "Clip"))
    video_props = video.add("Properties70")
    _p(video_props, "Path", "KString", "XRefUrl", "", ("S", PALETTE_NAME))
    video.add("UseMipMap", ("I", 0))
    video.add("Filename", ("S", PALETTE_NAME))
    video.add("RelativeFilename", ("S", PALETTE_NAME))
    video.add("Content", ("R", png))
    connections.add("C", ("S", "OP"), ("L", TEXTURE_ID), ("L", MATERIAL_ID), ("S", "DiffuseColor"))
    connections.add("C", ("S", "OO"), ("L", VIDEO_ID), ("L", TEXTURE_ID))


def write_fbx(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Write a binary FBX 7.4 with one mesh (vertex colours by polygon vertex when given)."""
    Path(path).write_bytes(encode(scene_nodes(vertices, faces, colors, "Figurine")))
    return [path]


# ---------------------------------------------------------------- reader


def _read_prop(data: bytes, pos: int) -> tuple[tuple[str, object], int]:
    code = chr(data[pos])
    pos += 1
    if code in _SCALAR:
        fmt = _SCALAR[code]
        return (code, struct.unpack_from(fmt, data, pos)[0]), pos + struct.calcsize(fmt)
    if code in ("S", "R"):
        (length,) = struct.unpack_from("<I", data, pos)
        raw = data[pos + 4 : pos + 4 + length]
        return (code, raw.decode("utf-8", "replace") if code == "S" else raw), pos + 4 + length
    if code in _ARRAY:
        length, encoding, size = struct.unpack_from("<3I", data, pos)
        payload = data[pos + 12 : pos + 12 + size]
        dtype = np.dtype(_ARRAY[code]).newbyteorder("<")
        if encoding == 1:
            payload = zlib.decompressobj().decompress(payload, length * dtype.itemsize)
        array = np.frombuffer(payload, dtype=dtype, count=length)
        return (code, array), pos + 12 + size
    raise ValueError(f"unknown FBX property type {code!r} at byte {pos - 1}")


def _read_node(data: bytes, pos: int) -> tuple[Node | None, int]:
    end, count, _length = struct.unpack_from("<3I", data, pos)
    if end == 0:
        return None, pos + 13
    name_length = data[pos + 12]
    name = data[pos + 13 : pos + 13 + name_length].decode("ascii")
    pos += 13 + name_length
    node = Node(name)
    for _ in range(count):
        prop, pos = _read_prop(data, pos)
        node.props.append(prop)
    while pos < end:
        child, pos = _read_node(data, pos)
        if child is None:
            break
        node.children.append(child)
    if pos != end:
        raise ValueError(f"FBX node {name!r} ends at {pos}, its record says {end}")
    return node, end


def parse_fbx(data: bytes) -> tuple[int, list[Node]]:
    """The version and top-level nodes of a binary FBX (< 7500) file."""
    if not data.startswith(HEAD_MAGIC):
        raise ValueError("not a binary FBX file")
    (version,) = struct.unpack_from("<I", data, len(HEAD_MAGIC))
    if version >= 7500:
        raise ValueError(f"FBX version {version} uses 64-bit records; this reader handles 7.4 and older")
    pos, nodes = len(HEAD_MAGIC) + 4, []
    while pos < len(data):
        node, pos = _read_node(data, pos)
        if node is None:
            break
        nodes.append(node)
    return version, nodes


def read_fbx_mesh(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, triangulated faces and per-vertex RGBA (float 0..1, None without colour) of the first
    Geometry of a binary FBX file."""
    _version, nodes = parse_fbx(Path(path).read_bytes())
    objects = next(n for n in nodes if n.name == "Objects")
    geometry = objects.find("Geometry")
    if geometry is None:
        raise ValueError("no Geometry in the FBX file")
    vertices = np.asarray(geometry.find("Vertices").props[0][1], dtype=np.float64).reshape(-1, 3)
    polygon_index = np.asarray(geometry.find("PolygonVertexIndex").props[0][1], dtype=np.int64)
    ends = polygon_index < 0
    corners = np.where(ends, -polygon_index - 1, polygon_index)
    faces: list[list[int]] = []
    start = 0
    for end in np.flatnonzero(ends).tolist():
        polygon = corners[start : end + 1].tolist()
        faces += [[polygon[0], polygon[i], polygon[i + 1]] for i in range(1, len(polygon) - 1)]
        start = end + 1
    colors = None
    layer = geometry.find("LayerElementColor")
    if layer is not None:
        palette = np.asarray(layer.find("Colors").props[0][1], dtype=np.float64).reshape(-1, 4)
        mapping = layer.find("MappingInformationType").props[0][1]
        reference = layer.find("ReferenceInformationType").props[0][1]
        index_node = layer.find("ColorIndex")
        per_corner = palette
        if reference == "IndexToDirect" and index_node is not None:
            per_corner = palette[np.asarray(index_node.props[0][1], dtype=np.int64)]
        if mapping == "ByPolygonVertex":
            colors = np.zeros((len(vertices), 4))
            colors[corners] = per_corner
        else:
            colors = per_corner
    return vertices, np.array(faces, dtype=np.int64).reshape(-1, 3), colors
