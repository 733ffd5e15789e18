"""Writers for the plain formats: STL, PLY, GLB (through trimesh) and OBJ + MTL + PNG (our own, fast).

OBJ colour is written twice so every tool finds it: per-vertex ``v x y z r g b`` (MeshLab, ZBrush, trimesh)
and a small palette texture (MTL ``map_Kd``) for tools that only read textures. The palette holds each
distinct face colour as a 2x2 block of texels; all three UVs of a face sit on its block's centre, so
bilinear filtering never bleeds between colours.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from kits.mesh.colors import colored_mesh, face_colors_from_vertices
from kits.mesh.gltf import glb_bytes

PALETTE_CELL = 2


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Binary STL (no colour)."""
    trimesh.Trimesh(vertices=vertices, faces=faces, process=False).export(path, file_type="stl")
    return [path]


def write_ply(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Binary little-endian PLY with uchar red/green/blue/alpha per vertex."""
    colored_mesh(vertices, faces, colors).export(path, file_type="ply", encoding="binary")
    return [path]


def write_glb(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Binary glTF in glTF's units and axes (metres, Y up, facing +Z) with linear COLOR_0 vertex colours;
    the studio's loader turns it back to millimetres, Z up and sRGB."""
    path.write_bytes(glb_bytes(colored_mesh(vertices, faces, colors)))
    return [path]


def format_rows(fmt: str, rows: np.ndarray, chunk: int = 32_768) -> Iterator[str]:
    """``fmt`` applied to each row of ``rows``, yielded in blocks (one % operation per block, bounded memory)."""
    for start in range(0, len(rows), chunk):
        block = rows[start : start + chunk]
        yield (fmt * len(block)) % tuple(block.ravel().tolist())


def palette_texture(face_colors: np.ndarray) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """Palette image of the distinct RGB face colours, the UV of each palette entry, the entry of each face."""
    rgb = face_colors[:, :3]
    unique, face_entry = np.unique(rgb, axis=0, return_inverse=True)
    face_entry = face_entry.reshape(-1)
    count = len(unique)
    cells_per_row = max(1, int(np.ceil(np.sqrt(count))))
    rows = int(np.ceil(count / cells_per_row))
    cell = PALETTE_CELL
    image = np.zeros((rows * cell, cells_per_row * cell, 3), dtype=np.uint8)
    index = np.arange(count)
    row, col = index // cells_per_row, index % cells_per_row
    for dy in range(cell):
        for dx in range(cell):
            image[row * cell + dy, col * cell + dx] = unique
    width, height = cells_per_row * cell, rows * cell
    # UV at the centre of each cell (OBJ v runs bottom to top)
    u = (col * cell + cell / 2) / width
    v = 1.0 - (row * cell + cell / 2) / height
    return Image.fromarray(image, "RGB"), np.column_stack([u, v]), face_entry


def write_obj(
    path: Path,
    vertices: np.ndarray,
    faces: np.ndarray,
    colors: np.ndarray | None,
    *,
    header: str = "Figurine Studio print export, millimetres, Z up",
) -> list[Path]:
    """OBJ; with colour also ``<stem>.mtl`` and ``<stem>.png`` next to it, referenced by relative name.
    ``header`` is the first comment line: what the file is, its unit and axis (the print export's by default)."""
    lines = [f"# {header}\n# vertices {len(vertices)} faces {len(faces)}\n"]
    written = [path]
    f1 = faces + 1
    if colors is None:
        lines.append(format_rows("v %.5f %.5f %.5f\n", vertices))
        lines.append(format_rows("f %d %d %d\n", f1))
    else:
        mtl_path, png_path = path.with_suffix(".mtl"), path.with_suffix(".png")
        image, uvs, face_entry = palette_texture(face_colors_from_vertices(faces, colors))
        image.save(png_path, optimize=False)
        mtl_path.write_text(
            "# Figurine Studio colour palette\nnewmtl figurine\nKa 1.000 1.000 1.000\nKd 1.000 1.000 1.000\n"
            f"Ks 0.000 0.000 0.000\nd 1.0\nillum 1\nmap_Kd {png_path.name}\n"
        )
        rgb = colors[:, :3].astype(np.float64) / 255.0
        lines.append(f"mtllib {mtl_path.name}\n")
        lines.append(format_rows("v %.5f %.5f %.5f %.4f %.4f %.4f\n", np.hstack([vertices, rgb])))
        lines.append(format_rows("vt %.7f %.7f\n", uvs))
        lines.append("usemtl figurine\n")
        t1 = face_entry + 1
        corners = np.column_stack([f1[:, 0], t1, f1[:, 1], t1, f1[:, 2], t1])
        lines.append(format_rows("f %d/%d %d/%d %d/%d\n", corners))
        written += [mtl_path, png_path]
    with open(path, "w", encoding="ascii") as handle:
        for part in lines:
            handle.writelines([part] if isinstance(part, str) else part)
    return written
