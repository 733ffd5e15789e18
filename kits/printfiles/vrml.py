"""VRML 2.0 (.wrl) with one colour per vertex, as full-colour printers read it, and a reader for it.

Coordinates are written in millimetres (the unit full-colour printer software assumes for VRML files
from sculpting tools); the ``WorldInfo`` node says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from kits.printfiles.writers import format_rows

#: Colour components to 6 decimals, rounded up to just above value/255 (see :func:`vrml_color_components`).
COLOR_ROW = "        %.6f %.6f %.6f,\n"


def write_wrl(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Write one ``Shape`` with an ``IndexedFaceSet``; ``Color`` per vertex with ``colorPerVertex TRUE``."""
    parts = [
        "#VRML V2.0 utf8\n",
        'WorldInfo {\n  title "Figurine Studio print export"\n  info [ "units: millimetres", "up: +Z" ]\n}\n',
        "Shape {\n  appearance Appearance {\n    material Material { diffuseColor 0.8 0.8 0.8 }\n  }\n",
        "  geometry IndexedFaceSet {\n    solid TRUE\n    ccw TRUE\n    convex TRUE\n",
        "    coord Coordinate {\n      point [\n",
        format_rows("        %.5f %.5f %.5f,\n", vertices),
        "      ]\n    }\n",
    ]
    if colors is not None:
        rgb = vrml_color_components(colors)
        parts += ["    colorPerVertex TRUE\n    color Color {\n      color [\n"]
        parts += [format_rows(COLOR_ROW, rgb), "      ]\n    }\n"]
    parts += ["    coordIndex [\n", format_rows("      %d, %d, %d, -1,\n", faces), "    ]\n  }\n}\n"]
    with open(path, "w", encoding="ascii") as handle:
        for part in parts:
            handle.writelines([part] if isinstance(part, str) else part)
    return [path]


def vrml_color_components(colors: np.ndarray) -> np.ndarray:
    """RGB 0..1 floats for 8-bit colours that every reader turns back into the same bytes.

    value/255 written to 4 decimals made MeshLab read 20 as 19 (it truncates ``c * 255``), and even
    value/255 to 6 decimals falls just under the integer for some values (20/255 = 0.0784313... is written
    0.078431, times 255 = 19.99990). So each component is rounded *up* on the 1e-6 grid from just above
    value/255: times 255 it lands 5e-5 to 3e-4 above the byte value (beyond float32 error), so readers that
    truncate and readers that round both get the byte back; 0 and 255 stay 0 and 1.
    """
    exact = np.asarray(colors)[:, :3].astype(np.float64) / 255.0
    return np.clip(np.ceil((exact + 2e-7) * 1e6) / 1e6, 0.0, 1.0) * (exact > 0)


def _bracket_after(text: str, pattern: str) -> str | None:
    """Contents of the ``[...]`` list that follows the first match of ``pattern``."""
    match = re.search(pattern, text)
    if match is None:
        return None
    start = text.index("[", match.end() - 1)
    end = text.index("]", start)
    return text[start + 1 : end]


def _numbers(block: str, dtype: type) -> np.ndarray:
    cleaned = re.sub(r"[,\s]+", " ", block).strip()
    return np.array(cleaned.split(" ") if cleaned else [], dtype=np.float64).astype(dtype)


def read_wrl(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, triangle faces and per-vertex RGB (float 0..1, None without colour) of the first
    ``IndexedFaceSet`` in a VRML 2.0 file; polygons are fan-triangulated."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if not text.startswith("#VRML V2.0"):
        raise ValueError("not a VRML 2.0 file")
    text = re.sub(r"#[^\n]*", "", text)
    points = _bracket_after(text, r"Coordinate\s*\{\s*point\s*\[")
    indices = _bracket_after(text, r"coordIndex\s*\[")
    if points is None or indices is None:
        raise ValueError("no IndexedFaceSet with coordinates")
    vertices = _numbers(points, float).reshape(-1, 3)
    flat = _numbers(indices, np.int64)
    faces: list[list[int]] = []
    polygon: list[int] = []
    for index in flat.tolist() + [-1]:
        if index < 0:
            faces += [[polygon[0], polygon[i], polygon[i + 1]] for i in range(1, len(polygon) - 1)]
            polygon = []
        else:
            polygon.append(index)
    color_block = _bracket_after(text, r"Color\s*\{\s*color\s*\[")
    colors = _numbers(color_block, float).reshape(-1, 3) if color_block is not None else None
    return vertices, np.array(faces, dtype=np.int64).reshape(-1, 3), colors


def _int_tokens(block: str) -> np.ndarray:
    """The integers of an ``MFInt32`` list (commas and whitespace separate them)."""
    return np.fromstring(block.replace(",", " "), dtype=np.int64, sep=" ")  # text mode: not deprecated


def count_triangles(text: str) -> int:
    """Triangles in every ``coordIndex`` list of VRML text, as :func:`read_wrl` fan-triangulates them.

    Counts index tokens, not ``"-1"`` substrings (which also match negative coordinates such as
    ``-12.5``): a polygon of n corners is n - 2 triangles; a list may omit its last ``-1``.
    """
    text = re.sub(r"#[^\n]*", "", text)
    total = 0
    for match in re.finditer(r"\bcoordIndex\s*\[", text):
        end = text.index("]", match.end())
        indices = _int_tokens(text[match.end() : end])
        if len(indices) and indices[-1] >= 0:
            indices = np.r_[indices, -1]  # the last polygon's closing -1 is optional
        corners = np.diff(np.r_[-1, np.flatnonzero(indices < 0)]) - 1
        total += int(np.clip(corners - 2, 0, None).sum())
    return total
