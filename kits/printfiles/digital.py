"""The customer's digital files of an approved figurine: six formats, each in its own tools' convention.

``write_digital_files(mesh, height_mm=150, out_dir=..., stem=...)`` scales the studio mesh (mm, Z up, facing
-Y) to the ordered height standing on z = 0 (no print base: that is the printer's business) and writes:

============  ==========================================================================================
``glb``       full colour GLB (:func:`kits.mesh.gltf.glb_bytes`): metres, Y up, facing +Z, linear COLOR_0
``glb_game``  the same decimated to a triangle budget (colours carried from the nearest original vertex),
              with normals, for game engines
``obj``       a zip of OBJ + MTL + palette PNG (and vertex colours): metres, Y up, facing +Z, which is what
              Blender's OBJ importer expects by default (Forward -Z, Up Y: the figure stands, facing front)
``fbx``       binary FBX 7.4 with a material and vertex colours (:mod:`kits.printfiles.fbx`): millimetres
              (UnitScaleFactor 0.1), Z up; Blender and game engines convert it to their metres
``stl``       binary STL at the ordered height in millimetres, Z up, no colour, for home printers
``usdz``      iOS Quick Look / AR (:mod:`kits.printfiles.usdz`): metres, Y up, real size
============  ==========================================================================================

Each entry of the result: ``format, path, filename, sha256, bytes, triangles, vertices, colors, units``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from kits.hashing import file_sha256
from kits.mesh.axes import studio_to_gltf
from kits.mesh.colors import colored_mesh
from kits.mesh.preview import make_web_glb
from kits.printfiles.fbx import write_fbx
from kits.printfiles.placement import place_for_print
from kits.printfiles.usdz import write_usdz
from kits.printfiles.writers import write_glb, write_obj, write_stl

DIGITAL_FORMATS = ("glb", "glb_game", "obj", "fbx", "stl", "usdz")
DEFAULT_GAME_TRIANGLES = 100_000

#: format -> (file extension, unit and axes in words)
FORMAT_FACTS: dict[str, tuple[str, str]] = {
    "glb": ("glb", "metres, Y up (glTF)"),
    "glb_game": ("glb", "metres, Y up (glTF), decimated"),
    "obj": ("zip", "metres, Y up (Blender's OBJ import default)"),
    "fbx": ("fbx", "millimetres, Z up (FBX unit scale 0.1)"),
    "stl": ("stl", "millimetres, Z up"),
    "usdz": ("usdz", "metres, Y up (USD, ARKit)"),
}

OBJ_HEADER = "Figurine Studio digital file, metres, Y up, facing +Z (Blender: import with Forward -Z, Up Y)"


def _entry(fmt: str, path: Path, triangles: int, vertices: int, colors: bool) -> dict[str, Any]:
    return {
        "format": fmt,
        "path": str(path),
        "filename": path.name,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "triangles": int(triangles),
        "vertices": int(vertices),
        "colors": bool(colors),
        "units": FORMAT_FACTS[fmt][1],
    }


def write_obj_zip(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> Path:
    """OBJ (+ MTL and palette PNG when coloured) in metres, Y up, zipped together at ``path``."""
    folder = path.parent / f"{path.stem}-obj"
    folder.mkdir(exist_ok=True)
    written = write_obj(
        folder / f"{path.stem}.obj", studio_to_gltf(vertices), faces, colors, header=OBJ_HEADER
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in written:
            archive.write(member, arcname=member.name)
    return path


def write_digital_files(
    mesh: trimesh.Trimesh,
    *,
    height_mm: float,
    out_dir: str | Path,
    stem: str = "figurine",
    game_triangles: int = DEFAULT_GAME_TRIANGLES,
    formats: tuple[str, ...] = DIGITAL_FORMATS,
    progress: Callable[[str, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Write ``formats`` of ``mesh`` at ``height_mm`` into ``out_dir`` (see the module docstring)."""
    out_dir = Path(out_dir)
    placement = place_for_print(mesh, height_mm=float(height_mm), base="never")
    vertices = np.asarray(placement.mesh.vertices, dtype=np.float64)
    faces = np.asarray(placement.mesh.faces, dtype=np.int64)
    colors = placement.colors
    has_color = colors is not None
    count, triangles = len(vertices), len(faces)
    done: list[dict[str, Any]] = []
    for step, fmt in enumerate(formats):
        if progress is not None:
            progress(f"writing {fmt}", int(100 * step / len(formats)))
        extension = FORMAT_FACTS[fmt][0]
        path = out_dir / f"{stem}-{fmt.replace('_', '-')}.{extension}"
        if fmt == "glb":
            write_glb(path, vertices, faces, colors)
            done.append(_entry(fmt, path, triangles, count, has_color))
        elif fmt == "glb_game":
            report = make_web_glb(
                colored_mesh(vertices, faces, colors),
                path,
                max_triangles=int(game_triangles),
                hausdorff_samples=0,
                include_normals=True,
            )
            done.append(_entry(fmt, path, report["triangles"], report["vertices"], report["colors"]))
        elif fmt == "obj":
            write_obj_zip(path, vertices, faces, colors)
            done.append(_entry(fmt, path, triangles, count, has_color))
        elif fmt == "fbx":
            write_fbx(path, vertices, faces, colors)
            done.append(_entry(fmt, path, triangles, count, has_color))
        elif fmt == "stl":
            write_stl(path, vertices, faces, None)
            done.append(_entry(fmt, path, triangles, count, False))
        elif fmt == "usdz":
            write_usdz(path, vertices, faces, colors)
            done.append(_entry(fmt, path, triangles, count, has_color))
        else:
            raise ValueError(f"unknown digital format {fmt!r}; one of {', '.join(DIGITAL_FORMATS)}")
    return done
