"""Tray pictures and tray files (pure Python: Pillow, numpy, the mesh toolkit; no Django).

- :func:`render_layout_png` draws a tray layout (the dict of :meth:`printing.packing.TrayLayout.as_dict`):
  the tray, its clearance band, every footprint outlined and labelled, and the utilisation.
- :func:`build_tray_file` reads every part's print file and writes them all, translated (and turned a
  quarter when the layout rotated them) to their places on the tray, into one file for the printer.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from printing.meshkit.export import WRITERS, read_3mf, read_fbx_mesh, read_wrl
from printing.meshkit.export.colors import vertex_colors_of
from printing.meshkit.io import load_mesh

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
        text = f"{label}\n{w:.0f}×{d:.0f}" + (" ↻" if part.get("rotated") else "")
        draw.multiline_text(
            (box[0][0] + 4, box[0][1] + 3), text.replace("↻", "(rot)"), fill=(33, 33, 33), font=font
        )
    summary = (
        f"{title}  {layout['tray_mm'][0]:.0f}×{layout['tray_mm'][1]:.0f} mm, margin {margin:g} mm, "
        f"{len(layout.get('parts', []))} parts, utilisation {100 * float(layout.get('utilisation', 0)):.1f} %"
    )
    draw.text((pad, 14), summary.strip(), fill=(0, 0, 0), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def read_print_file(path: Path, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, faces and per-vertex RGBA (or None) of a print file written by the mesh toolkit."""
    fmt = fmt.lower()
    if fmt == "3mf":
        return read_3mf(path)
    if fmt == "wrl":
        return read_wrl(path)
    if fmt == "fbx":
        return read_fbx_mesh(path)
    mesh = load_mesh(path).mesh
    return np.asarray(mesh.vertices), np.asarray(mesh.faces), vertex_colors_of(mesh)


def place_part(vertices: np.ndarray, part: dict) -> np.ndarray:
    """Turn the part a quarter about Z when the layout rotated it, then put its footprint's corner at (x, y)."""
    placed = np.asarray(vertices, dtype=np.float64).copy()
    if part.get("rotated"):
        placed[:, [0, 1]] = np.column_stack([-placed[:, 1], placed[:, 0]])
    low = placed.min(axis=0)
    placed[:, 0] += float(part["x"]) - low[0]
    placed[:, 1] += float(part["y"]) - low[1]
    placed[:, 2] -= low[2]
    return placed


def build_tray_file(sources: list[tuple[Path, str, dict]], *, fmt: str = "3mf") -> tuple[bytes, dict]:
    """One file with every part placed. `sources`: (print file path, its format, its layout part).

    Returns the file's bytes and a small report (format, parts, triangles, bbox of the whole tray).
    """
    fmt = fmt if fmt in TRAY_FILE_FORMATS else "3mf"
    all_vertices, all_faces, all_colors, keys = [], [], [], []
    offset = 0
    for path, source_fmt, part in sources:
        vertices, faces, colors = read_print_file(Path(path), source_fmt)
        vertices = place_part(vertices, part)
        all_vertices.append(vertices)
        all_faces.append(np.asarray(faces, dtype=np.int64) + offset)
        all_colors.append(
            colors
            if colors is not None and len(colors) == len(vertices)
            else np.tile(GREY, (len(vertices), 1))
        )
        offset += len(vertices)
        keys.append(part["key"])
    if not all_vertices:
        raise ValueError("no print file to place on the tray")
    vertices, faces = np.vstack(all_vertices), np.vstack(all_faces)
    colors = np.vstack([np.asarray(c, dtype=np.uint8) for c in all_colors])
    with tempfile.TemporaryDirectory(prefix="tray-") as folder:
        out = Path(folder) / f"tray.{fmt}"
        WRITERS[fmt](out, vertices, faces, colors)
        data = out.read_bytes()
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    report = {
        "format": fmt,
        "parts": keys,
        "triangles": int(len(faces)),
        "bbox_min_mm": [round(float(v), 3) for v in low],
        "bbox_max_mm": [round(float(v), 3) for v in high],
        "bytes": len(data),
    }
    return data, report
