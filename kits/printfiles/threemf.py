"""3MF with colour (core spec + the Materials and Properties extension), and a reader for it.

trimesh's 3MF writer drops colour, so the model XML is written here: one ``<m:colorgroup>`` holding the
distinct vertex colours and every triangle pointing at its three corners' colours (``pid``/``p1``/``p2``/
``p3``), which full-colour printers (material jetting) read as per-vertex colour. Units are millimetres.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from lxml import etree

from kits.printfiles.writers import format_rows

CORE_NS = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
MATERIAL_NS = "http://schemas.microsoft.com/3dmanufacturing/material/2015/02"
MODEL_PATH = "3D/3dmodel.model"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
    "</Types>\n"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Target="/{MODEL_PATH}" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
    "</Relationships>\n"
)


def write_3mf(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Write a 3MF package (a zip) with one mesh object, coloured per vertex when ``colors`` is given."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<model unit="millimeter" xml:lang="en-US" xmlns="{CORE_NS}" xmlns:m="{MATERIAL_NS}">\n',
        '<metadata name="Application">Figurine Studio</metadata>\n<resources>\n',
    ]
    object_id = 1
    if colors is not None:
        unique, entry = np.unique(colors, axis=0, return_inverse=True)
        entry = entry.reshape(-1)
        parts.append('<m:colorgroup id="1">\n')
        parts.append(format_rows('<m:color color="#%02X%02X%02X%02X"/>\n', unique.astype(np.int64)))
        parts.append("</m:colorgroup>\n")
        object_id = 2
        parts.append(f'<object id="{object_id}" type="model" pid="1" pindex="{int(entry[faces[0, 0]])}">\n')
    else:
        parts.append(f'<object id="{object_id}" type="model">\n')
    parts.append("<mesh>\n<vertices>\n")
    parts.append(format_rows('<vertex x="%.5f" y="%.5f" z="%.5f"/>\n', vertices))
    parts.append("</vertices>\n<triangles>\n")
    if colors is not None:
        rows = np.column_stack([faces, entry[faces]])
        parts.append(
            format_rows('<triangle v1="%d" v2="%d" v3="%d" pid="1" p1="%d" p2="%d" p3="%d"/>\n', rows)
        )
    else:
        parts.append(format_rows('<triangle v1="%d" v2="%d" v3="%d"/>\n', faces))
    parts.append(
        f'</triangles>\n</mesh>\n</object>\n</resources>\n<build><item objectid="{object_id}"/></build>\n'
    )
    parts.append("</model>\n")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open(MODEL_PATH, "w", force_zip64=True) as model:
            for part in parts:
                for text in [part] if isinstance(part, str) else part:
                    model.write(text.encode("ascii"))
    return [path]


def _parse_color(text: str) -> tuple[int, int, int, int]:
    text = text.lstrip("#")
    rgba = [int(text[i : i + 2], 16) for i in range(0, len(text), 2)]
    return tuple(rgba + [255] * (4 - len(rgba)))  # type: ignore[return-value]


def read_3mf(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, faces and per-corner RGBA ``(m, 3, 4)`` (None without colour) of the first mesh object.

    Reads colour groups and base materials; used to verify our own exports (not a hostile-file loader:
    the studio's safe loader is :func:`kits.mesh.io.load_mesh`).
    """
    with zipfile.ZipFile(path) as archive:
        data = archive.read(MODEL_PATH)
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))
    ns = {"c": CORE_NS, "m": MATERIAL_NS}
    groups: dict[str, list[tuple[int, int, int, int]]] = {}
    for group in root.iterfind(".//m:colorgroup", ns):
        groups[group.get("id")] = [_parse_color(c.get("color")) for c in group.iterfind("m:color", ns)]
    for group in root.iterfind(".//c:basematerials", ns):
        groups[group.get("id")] = [_parse_color(b.get("displaycolor")) for b in group.iterfind("c:base", ns)]
    mesh_object = next(root.iterfind(".//c:object", ns))
    mesh = mesh_object.find("c:mesh", ns)
    vertices = np.array(
        [[float(v.get(k)) for k in ("x", "y", "z")] for v in mesh.iterfind("c:vertices/c:vertex", ns)]
    )
    triangles = list(mesh.iterfind("c:triangles/c:triangle", ns))
    faces = np.array([[int(t.get(k)) for k in ("v1", "v2", "v3")] for t in triangles], dtype=np.int64)
    if not groups:
        return vertices, faces, None
    default_pid, default_index = mesh_object.get("pid"), mesh_object.get("pindex", "0")
    corner = np.zeros((len(faces), 3, 4), dtype=np.uint8)
    for i, triangle in enumerate(triangles):
        pid = triangle.get("pid", default_pid)
        if pid is None or pid not in groups:
            continue
        p1 = triangle.get("p1", default_index if triangle.get("pid") is None else None)
        p1 = p1 if p1 is not None else "0"
        indices = [p1, triangle.get("p2", p1), triangle.get("p3", p1)]
        corner[i] = [groups[pid][int(k)] for k in indices]
    return vertices, faces, corner
