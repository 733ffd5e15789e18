"""Tray pictures and tray files (pure Python: Pillow, numpy, the mesh toolkit; no Django).

- :func:`render_layout_png` draws a tray layout (the dict of :meth:`kits.printfiles.packing.TrayLayout.as_dict`):
  the tray, its clearance band, every footprint outlined and labelled, and the utilisation.
- :func:`build_tray_file` writes one file for the printer with every part's print file placed where the
  layout put it (turned a quarter when the layout rotated it): each part its own 3MF object or VRML
  Transform when the print files allow, else all parts read and written as one mesh.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kits.mesh.colors import vertex_colors_of
from kits.mesh.io import load_mesh
from kits.printfiles import WRITERS, read_3mf, read_fbx_mesh, read_wrl
from kits.printfiles.threemf import CONTENT_TYPES, CORE_NS, MATERIAL_NS, MODEL_PATH, RELS
from kits.printfiles.vrml import count_triangles

PALETTE = [
    (66, 133, 244),
    (219, 68, 55),
    (244, 180, 0),
    (15, 157, 88),
    (171, 71, 188),
    (0, 172, 193),
    (255, 112, 67),
    (158, 157, 36),
    (92, 107, 192),
    (240, 98, 146),
]
TRAY_FILE_FORMATS = ("3mf", "wrl", "ply", "glb", "stl")
GREY = np.array([200, 200, 200, 255], dtype=np.uint8)


def render_layout_png(
    layout: dict, *, title: str = "", px_per_mm: float | None = None, max_px: int = 1200
) -> bytes:
    """The layout picture as PNG bytes: tray, margin band, outlined and labelled footprints."""
    tray_w, tray_d = (float(v) for v in layout["tray_mm"])
    scale = px_per_mm or max(0.5, min(max_px / tray_w, max_px / tray_d))
    pad, header = 20, 44
    width, height = int(tray_w * scale) + 2 * pad, int(tray_d * scale) + 2 * pad + header
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=13)  # the bundled scalable font (Pillow >= 10.1 with FreeType)
    except TypeError:  # pragma: no cover - older Pillow
        font = ImageFont.load_default()

    def to_px(x: float, y: float) -> tuple[float, float]:
        # y grows towards the back of the tray: draw it upwards
        return pad + x * scale, header + pad + (tray_d - y) * scale

    margin = float(layout.get("margin_mm", 0))
    draw.rectangle([to_px(0, tray_d), to_px(tray_w, 0)], fill=(236, 239, 241), outline=(38, 50, 56), width=3)
    if margin > 0:
        draw.rectangle(
            [to_px(margin, tray_d - margin), to_px(tray_w - margin, margin)],
            fill=(250, 250, 250),
            outline=(176, 190, 197),
            width=1,
        )
    for i, part in enumerate(layout.get("parts", [])):
        colour = PALETTE[i % len(PALETTE)]
        x, y, w, d = part["x"], part["y"], part["width"], part["depth"]
        box = [to_px(x, y + d), to_px(x + w, y)]
        draw.rectangle(box, fill=tuple(int(c * 0.25 + 255 * 0.75) for c in colour), outline=colour, width=2)
        label = part.get("label") or part["key"]
        text = f"{label}\n{w:.0f} x {d:.0f} mm" + ("\nturned" if part.get("rotated") else "")
        draw.multiline_text((box[0][0] + 4, box[0][1] + 3), _ascii(text), fill=(33, 33, 33), font=font)
    summary = (
        f"{title}  {layout['tray_mm'][0]:.0f} x {layout['tray_mm'][1]:.0f} mm, margin {margin:g} mm, "
        f"{len(layout.get('parts', []))} parts, utilisation {100 * float(layout.get('utilisation', 0)):.1f} %"
    )
    draw.text((pad, 14), _ascii(summary.strip()), fill=(0, 0, 0), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _ascii(text: str) -> str:
    """Labels drawn with any font: typographic signs spelled plainly."""
    return text.replace("×", "x").replace("—", "-").replace("–", "-").encode("ascii", "replace").decode()


def read_print_file(path: Path, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, faces and per-vertex RGBA uint8 (or None) of a print file written by the mesh toolkit."""
    fmt = fmt.lower()
    if fmt == "3mf":
        vertices, faces, colors = read_3mf(path)
    elif fmt == "wrl":
        vertices, faces, colors = read_wrl(path)
    elif fmt == "fbx":
        vertices, faces, colors = read_fbx_mesh(path)
    else:
        mesh = load_mesh(path).mesh
        vertices, faces, colors = np.asarray(mesh.vertices), np.asarray(mesh.faces), vertex_colors_of(mesh)
    return (
        np.asarray(vertices, dtype=np.float64),
        np.asarray(faces, dtype=np.int64),
        _vertex_rgba(colors, faces, len(vertices)),
    )


def _vertex_rgba(colors: np.ndarray | None, faces: np.ndarray, count: int) -> np.ndarray | None:
    """Per-vertex RGBA uint8 from what the readers give: per vertex (uint8 or 0..1 floats) or per corner."""
    if colors is None:
        return None
    colors = np.asarray(colors)
    if colors.ndim == 3:  # per triangle corner (m, 3, 4): each vertex takes a colour of a corner it is
        per_vertex = np.tile(GREY, (count, 1))
        for corner in range(3):
            per_vertex[np.asarray(faces)[:, corner]] = colors[:, corner, :4]
        return per_vertex
    if colors.dtype.kind == "f":
        colors = np.clip(np.rint(colors * 255), 0, 255)
    colors = colors.astype(np.uint8)
    if colors.shape[1] == 3:
        colors = np.column_stack([colors, np.full(len(colors), 255, dtype=np.uint8)])
    return colors if len(colors) == count else None


def part_transform(
    part: dict, bbox_min: Sequence[float], bbox_max: Sequence[float]
) -> tuple[bool, np.ndarray]:
    """(quarter turn about Z?, translation after it) that puts a print file's footprint where the layout says.

    The print file stands on z = 0 somewhere around the origin; its bounding box (from its report) is
    turned a quarter counter-clockwise when the layout rotated the part, then its lower-left corner moved
    to the part's (x, y) and its lowest point to z = 0.
    """
    lo, hi = np.asarray(bbox_min, dtype=np.float64), np.asarray(bbox_max, dtype=np.float64)
    rotated = bool(part.get("rotated"))
    corner = np.array([-hi[1], lo[0]]) if rotated else lo[:2]
    return rotated, np.array([float(part["x"]) - corner[0], float(part["y"]) - corner[1], -lo[2]])


def place_part(vertices: np.ndarray, part: dict) -> np.ndarray:
    """The part's vertices moved to its place on the tray (see :func:`part_transform`)."""
    vertices = np.asarray(vertices, dtype=np.float64)
    rotated, shift = part_transform(part, vertices.min(axis=0), vertices.max(axis=0))
    placed = vertices.copy()
    if rotated:
        placed[:, [0, 1]] = np.column_stack([-vertices[:, 1], vertices[:, 0]])
    return placed + shift


@dataclass
class TraySource:
    """One part of the tray file: its print file, that file's format and bounding box, and its layout part."""

    path: Path
    fmt: str
    part: dict
    bbox_min: Sequence[float] | None = None
    bbox_max: Sequence[float] | None = None


def build_tray_file(sources: list[TraySource], out_path: Path, *, fmt: str = "3mf") -> dict:
    """Write one file with every part placed; returns a small report (format, parts, triangles, how).

    When every print file is a 3MF (or every one a VRML) with a known bounding box and the tray takes that
    format, the parts are copied as they are, each in its own object placed by a transform (3MF build
    items, VRML Transform nodes): no geometry is decoded and memory stays at one part. Otherwise every part
    is read, moved, and all are written as one mesh in `fmt` (colours kept).
    """
    if not sources:
        raise ValueError("no print file to place on the tray")
    formats = {s.fmt for s in sources}
    boxed = all(s.bbox_min is not None and s.bbox_max is not None for s in sources)
    if boxed and formats == {"3mf"} and fmt == "3mf":
        return _merge_3mf(sources, out_path)
    if boxed and formats == {"wrl"} and fmt == "wrl":
        return _merge_wrl(sources, out_path)
    return _concatenate(sources, out_path, fmt if fmt in TRAY_FILE_FORMATS else "3mf")


_ID_ATTRIBUTES = (b"id", b"pid", b"objectid")


def _renumber(body: bytes, mapping: dict[int, int]) -> bytes:
    """Resource ids and references renumbered (`id`, `pid`, `objectid`), by plain byte replacement.

    Two passes through placeholders, so that an old id equal to another's new id is never renumbered twice.
    """
    for old in mapping:
        for attribute in _ID_ATTRIBUTES:
            for space in (b" ", b"\n", b"\t", b"\r"):
                body = body.replace(
                    b'%s%s="%d"' % (space, attribute, old), b'%s%s="\x01%d\x01"' % (space, attribute, old)
                )
    for old, new in mapping.items():
        body = body.replace(b'"\x01%d\x01"' % old, b'"%d"' % new)
    return body


_RESOURCE_ID = re.compile(
    rb'<(?:m:colorgroup|m:texture2dgroup|m:basematerials|basematerials|object)\b[^>]*?\bid="(\d+)"'
)


def _merge_3mf(sources: list[TraySource], out_path: Path) -> dict:
    next_id, items, triangles = 1, [], 0
    # fast deflate: tray files are big and short-lived
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open(MODEL_PATH, "w", force_zip64=True) as model:
            model.write(
                (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<model unit="millimeter" xml:lang="en-US" xmlns="{CORE_NS}" xmlns:m="{MATERIAL_NS}">\n'
                    '<metadata name="Application">Figurine Studio tray</metadata>\n<resources>\n'
                ).encode()
            )
            for source in sources:
                with zipfile.ZipFile(source.path) as package:
                    data = package.read(MODEL_PATH)
                start, end = data.index(b"<resources>") + len(b"<resources>"), data.rindex(b"</resources>")
                body, build = data[start:end], data[end:]
                mapping = {}
                for old in dict.fromkeys(int(x) for x in _RESOURCE_ID.findall(body)):
                    mapping[old] = next_id
                    next_id += 1
                body = _renumber(body, mapping)
                model.write(body)
                triangles += body.count(b"<triangle ")
                rotated, shift = part_transform(source.part, source.bbox_min, source.bbox_max)
                matrix = "0 1 0 -1 0 0 0 0 1" if rotated else "1 0 0 0 1 0 0 0 1"
                for object_id in re.findall(rb'<item\b[^>]*?\bobjectid="(\d+)"', build):
                    items.append(
                        f'<item objectid="{mapping[int(object_id)]}" transform="{matrix} '
                        f'{shift[0]:.5f} {shift[1]:.5f} {shift[2]:.5f}" partnumber="{source.part["key"]}"/>\n'
                    )
                del data, body
            model.write(("</resources>\n<build>\n" + "".join(items) + "</build>\n</model>\n").encode())
    return {
        "format": "3mf",
        "method": "objects",
        "parts": [s.part["key"] for s in sources],
        "triangles": triangles,
        "bytes": out_path.stat().st_size,
    }


def _merge_wrl(sources: list[TraySource], out_path: Path) -> dict:
    triangles = 0
    with open(out_path, "w", encoding="utf-8") as out:
        out.write("#VRML V2.0 utf8\n")
        out.write(
            'WorldInfo {\n  title "Figurine Studio tray"\n  info [ "units: millimetres", "up: +Z" ]\n}\n'
        )
        for source in sources:
            text = Path(source.path).read_text(encoding="utf-8")
            start = text.find("Shape {")
            if start < 0:
                raise ValueError(f"{source.path.name} holds no Shape node")
            body = text[start:]
            triangles += count_triangles(body)
            rotated, shift = part_transform(source.part, source.bbox_min, source.bbox_max)
            out.write(
                f"# part {source.part['key']}\nTransform {{\n  translation {shift[0]:.5f} {shift[1]:.5f} {shift[2]:.5f}\n"
            )
            out.write(f"  rotation 0 0 1 {math.pi / 2 if rotated else 0.0:.8f}\n  children [\n")
            out.write(body)
            out.write("  ]\n}\n")
    return {
        "format": "wrl",
        "method": "transforms",
        "parts": [s.part["key"] for s in sources],
        "triangles": triangles,
        "bytes": out_path.stat().st_size,
    }


def _concatenate(sources: list[TraySource], out_path: Path, fmt: str) -> dict:
    all_vertices, all_faces, all_colors = [], [], []
    offset = 0
    for source in sources:
        vertices, faces, colors = read_print_file(Path(source.path), source.fmt)
        all_vertices.append(place_part(vertices, source.part))
        all_faces.append(faces + offset)
        all_colors.append(colors if colors is not None else np.tile(GREY, (len(vertices), 1)))
        offset += len(vertices)
    vertices, faces, colors = np.vstack(all_vertices), np.vstack(all_faces), np.vstack(all_colors)
    WRITERS[fmt](out_path, vertices, faces, colors)
    return {
        "format": fmt,
        "method": "one mesh",
        "parts": [s.part["key"] for s in sources],
        "triangles": int(len(faces)),
        "bytes": out_path.stat().st_size,
    }
