"""Preflight of a mesh upload: refuse, before it is stored, what the checks could never pass.

``mesh_preflight(source, filename=..., size=...)`` decides from the header and a bounded parse; it
raises :class:`MeshRefused` (``code``, a plain one-line ``message``) or returns the sniffed format (None
when the content is no mesh format at all: the caller decides what to say about that).

* 3MF (a zip): too many members, declared unpacked sizes over the cap, a member compressed more than
  a zip bomb would be (the loader's own limits, from the central directory, nothing inflated), and XML
  parts whose prolog declares a DOCTYPE or ENTITY (XXE, billion laughs): only the first
  :data:`XML_PROLOG_BYTES` of each part are inflated to look.
* GLB: the header (magic, version 2, the declared length within the file, the JSON chunk inside it);
  glTF and GLB: every buffer and image URI must be an embedded ``data:`` URI (a GLB's first buffer
  may be its own BIN chunk) -- nothing outside the upload is ever read.
* Files up to ``parse_max_bytes``: the studio's one loader (:func:`kits.mesh.io.load_mesh`, with the
  same caps the check task uses) reads them, so NaN/infinite coordinates and faces pointing at
  vertices that do not exist are refused here rather than by the worker.

Larger files, and everything that needs the whole mesh (printability, thickness), stay for the check task.
Pure Python; no Django.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from kits.mesh.io import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FACES,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    MeshLoadError,
    load_mesh,
)
from kits.mesh.sniff import HEAD_BYTES, sniff_head

__all__ = ["PREFLIGHT_PARSE_BYTES", "XML_PROLOG_BYTES", "MeshRefused", "mesh_preflight"]

#: Uploads up to this size are read by the loader in the preflight (a second or so at most).
PREFLIGHT_PARSE_BYTES = 32 * 1024 * 1024
#: Inflated bytes of each 3MF XML part searched for DOCTYPE/ENTITY declarations (they must come
#: before the root element, so in the prolog).
XML_PROLOG_BYTES = 64 * 1024
#: Largest JSON chunk of a GLB read for its URIs.
MAX_GLTF_JSON_BYTES = 64 * 1024 * 1024
GLB_JSON, GLB_BIN = 0x4E4F534A, 0x004E4942
_XML_PARTS = (".model", ".xml", ".rels")
_DECLARATIONS = tuple(
    word.encode(encoding)
    for word in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


class MeshRefused(Exception):
    """A mesh upload the checks could never pass. ``code``: "unreadable", "unsafe" or
    "invalid_coordinates"; ``message``: one line a sculptor can act on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def mesh_preflight(
    source: str | os.PathLike | IO[bytes],
    *,
    filename: str,
    size: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_faces: int = DEFAULT_MAX_FACES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    parse_max_bytes: int = PREFLIGHT_PARSE_BYTES,
) -> str | None:
    """Refuse (:class:`MeshRefused`) an upload that can never pass; answer its format otherwise.

    ``source`` is a path or a seekable binary file (read from the start, left at the start).
    """
    name = Path(filename).name or "the file"
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            path: Path | None = Path(source)
            handle: IO[bytes] = stack.enter_context(open(path, "rb"))
        else:
            path, handle = None, source
            stack.callback(handle.seek, 0)
        if size is None:
            size = handle.seek(0, io.SEEK_END)
        handle.seek(0)
        head = handle.read(HEAD_BYTES)
        handle.seek(0)
        fmt = sniff_head(head, size) if size else None
        if fmt is None:
            return None
        if fmt == "3mf":
            _check_3mf(handle, name, max_unpacked_bytes)
        elif fmt == "glb":
            _check_glb(handle, name, size)
        elif fmt == "gltf" and size <= parse_max_bytes:
            _check_gltf_uris(_json(handle.read(size), name), name)
        if size <= parse_max_bytes:
            handle.seek(0)
            _check_by_loading(path, handle, name, max_bytes, max_faces, max_unpacked_bytes)
    return fmt


# --------------------------------------------------------------------------------------------- 3MF
def _check_3mf(handle: IO[bytes], name: str, max_unpacked: int) -> None:
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise MeshRefused("unreadable", f"{name} is not a readable 3MF (zip) archive ({exc}).") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise MeshRefused("unsafe", f"{name} has {len(infos)} archive members, more than {MAX_ZIP_MEMBERS}.")
    declared = sum(info.file_size for info in infos)
    if declared > max_unpacked:
        raise MeshRefused(
            "unsafe",
            f"{name} unpacks to {declared} bytes, more than the limit of {max_unpacked} (a zip bomb?).",
        )
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise MeshRefused(
                "unsafe", f"{name}: the part {info.filename!r} is compressed {ratio}:1 (a zip bomb?)."
            )
    for info in infos:
        if not info.filename.lower().endswith(_XML_PARTS):
            continue
        try:
            with archive.open(info) as member:
                prolog = member.read(XML_PROLOG_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise MeshRefused(
                "unreadable", f"{name}: the part {info.filename!r} cannot be inflated ({exc})."
            ) from None
        if any(word in prolog for word in _DECLARATIONS):
            raise MeshRefused(
                "unsafe",
                f"{name}: the part {info.filename!r} declares a DOCTYPE or XML entities, which 3MF does "
                "not allow; export the file again without them.",
            )


# --------------------------------------------------------------------------------------------- glTF
def _check_glb(handle: IO[bytes], name: str, size: int) -> None:
    header = handle.read(20)
    if len(header) < 20:
        raise MeshRefused("unreadable", f"{name} is shorter than a GLB header.")
    _magic, version, length, json_len, json_type = struct.unpack("<4sIIII", header)
    if version != 2:
        raise MeshRefused("unreadable", f"{name} is GLB version {version}; only glTF 2.0 is read.")
    if length > size:
        raise MeshRefused(
            "unreadable", f"{name}: the GLB header says {length} bytes but the file has {size}."
        )
    if json_type != GLB_JSON or 20 + json_len > length:
        raise MeshRefused("unreadable", f"{name}: the GLB JSON chunk is missing or longer than the file.")
    if json_len > MAX_GLTF_JSON_BYTES:
        return  # an unusual JSON chunk: the check task reads it
    document = _json(handle.read(json_len), name)
    chunk = handle.read(8) if 20 + json_len + 8 <= length else b""  # the chunk after the JSON one
    has_bin = len(chunk) == 8 and struct.unpack("<II", chunk)[1] == GLB_BIN
    _check_gltf_uris(document, name, bin_chunk=has_bin)


def _json(data: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise MeshRefused("unreadable", f"{name}: the glTF JSON is not valid JSON.") from None
    if not isinstance(document, dict):
        raise MeshRefused("unreadable", f"{name}: the glTF JSON is not an object.")
    return document


def _check_gltf_uris(document: dict[str, Any], name: str, *, bin_chunk: bool = False) -> None:
    """Every buffer and image is embedded: a ``data:`` URI, the GLB's BIN chunk, or a bufferView."""
    for kind in ("buffers", "images"):
        entries = document.get(kind) or []
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            uri = entry.get("uri")
            if uri is None:
                if kind == "buffers" and not (index == 0 and bin_chunk):
                    raise MeshRefused(
                        "unsafe", f"{name}: buffer {index} has no data (no URI and no BIN chunk)."
                    )
                continue
            if not str(uri).startswith("data:"):
                what = "buffer" if kind == "buffers" else "texture image"
                raise MeshRefused(
                    "unsafe",
                    f"{name} refers to an external {what} {str(uri)[:80]!r}; embed it (export as a "
                    "self-contained GLB).",
                )


# --------------------------------------------------------------------------------------------- loader
def _check_by_loading(
    path: Path | None, handle: IO[bytes], name: str, max_bytes: int, max_faces: int, max_unpacked: int
) -> None:
    """Read the file with the studio's loader: what it refuses, or the coordinates it would drop, refuse."""
    with tempfile.TemporaryDirectory(prefix="preflight-") as scratch:
        if path is None:
            path = Path(scratch) / (Path(name).name if name != "the file" else "upload")
            path.write_bytes(handle.read(max_bytes + 1))
        try:
            loaded = load_mesh(
                path, max_bytes=max_bytes, max_faces=max_faces, max_unpacked_bytes=max_unpacked
            )
        except MeshLoadError as exc:
            raise MeshRefused("unreadable", _named(exc.message, path.name, name)) from None
    problems = [
        _coordinate_problem(issue) for issue in loaded.issues if issue.get("code") == "invalid_coordinates"
    ]
    if problems:
        raise MeshRefused("invalid_coordinates", f"{name}: " + "; ".join(problems) + ".")


def _coordinate_problem(issue: dict[str, Any]) -> str:
    count = issue.get("count", 0)
    if issue.get("kind") == "non_finite":
        return f"{count} vertex coordinate(s) are NaN or infinite"
    if issue.get("kind") == "index_out_of_range":
        return f"{count} face(s) refer to vertices that do not exist"
    return str(issue.get("message", "invalid coordinates"))


def _named(message: str, actual: str, name: str) -> str:
    text = message.replace(actual, name) if actual != name else message
    text = text if text.startswith(name) else f"{name}: {text}"
    return text if text.endswith(".") else text + "."
