"""Low-level, allocation-checked parsers for the simple mesh formats (STL, OBJ, OFF).

Each parser returns raw arrays ``(vertices float64 (n,3), faces int64 (m,3), vertex_colors uint8 (n,4) | None)``
and never validates face indices (the loader does that and reports them). Every parser checks the counts a
file declares against its size before allocating anything, and raises :class:`FormatError` with a one-line,
human-readable reason on anything it cannot read.
"""

from __future__ import annotations

import re

import numpy as np

RawMesh = tuple[np.ndarray, np.ndarray, np.ndarray | None]

STL_HEADER_BYTES = 84
STL_RECORD_BYTES = 50
_STL_DTYPE = np.dtype([("normal", "<f4", (3,)), ("points", "<f4", (3, 3)), ("attr", "<u2")])


class FormatError(Exception):
    """A file that cannot be parsed; ``str(exc)`` is a one-line reason."""


def binary_stl_declared_count(data: bytes) -> int | None:
    """Triangle count the binary STL header declares, or None when the buffer is too short."""
    if len(data) < STL_HEADER_BYTES:
        return None
    return int(np.frombuffer(data, dtype="<u4", count=1, offset=80)[0])


def looks_like_binary_stl(data: bytes) -> bool:
    """True when the size matches the header's triangle count exactly (the usual binary STL test)."""
    count = binary_stl_declared_count(data)
    return count is not None and len(data) == STL_HEADER_BYTES + STL_RECORD_BYTES * count


def parse_binary_stl(data: bytes, max_faces: int) -> RawMesh:
    """Binary STL: triangle soup (vertices are merged by the loader); header count checked against size."""
    count = binary_stl_declared_count(data)
    if count is None:
        raise FormatError("binary STL shorter than its 84-byte header")
    available = (len(data) - STL_HEADER_BYTES) // STL_RECORD_BYTES
    if count > available:
        raise FormatError(
            f"binary STL header declares {count} triangles but the file holds at most {available}"
        )
    if count > max_faces:
        raise FormatError(f"binary STL declares {count} triangles, more than the limit of {max_faces}")
    if count == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), None
    records = np.frombuffer(data, dtype=_STL_DTYPE, count=count, offset=STL_HEADER_BYTES)
    vertices = records["points"].reshape(-1, 3).astype(np.float64)
    faces = np.arange(len(vertices), dtype=np.int64).reshape(-1, 3)
    return vertices, faces, None


_FLOAT = rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf|infinity)"
_STL_VERTEX = re.compile(rb"vertex\s+(" + _FLOAT + rb")\s+(" + _FLOAT + rb")\s+(" + _FLOAT + rb")", re.I)


def parse_ascii_stl(data: bytes, max_faces: int) -> RawMesh:
    """ASCII STL: every ``vertex x y z`` line, three per facet."""
    declared = data.count(b"facet") // 2 or data.count(b"vertex") // 3
    if declared > max_faces:
        raise FormatError(f"ASCII STL holds about {declared} triangles, more than the limit of {max_faces}")
    found = _STL_VERTEX.findall(data)
    if len(found) % 3:
        raise FormatError("ASCII STL has a facet without exactly three vertices")
    if not found:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), None
    try:
        vertices = np.array(found, dtype=np.bytes_).astype(np.float64)
    except ValueError as exc:
        raise FormatError(f"ASCII STL has a malformed number ({exc})") from None
    faces = np.arange(len(vertices), dtype=np.int64).reshape(-1, 3)
    return vertices, faces, None


def _fan(polys: list[list[int]]) -> np.ndarray:
    """Triangulate polygons (lists of vertex indices) as fans."""
    tris: list[tuple[int, int, int]] = []
    for poly in polys:
        for k in range(1, len(poly) - 1):
            tris.append((poly[0], poly[k], poly[k + 1]))
    return np.array(tris, dtype=np.int64).reshape(-1, 3)


def _floats(tokens: list[bytes], what: str) -> np.ndarray:
    try:
        return np.array(tokens, dtype=np.bytes_).astype(np.float64)
    except ValueError:
        raise FormatError(f"{what}: a value is not a number") from None


def parse_obj(data: bytes, max_faces: int) -> RawMesh:
    """Wavefront OBJ: ``v x y z [r g b]`` and ``f a[/t[/n]] ...`` lines (polygons fan-triangulated).

    ``mtllib``/``usemtl`` and texture coordinates are ignored: an upload is one file, and no other file
    is ever opened. Negative (relative) indices are resolved. Colours given as 0..1 floats or 0..255.
    """
    approx_faces = data.count(b"\nf ") + data.startswith(b"f ")
    if approx_faces > max_faces:
        raise FormatError(f"OBJ holds about {approx_faces} faces, more than the limit of {max_faces}")
    vert_rows: list[bytes] = []
    face_rows: list[bytes] = []
    face_vcount: list[int] = []
    for line in data.splitlines():
        head = line[:2]
        if head == b"v " or head == b"v\t":
            vert_rows.append(line[2:])
        elif head == b"f " or head == b"f\t":
            face_rows.append(line[2:])
            face_vcount.append(len(vert_rows))
    if not vert_rows:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), None
    lengths = {len(r.split()) for r in vert_rows[:1000]}
    colors = None
    if lengths == {3} or lengths == {4}:
        width = lengths.pop()
        flat = b" ".join(vert_rows).split()
        if len(flat) != width * len(vert_rows):
            raise FormatError("OBJ vertex lines have differing numbers of values")
        vertices = _floats(flat, "OBJ vertex").reshape(-1, width)[:, :3]
    else:
        rows = [r.split() for r in vert_rows]
        widths = {len(r) for r in rows}
        if min(widths) < 3:
            raise FormatError("OBJ vertex line with fewer than three coordinates")
        if widths == {6} or widths == {7}:
            table = _floats([t for r in rows for t in r], "OBJ vertex").reshape(len(rows), -1)
            vertices = table[:, :3]
            rgb = table[:, 3:6]
            finite = rgb[np.isfinite(rgb)]
            scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
            colors = np.empty((len(rows), 4), dtype=np.uint8)
            colors[:, :3] = np.clip(np.nan_to_num(rgb) * scale, 0, 255).round().astype(np.uint8)
            colors[:, 3] = 255
        else:
            vertices = _floats([t for r in rows for t in r[:3]], "OBJ vertex").reshape(-1, 3)
    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    if not face_rows:
        return vertices, np.zeros((0, 3), dtype=np.int64), colors
    polys_tokens = [r.split() for r in face_rows]
    all_tri = all(len(p) == 3 for p in polys_tokens)
    try:
        if all_tri:
            flat = [t.split(b"/", 1)[0] for p in polys_tokens for t in p]
            idx = np.array(flat, dtype=np.bytes_).astype(np.int64).reshape(-1, 3)
            counts = np.repeat(np.array(face_vcount, dtype=np.int64), 1)
        else:
            polys = [[int(t.split(b"/", 1)[0]) for t in p] for p in polys_tokens]
            if any(len(p) < 3 for p in polys):
                raise FormatError("OBJ face with fewer than three vertices")
            counts = np.array(
                [c for p, c in zip(polys, face_vcount, strict=True) for _ in range(len(p) - 2)],
                dtype=np.int64,
            )
            idx = _fan(polys)
    except ValueError:
        raise FormatError("OBJ face line with a non-integer vertex index") from None
    if len(idx) > max_faces:
        raise FormatError(f"OBJ holds {len(idx)} triangles, more than the limit of {max_faces}")
    # 1-based positive, or negative relative to the vertices defined so far
    faces = np.where(idx > 0, idx - 1, counts[:, None] + idx)
    faces[idx == 0] = -1  # index 0 is invalid in OBJ; the loader reports it as out of range
    return vertices, faces, colors


def parse_off(data: bytes, max_faces: int, max_vertices: int) -> RawMesh:
    """Object File Format (OFF/COFF/NOFF...): declared counts checked against the file size first."""
    text = re.sub(rb"#[^\n]*", b"", data)
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0][0].upper().endswith(b"OFF"):
        raise FormatError("OFF file without an OFF header")
    magic = lines[0][0].upper()
    has_color = b"C" in magic
    has_normal = b"N" in magic.replace(b"OFF", b"")
    if len(lines[0]) >= 3:
        counts, first = lines[0][1:], lines[1:]
    elif len(lines) > 1:
        counts, first = lines[1], lines[2:]
    else:
        raise FormatError("OFF header without vertex and face counts")
    try:
        n_v, n_f = int(counts[0]), int(counts[1])
    except (IndexError, ValueError):
        raise FormatError("OFF header without vertex and face counts") from None
    if n_v < 0 or n_f < 0:
        raise FormatError("OFF header declares a negative count")
    if n_v > max_vertices or n_f > max_faces:
        raise FormatError(f"OFF declares {n_v} vertices and {n_f} faces, more than the limits")
    # each vertex line needs >= 6 bytes ("0 0 0\n"), each face line >= 8 ("3 0 1 2\n")
    if 6 * n_v + 8 * n_f > len(data) + 8:
        raise FormatError(f"OFF declares {n_v} vertices and {n_f} faces, more than the file can hold")
    per_vertex = 3 + (3 if has_normal else 0)
    if len(first) < n_v + n_f:
        raise FormatError("OFF file ends before all declared vertices and faces")
    vrows = first[:n_v]
    frows = first[n_v : n_v + n_f]
    widths = {len(r) for r in vrows}
    if widths and min(widths) < 3:
        raise FormatError("OFF vertex line with fewer than three coordinates")
    colors = None
    if len(widths) == 1 and n_v:
        table = _floats([t for r in vrows for t in r], "OFF vertex").reshape(n_v, -1)
        vertices = table[:, :3]
        extra = table.shape[1] - per_vertex
        if has_color and extra >= 3:
            rgb = table[:, per_vertex : per_vertex + 3]
            finite = rgb[np.isfinite(rgb)]
            scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
            colors = np.full((n_v, 4), 255, dtype=np.uint8)
            colors[:, :3] = np.clip(np.nan_to_num(rgb) * scale, 0, 255).round().astype(np.uint8)
    else:
        vertices = _floats([t for r in vrows for t in r[:3]], "OFF vertex").reshape(-1, 3)
    try:
        polys = [[int(t) for t in r[1 : 1 + int(r[0])]] for r in frows]
    except (ValueError, IndexError):
        raise FormatError("OFF face line is malformed") from None
    if any(len(p) < 3 for p in polys):
        raise FormatError("OFF face with fewer than three vertices")
    faces = _fan(polys)
    if len(faces) > max_faces:
        raise FormatError(f"OFF holds {len(faces)} triangles, more than the limit of {max_faces}")
    return np.ascontiguousarray(vertices, dtype=np.float64), faces, colors


_PLY_TYPES = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}


def parse_binary_ply_fast(data: bytes, max_faces: int) -> RawMesh | None:
    """Binary PLY with a vertex element and a triangle-only face list, read with one numpy view each.

    Returns None when the file has another layout (ASCII, other elements first, polygons, lists in the
    vertex element...): the caller then uses the general reader. Counts are checked against the size."""
    end = data.find(b"end_header")
    if end < 0:
        return None
    body_start = data.find(b"\n", end) + 1
    header = data[:end].decode("ascii", errors="replace").splitlines()
    fmt = next((ln.split()[1] for ln in header if ln.startswith("format ")), "")
    if fmt not in ("binary_little_endian", "binary_big_endian"):
        return None
    order = "<" if fmt == "binary_little_endian" else ">"
    elements: list[tuple[str, int, list[list[str]]]] = []
    for ln in header:
        parts = ln.split()
        if not parts:
            continue
        if parts[0] == "element" and len(parts) == 3:
            elements.append((parts[1], int(parts[2]), []))
        elif parts[0] == "property" and elements:
            elements[-1][2].append(parts[1:])
    if len(elements) != 2 or elements[0][0] != "vertex" or elements[1][0] != "face":
        return None
    (_, n_v, v_props), (_, n_f, f_props) = elements
    if n_f > max_faces:
        raise FormatError(f"PLY declares {n_f} faces, more than the limit of {max_faces}")
    v_fields = []
    for prop in v_props:
        if prop[0] == "list" or prop[0] not in _PLY_TYPES or len(prop) != 2:
            return None
        v_fields.append((prop[1], order + _PLY_TYPES[prop[0]]))
    names = [f[0] for f in v_fields]
    if not {"x", "y", "z"} <= set(names):
        return None
    f_fields = []
    for prop in f_props:
        if prop[0] == "list":
            if len(prop) != 4 or prop[1] not in _PLY_TYPES or prop[2] not in _PLY_TYPES:
                return None
            f_fields.append(("count_" + prop[3], order + _PLY_TYPES[prop[1]]))
            f_fields.append((prop[3], order + _PLY_TYPES[prop[2]], (3,)))
        elif prop[0] in _PLY_TYPES and len(prop) == 2:
            f_fields.append((prop[1], order + _PLY_TYPES[prop[0]]))
        else:
            return None
    list_names = [p[3] for p in f_props if p[0] == "list"]
    if len(list_names) != 1 or list_names[0] not in ("vertex_indices", "vertex_index"):
        return None
    v_dtype = np.dtype(v_fields)
    f_dtype = np.dtype(f_fields)
    need = body_start + n_v * v_dtype.itemsize + n_f * f_dtype.itemsize
    if need > len(data):
        # polygons (or a lie): the triangle layout does not fit; let the general reader decide
        if body_start + n_v * v_dtype.itemsize > len(data):
            raise FormatError(f"PLY declares {n_v} vertices, more than the file holds")
        return None
    verts = np.frombuffer(data, dtype=v_dtype, count=n_v, offset=body_start)
    face_rec = np.frombuffer(data, dtype=f_dtype, count=n_f, offset=body_start + n_v * v_dtype.itemsize)
    if n_f and not (face_rec["count_" + list_names[0]] == 3).all():
        return None
    vertices = np.stack([verts["x"], verts["y"], verts["z"]], axis=1).astype(np.float64)
    faces = face_rec[list_names[0]].astype(np.int64)
    colors = None
    if {"red", "green", "blue"} <= set(names):
        rgb = [verts[c] for c in ("red", "green", "blue")]
        alpha = verts["alpha"] if "alpha" in names else np.full(n_v, 255)
        stacked = np.stack([*rgb, alpha], axis=1)
        if stacked.dtype.kind == "f":
            stacked = stacked * 255.0 if stacked.max(initial=0) <= 1.0 else stacked
        colors = np.clip(stacked, 0, 255).astype(np.uint8)
    return vertices, faces, colors


_3MF_UNITS_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}


def _hex_rgba(text: str | None) -> tuple[int, int, int, int]:
    text = (text or "#C8C8C8").lstrip("#")
    try:
        rgba = [int(text[i : i + 2], 16) for i in range(0, min(len(text), 8), 2)]
    except ValueError:
        rgba = [200, 200, 200]
    return tuple((rgba + [255] * 4)[:4])  # type: ignore[return-value]


def parse_3mf_model(model: bytes, max_faces: int) -> RawMesh | None:
    """One-mesh 3MF model XML (core + colour groups / base materials), in millimetres, colours per vertex.

    Returns None for models with components or several meshes (the general reader handles those).
    Entities are never resolved and nothing is fetched."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)
    try:
        root = etree.fromstring(model, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"3MF model is not valid XML ({exc})") from None
    meshes = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}mesh")]
    if len(meshes) != 1 or any(
        isinstance(el.tag, str) and el.tag.endswith("}components") for el in root.iter()
    ):
        return None
    mesh = meshes[0]
    obj = mesh.getparent()

    def local(el: etree._Element) -> str:
        return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""

    vertex_rows = [el for el in mesh.iter() if local(el) == "vertex"]
    triangles = [el for el in mesh.iter() if local(el) == "triangle"]
    if len(triangles) > max_faces:
        raise FormatError(f"3MF holds {len(triangles)} triangles, more than the limit of {max_faces}")
    try:
        vertices = np.array(
            [[float(v.get(k)) for k in ("x", "y", "z")] for v in vertex_rows], dtype=np.float64
        )
        faces = np.array([[int(t.get(k)) for k in ("v1", "v2", "v3")] for t in triangles], dtype=np.int64)
    except (TypeError, ValueError):
        raise FormatError("3MF vertex or triangle with a missing or malformed attribute") from None
    vertices = vertices.reshape(-1, 3)
    faces = faces.reshape(-1, 3)
    vertices *= _3MF_UNITS_MM.get(root.get("unit", "millimeter"), 1.0)
    for item in (el for el in root.iter() if local(el) == "item" and el.get("transform")):
        values = [float(x) for x in item.get("transform", "").split()]
        if len(values) == 12:
            matrix = np.array(values).reshape(4, 3)
            vertices = vertices @ matrix[:3] + matrix[3]
        break
    groups: dict[str, list[tuple[int, int, int, int]]] = {}
    for el in root.iter():
        name = local(el)
        if name == "colorgroup":
            groups[el.get("id", "")] = [_hex_rgba(c.get("color")) for c in el if local(c) == "color"]
        elif name == "basematerials":
            groups[el.get("id", "")] = [_hex_rgba(b.get("displaycolor")) for b in el if local(b) == "base"]
    if not groups or not len(faces):
        return vertices, faces, None
    default_pid = obj.get("pid") if obj is not None else None
    default_index = obj.get("pindex", "0") if obj is not None else "0"
    total = np.zeros((len(vertices), 4))
    count = np.zeros(len(vertices))
    corner_colors = np.zeros((len(faces), 3, 4))
    colored = np.zeros(len(faces), dtype=bool)
    for i, tri in enumerate(triangles):
        pid = tri.get("pid", default_pid)
        table = groups.get(pid or "")
        if not table:
            continue
        p1 = tri.get("p1") or (default_index if tri.get("pid") is None else "0")
        picks = [p1, tri.get("p2", p1), tri.get("p3", p1)]
        try:
            corner_colors[i] = [table[int(k)] for k in picks]
        except (ValueError, IndexError):
            continue
        colored[i] = True
    if not colored.any():
        return vertices, faces, None
    valid = colored & ((faces >= 0) & (faces < len(vertices))).all(axis=1)
    np.add.at(total, faces[valid].ravel(), corner_colors[valid].reshape(-1, 4))
    np.add.at(count, faces[valid].ravel(), 1)
    colors = np.full((len(vertices), 4), 200.0)
    colors[:, 3] = 255
    has = count > 0
    colors[has] = total[has] / count[has, None]
    return vertices, faces, colors.round().astype(np.uint8)
