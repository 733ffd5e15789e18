"""What a file is, from its content (never its name)."""

from __future__ import annotations

from kits.mesh import formats


def sniff_format(data: bytes) -> str | None:
    """The mesh format from the first bytes (and the size, for binary STL); None when not a mesh."""
    head = data[:512]
    stripped = head.lstrip()
    if head[:4] == b"glTF":
        return "glb"
    if head[:4] == b"PK\x03\x04":
        return "3mf"
    if head[:3] == b"ply":
        return "ply"
    if formats.looks_like_binary_stl(data):
        return "stl"
    if stripped[:1] == b"{" and b'"asset"' in data[:65536] + data[-65536:]:
        return "gltf"
    lowered = stripped.lower()
    first_word = lowered.split(None, 1)[0] if lowered.split() else b""
    if first_word.endswith(b"off") and len(first_word) <= 6:
        return "off"
    if lowered.startswith(b"solid") and (b"facet" in data[:4096].lower() or b"endsolid" in lowered):
        return "stl_ascii"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a multibyte character may be cut at 512 bytes; anything else binary is not OBJ
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return None
    sample = data[:262144]
    for line in sample.splitlines():
        if line[:2] in (b"v ", b"f ", b"v\t"):
            return "obj"
    return None


#: Bytes of an upload's head enough for :func:`sniff_head` (the OBJ sample of :func:`sniff_format`).
HEAD_BYTES = 262144


def sniff_head(head: bytes, size: int) -> str | None:
    """The mesh format from a file's first ``HEAD_BYTES`` and its total size, for an upload not read whole.

    Agrees with :func:`sniff_format` on the whole file for every format an upload may have (binary STL is
    recognised by its header count matching ``size``); None when the content is not a mesh.
    """
    if len(head) >= size:
        return sniff_format(head[:size])
    declared = formats.binary_stl_declared_count(head)
    if declared is not None and size == formats.STL_HEADER_BYTES + formats.STL_RECORD_BYTES * declared:
        return "stl"
    fmt = sniff_format(head)
    return None if fmt == "stl" else fmt


_OTHER_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive",
    b"\x1f\x8b": "a gzip archive",
}


def not_a_mesh_reason(data: bytes) -> str:
    """One-line reason why content is not a readable mesh (names common impostors, lying STL headers)."""
    for magic, what in _OTHER_MAGIC.items():
        if data.startswith(magic):
            return f"is {what}, not a mesh file"
    declared = formats.binary_stl_declared_count(data)
    if declared is not None and b"\x00" in data[:4096]:
        holds = (len(data) - formats.STL_HEADER_BYTES) // formats.STL_RECORD_BYTES
        return (
            "is not a readable mesh file: read as binary STL, its header declares "
            f"{declared} triangles but the file size holds {holds}"
        )
    return "is not a mesh file this studio reads (GLB, glTF, OBJ, STL, PLY, 3MF, OFF)"
