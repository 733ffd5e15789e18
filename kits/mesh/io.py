"""Safe mesh loading: the one door every mesh enters the studio through.

``load_mesh(path)`` reads GLB, glTF (embedded ``data:`` URIs only), OBJ, STL (binary and ASCII), PLY, 3MF and OFF.
The type is sniffed from the content, never from the file name. No other file or URL is ever read
(glTF buffer/image URIs, OBJ ``mtllib``, PLY texture comments are refused or ignored). File size, declared
counts and unpacked sizes are checked before anything large is allocated. Anything unreadable raises
:class:`MeshLoadError` (``code`` "unreadable" or "empty", a one-line ``message``); recoverable defects
(non-finite coordinates, out-of-range face indices) are dropped from the mesh and reported in
``LoadedMesh.issues`` as ``invalid_coordinates`` errors.

Conventions: the mesh is returned as stored (units untouched, ``process=False``), except that glTF/GLB,
which is metres and Y-up by specification, is turned into the studio's millimetres and Z-up
(``kits.mesh.axes.GLTF_TO_STUDIO``: x1000, glTF +Z "front" becomes -Y) and its linear ``COLOR_0`` into
sRGB bytes (``kits.mesh.colors.linear_to_srgb``), and STL triangle soup has its bit-identical vertices
merged (STL carries no connectivity).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from kits.hashing import bytes_sha256
from kits.mesh import formats
from kits.mesh.axes import gltf_to_studio
from kits.mesh.gltf import LINEAR_COLOR_ATTRIBUTE, colors_to_srgb
from kits.mesh.sniff import not_a_mesh_reason, sniff_format

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_FACES = 8_000_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200.0
MAX_ZIP_MEMBERS = 10_000

FORMATS = ("glb", "gltf", "obj", "stl", "stl_ascii", "ply", "3mf", "off")


class MeshLoadError(Exception):
    """A mesh that cannot be used at all. ``code`` is "unreadable" or "empty"; ``message`` is one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_issue(self) -> dict[str, Any]:
        """The error as a check-report issue (always an error)."""
        return {"code": self.code, "severity": "error", "message": self.message}


@dataclass
class LoadedMesh:
    """A mesh read from an upload, with what was found while reading it."""

    mesh: trimesh.Trimesh
    format: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    sha256: str = ""
    size_bytes: int = 0
    notes: list[str] = field(default_factory=list)  # ignored references, unit hints...
    has_color: bool = False


# --------------------------------------------------------------------------------------------- helpers
def _unreadable(message: str) -> MeshLoadError:
    return MeshLoadError("unreadable", message)


def _scene_to_raw(geometry: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Concatenate a trimesh Scene (or a mesh) into raw arrays with baked vertex colours (or None)."""
    parts: list[trimesh.Trimesh] = []
    if isinstance(geometry, trimesh.Scene):
        for node in geometry.graph.nodes_geometry:
            transform, name = geometry.graph[node]
            mesh = geometry.geometry.get(name)
            if isinstance(mesh, trimesh.Trimesh) and len(mesh.faces):
                mesh = mesh.copy()
                mesh.apply_transform(transform)
                parts.append(mesh)
    elif isinstance(geometry, trimesh.Trimesh):
        parts.append(geometry)
    if not parts:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), None
    colored = [_vertex_colors(p) for p in parts]
    any_color = any(c is not None for c in colored)
    vertices, faces, colors = [], [], []
    offset = 0
    for part, col in zip(parts, colored, strict=True):
        vertices.append(np.asarray(part.vertices, dtype=np.float64))
        faces.append(np.asarray(part.faces, dtype=np.int64) + offset)
        if any_color:
            colors.append(col if col is not None else np.full((len(part.vertices), 4), 200, np.uint8))
        offset += len(part.vertices)
    return (
        np.concatenate(vertices),
        np.concatenate(faces),
        np.concatenate(colors) if any_color else None,
    )


def _vertex_colors(mesh: trimesh.Trimesh) -> np.ndarray | None:
    """Vertex colours (n,4) uint8 of any visual that carries colour: vertex, face, texture, material."""
    visual = mesh.visual
    try:
        kind = visual.kind
        if kind == "texture":
            material = getattr(visual, "material", None)
            if material is None:
                return None
            uv = getattr(visual, "uv", None)
            if uv is not None and len(uv) == len(mesh.vertices):
                colors = np.asarray(material.to_color(uv), dtype=np.uint8)
            else:
                main = np.asarray(material.main_color, dtype=np.uint8).reshape(-1)[:4]
                colors = np.tile(main, (len(mesh.vertices), 1))
        elif kind in ("vertex", "face"):
            colors = np.asarray(visual.vertex_colors, dtype=np.uint8)
        else:
            return None
    except Exception:  # a broken texture must not make the geometry unreadable
        return None
    if colors.ndim != 2 or len(colors) != len(mesh.vertices):
        return None
    if colors.shape[1] == 3:
        colors = np.concatenate([colors, np.full((len(colors), 1), 255, np.uint8)], axis=1)
    return np.ascontiguousarray(colors[:, :4])


def _merge_identical_vertices(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge bit-identical vertex positions (STL soup, UV/normal seams) with one sort; faces remapped.
    Unchanged arrays are returned when every position is already unique."""
    if not len(vertices):
        return vertices, faces
    v = np.ascontiguousarray(vertices, dtype=np.float64) + 0.0  # -0.0 -> 0.0 so both spellings merge
    order = np.lexsort((v[:, 2], v[:, 1], v[:, 0]))
    ordered = v[order]
    new_group = np.empty(len(v), dtype=bool)
    new_group[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=new_group[1:])
    del ordered
    if new_group.all():
        return vertices, faces
    group = np.cumsum(new_group) - 1
    inverse = np.empty(len(v), dtype=np.int64)
    inverse[order] = group
    first = order[new_group]
    return vertices[first], inverse[faces]


# --------------------------------------------------------------------------------------------- glTF
def _check_gltf_header(header: dict[str, Any], notes: list[str], max_faces: int) -> dict[str, Any]:
    """Refuse external buffers, drop external images, bound declared index counts."""
    if not isinstance(header, dict):
        raise _unreadable("glTF JSON is not an object")
    for buf in header.get("buffers", []) or []:
        uri = buf.get("uri") if isinstance(buf, dict) else None
        if uri is not None and not str(uri).startswith("data:"):
            raise _unreadable(
                f"glTF refers to an external buffer {str(uri)[:80]!r}; only embedded data is accepted"
            )
    images = header.get("images", []) or []
    external = [
        i for i in images if isinstance(i, dict) and "uri" in i and not str(i["uri"]).startswith("data:")
    ]
    if external:
        notes.append(f"ignored {len(external)} external texture reference(s) in glTF")
        header.pop("images", None)
        header.pop("textures", None)
        for material in header.get("materials", []) or []:
            pbr = material.get("pbrMetallicRoughness", {}) if isinstance(material, dict) else {}
            for key in [k for k in list(pbr) if k.endswith("Texture")]:
                pbr.pop(key)
            for key in [k for k in list(material) if k.endswith("Texture")]:
                material.pop(key)
    accessors = header.get("accessors", []) or []
    declared = 0
    for mesh in header.get("meshes", []) or []:
        for prim in mesh.get("primitives", []) if isinstance(mesh, dict) else []:
            attributes = prim.get("attributes") if isinstance(prim, dict) else None
            if isinstance(attributes, dict) and "COLOR_0" in attributes:
                # read raw (trimesh would take its values as sRGB bytes); see colors_to_srgb
                attributes[LINEAR_COLOR_ATTRIBUTE] = attributes.pop("COLOR_0")
            index = prim.get("indices") if isinstance(prim, dict) else None
            if isinstance(index, int) and 0 <= index < len(accessors):
                declared += int(accessors[index].get("count", 0)) // 3
    if declared > max_faces:
        raise _unreadable(f"glTF declares {declared} triangles, more than the limit of {max_faces}")
    return header


def _data_uri_size_ok(header: dict[str, Any], max_bytes: int) -> None:
    for buf in header.get("buffers", []) or []:
        uri = str(buf.get("uri", ""))
        if uri.startswith("data:") and len(uri) * 3 // 4 > max_bytes:
            raise _unreadable("glTF embedded buffer is larger than the size limit")


def _load_glb(data: bytes, notes: list[str], max_faces: int) -> Any:
    if len(data) < 20:
        raise _unreadable("GLB file is shorter than its header")
    _magic, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise _unreadable(f"GLB version {version} is not supported (only glTF 2.0)")
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != 0x4E4F534A or 20 + json_len > len(data):
        raise _unreadable("GLB JSON chunk is missing or longer than the file")
    try:
        header = json.loads(data[20 : 20 + json_len])
    except (ValueError, UnicodeDecodeError):
        raise _unreadable("GLB JSON chunk is not valid JSON") from None
    header = _check_gltf_header(header, notes, max_faces)
    rest = data[20 + json_len : min(length, len(data))] if length >= 20 + json_len else b""
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 4)
    rebuilt = struct.pack("<4sII", b"glTF", 2, 20 + len(body) + len(rest))
    rebuilt += struct.pack("<II", len(body), 0x4E4F534A) + body + rest
    return trimesh.load(io.BytesIO(rebuilt), file_type="glb", process=False, resolver=_DenyResolver())


def _load_gltf(data: bytes, notes: list[str], max_faces: int, max_bytes: int) -> Any:
    try:
        header = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _unreadable("glTF file is not valid JSON") from None
    header = _check_gltf_header(header, notes, max_faces)
    _data_uri_size_ok(header, max_bytes)
    payload = json.dumps(header).encode()
    return trimesh.load(io.BytesIO(payload), file_type="gltf", process=False, resolver=_DenyResolver())


class _DenyResolver(trimesh.resolvers.Resolver):
    """A resolver that refuses every lookup: no loader may reach outside the upload."""

    def __init__(self) -> None:
        pass

    def get(self, key: str) -> bytes:
        raise KeyError(f"external reference {key!r} refused")

    def write(self, name: str, data: Any) -> None:
        raise PermissionError("writing is not allowed")

    def namespaced(self, namespace: str) -> _DenyResolver:
        return self

    def keys(self) -> list[str]:
        return []


# --------------------------------------------------------------------------------------------- 3MF, PLY
def _check_zip(data: bytes, max_unpacked: int) -> bytes | None:
    """Bound a 3MF archive before anything inflates it: declared sizes, ratios, then a capped real
    inflate. Returns the bytes of the main model part (3D/3dmodel.model) when there is one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable(f"3MF archive is not a readable zip ({exc})") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _unreadable(f"3MF archive has {len(infos)} members, more than {MAX_ZIP_MEMBERS}")
    if not any(i.filename.lower().endswith("3dmodel.model") for i in infos):
        raise _unreadable("3MF archive has no 3D/3dmodel.model part")
    declared = sum(i.file_size for i in infos)
    if declared > max_unpacked:
        raise _unreadable(f"3MF archive unpacks to {declared} bytes, more than the limit of {max_unpacked}")
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise _unreadable(
                f"3MF member {info.filename!r} compresses {info.file_size // max(info.compress_size, 1)}:1 "
                "(a zip bomb?)"
            )
    total = 0  # the declared sizes may lie: inflate for real with a hard cap
    model: bytes | None = None
    try:
        for info in infos:
            is_model = info.filename.lower().endswith("3d/3dmodel.model")
            chunks: list[bytes] = []
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    if is_model:
                        chunks.append(chunk)
                    total += len(chunk)
                    if total > max_unpacked:
                        raise _unreadable("3MF archive inflates beyond the unpacked size limit")
                    if info.filename.lower().endswith(".model") and b"<!ENTITY" in chunk:
                        raise _unreadable("3MF model declares XML entities; refused")
            if is_model and model is None:
                model = b"".join(chunks)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _unreadable(f"3MF archive member cannot be inflated ({exc})") from None
    return model


def _check_ply_header(data: bytes, max_faces: int, max_vertices: int) -> None:
    end = data.find(b"end_header")
    if end < 0 or end > 65536:
        raise _unreadable("PLY file without an end_header line")
    header = data[:end].decode("ascii", errors="replace").splitlines()
    binary = any(ln.startswith("format binary") for ln in header)
    body = len(data) - end - len("end_header") - 1
    counts = {}
    for ln in header:
        parts = ln.split()
        if len(parts) == 3 and parts[0] == "element":
            try:
                counts[parts[1]] = int(parts[2])
            except ValueError:
                raise _unreadable(f"PLY element count {parts[2]!r} is not a number") from None
    n_v, n_f = counts.get("vertex", 0), counts.get("face", 0)
    if n_v < 0 or n_f < 0:
        raise _unreadable("PLY declares a negative count")
    if n_v > max_vertices or n_f > max_faces:
        raise _unreadable(f"PLY declares {n_v} vertices and {n_f} faces, more than the limits")
    minimum = (12 * n_v + 13 * n_f) if binary else (6 * n_v + 8 * n_f)
    if minimum > body + 8:
        raise _unreadable(f"PLY declares {n_v} vertices and {n_f} faces, more than the file can hold")
    if "comment TextureFile" in "\n".join(header):
        pass  # trimesh asks the resolver for the texture; _DenyResolver refuses it


# --------------------------------------------------------------------------------------------- validation
def _validate(
    vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Drop out-of-range faces and non-finite vertices, reporting each as an invalid_coordinates error."""
    issues: list[dict[str, Any]] = []
    vertices = np.ascontiguousarray(vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.ascontiguousarray(faces, dtype=np.int64).reshape(-1, 3)
    n = len(vertices)
    bad_index = ((faces < 0) | (faces >= n)).any(axis=1)
    if bad_index.any():
        count = int(bad_index.sum())
        issues.append(
            {
                "code": "invalid_coordinates",
                "severity": "error",
                "kind": "index_out_of_range",
                "count": count,
                "face_sample": np.flatnonzero(bad_index)[:5].tolist(),
                "message": f"{count} face(s) refer to vertices that do not exist (of {n}); they were left out",
            }
        )
        faces = faces[~bad_index]
    finite = np.isfinite(vertices).all(axis=1)
    if not finite.all():
        bad_v = ~finite
        touching = bad_v[faces].any(axis=1) if len(faces) else np.zeros(0, bool)
        neighbours = faces[touching].ravel()
        neighbours = neighbours[finite[neighbours]]
        where = vertices[neighbours] if len(neighbours) else np.zeros((0, 3))
        issue: dict[str, Any] = {
            "code": "invalid_coordinates",
            "severity": "error",
            "kind": "non_finite",
            "count": int(bad_v.sum()),
            "faces": int(touching.sum()),
            "message": (
                f"{int(bad_v.sum())} vertex coordinate(s) are NaN or infinite; "
                f"{int(touching.sum())} face(s) using them were left out"
            ),
        }
        if len(where):
            issue["bbox_mm"] = [where.min(axis=0).round(3).tolist(), where.max(axis=0).round(3).tolist()]
            issue["sample_points_mm"] = where[:5].round(3).tolist()
        issues.append(issue)
        faces = faces[~touching]
        remap = np.cumsum(finite) - 1
        vertices = vertices[finite]
        colors = colors[finite] if colors is not None else None
        faces = remap[faces]
    return vertices, faces, colors, issues


# --------------------------------------------------------------------------------------------- entry
def load_mesh(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_faces: int = DEFAULT_MAX_FACES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> LoadedMesh:
    """Read a mesh upload safely. Raises MeshLoadError("unreadable"|"empty", one-line message)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _unreadable(f"cannot open {path.name}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise _unreadable(f"{path.name} is not a regular file")
    if size == 0:
        raise MeshLoadError("empty", f"{path.name} is an empty file")
    if size > max_bytes:
        raise _unreadable(f"{path.name} is {size} bytes, more than the limit of {max_bytes}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(f"cannot read {path.name}: {exc.strerror or exc}") from None
    digest = bytes_sha256(data)
    fmt = sniff_format(data)
    if fmt is None:
        raise _unreadable(f"{path.name} {not_a_mesh_reason(data)}")
    notes: list[str] = []
    max_vertices = max_faces * 3
    try:
        vertices, faces, colors = _parse(
            data, fmt, notes, max_faces, max_vertices, max_bytes, max_unpacked_bytes
        )
    except MeshLoadError:
        raise
    except formats.FormatError as exc:
        raise _unreadable(f"{path.name}: {exc}") from None
    except MemoryError:
        raise _unreadable(f"{path.name} needs more memory than allowed to read") from None
    except Exception as exc:  # any parser failure is an unreadable file, never a traceback
        text = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise _unreadable(f"{path.name} cannot be read as {fmt.upper()}: {text}") from None
    if len(faces) > max_faces:
        raise _unreadable(f"{path.name} has {len(faces)} triangles, more than the limit of {max_faces}")
    if fmt in ("stl", "stl_ascii"):
        vertices, faces = _merge_identical_vertices(vertices, faces)
    vertices, faces, colors, issues = _validate(vertices, faces, colors)
    if not len(faces):
        detail = "; ".join(i["message"] for i in issues)
        raise MeshLoadError("empty", f"{path.name} holds no triangles" + (f" ({detail})" if detail else ""))
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False, validate=False)
    if colors is not None and len(colors) == len(vertices):
        mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return LoadedMesh(
        mesh=mesh,
        format=fmt,
        issues=issues,
        sha256=digest,
        size_bytes=size,
        notes=notes,
        has_color=colors is not None,
    )


def _parse(
    data: bytes,
    fmt: str,
    notes: list[str],
    max_faces: int,
    max_vertices: int,
    max_bytes: int,
    max_unpacked: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if fmt == "stl":
        return formats.parse_binary_stl(data, max_faces)
    if fmt == "stl_ascii":
        return formats.parse_ascii_stl(data, max_faces)
    if fmt == "obj":
        if b"mtllib" in data:
            notes.append("ignored OBJ mtllib reference(s): material files are never opened")
        return formats.parse_obj(data, max_faces)
    if fmt == "off":
        return formats.parse_off(data, max_faces, max_vertices)
    if fmt == "ply":
        _check_ply_header(data, max_faces, max_vertices)
        fast = formats.parse_binary_ply_fast(data, max_faces)
        if fast is not None:
            return fast
        loaded = trimesh.load(io.BytesIO(data), file_type="ply", process=False, resolver=_DenyResolver())
        return _scene_to_raw(loaded)
    if fmt == "3mf":
        model = _check_zip(data, max_unpacked)
        if model is not None:
            simple = formats.parse_3mf_model(model, max_faces)
            if simple is not None:
                return simple
        loaded = trimesh.load(io.BytesIO(data), file_type="3mf", process=False, resolver=_DenyResolver())
        return _scene_to_raw(loaded)
    if fmt == "glb":
        loaded = _load_glb(data, notes, max_faces)
    else:
        loaded = _load_gltf(data, notes, max_faces, max_bytes)
    colors_to_srgb(loaded)
    vertices, faces, colors = _scene_to_raw(loaded)
    if len(vertices):
        vertices = gltf_to_studio(vertices)
    return vertices, faces, colors
