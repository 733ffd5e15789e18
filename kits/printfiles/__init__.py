"""Print exports: a figurine scaled to its ordered height, standing on z = 0, in every studio format.

``export_print(mesh, height_mm=150, fmt="3mf", base="auto", out_path=...)`` places the mesh (see
:mod:`.placement`), writes the file(s) and returns a JSON-ready report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from kits.hashing import file_sha256
from kits.mesh.checks import DEFAULT_BUILD_VOLUMES_MM, check_mesh
from kits.mesh.checks.stand import fits_build_volume, mesh_stability
from kits.mesh.io import load_mesh
from kits.printfiles.fbx import read_fbx_mesh, write_fbx
from kits.printfiles.placement import BASE_MODES, ExportError, place_for_print
from kits.printfiles.threemf import read_3mf, write_3mf
from kits.printfiles.vrml import read_wrl, write_wrl
from kits.printfiles.writers import write_glb, write_obj, write_ply, write_stl

Writer = Callable[[Path, np.ndarray, np.ndarray, "np.ndarray | None"], list[Path]]

WRITERS: dict[str, Writer] = {
    "stl": write_stl,
    "obj": write_obj,
    "ply": write_ply,
    "glb": write_glb,
    "3mf": write_3mf,
    "wrl": write_wrl,
    "fbx": write_fbx,
}
FORMATS = tuple(WRITERS)
COLOR_FORMATS = ("obj", "ply", "glb", "3mf", "wrl", "fbx")

__all__ = [
    "BASE_MODES",
    "CHECK_SUMMARY_KEYS",
    "COLOR_FORMATS",
    "FORMATS",
    "ExportError",
    "check_written_file",
    "export_print",
    "file_sha256",
    "read_3mf",
    "read_fbx_mesh",
    "read_wrl",
]


def _round(values: np.ndarray, digits: int = 3) -> list[float]:
    return [round(float(v), digits) for v in values]


def export_print(
    mesh: trimesh.Trimesh,
    *,
    height_mm: float,
    fmt: str,
    base: str = "auto",
    out_path: str | Path,
    build_volumes_mm: list[tuple[float, float, float]] | None = None,
    check_limits: Mapping[str, Any] | None = None,
) -> dict:
    """Write ``mesh`` for print at ``height_mm`` (base included) in ``fmt`` to ``out_path``.

    ``fits_build_volume`` tells whether the print fits one of ``build_volumes_mm`` (x, y, z mm; the mesh
    kit's DEFAULT_BUILD_VOLUMES_MM when None).

    Returns a report: ``format, path, files [{path, sha256, bytes}], sha256, height_mm, scale, base_added,
    base_reason, base {radius_mm, thickness_mm, overlap_mm, rgba, union} | None, triangles, vertices,
    watertight, volume_mm3 (None when not closed), area_mm2, bbox_mm [x, y, z], bbox_min_mm, bbox_max_mm,
    colors (whether the file carries colour), center_of_mass_mm, stable, stable_before, fits_build_volume,
    printable, issues, check, warnings``.

    ``printable`` and ``issues`` are THE verdict (:func:`kits.mesh.checks.is_printable`): the written file is
    read back and checked by :func:`kits.mesh.checks.check_mesh` at the limits ``check_limits`` (its keyword
    arguments: ``thin_wall_mm``, ``fragile_wall_mm``, ``build_volumes_mm``; ``build_volumes_mm`` above
    overrides the latter), exactly as ``check_mesh`` on the file would judge it; ``check`` holds that
    report's measurements (walls, shells, self-intersections).
    Raises :class:`ExportError` with a one-line message on a mesh or argument it cannot export.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in WRITERS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise ExportError(f"output folder {str(out_path.parent)!r} does not exist")
    placement = place_for_print(mesh, height_mm=float(height_mm), base=base)
    placed = placement.mesh
    vertices = np.asarray(placed.vertices, dtype=np.float64)
    faces = np.asarray(placed.faces, dtype=np.int64)
    colors = placement.colors if fmt in COLOR_FORMATS else None
    written = WRITERS[fmt](out_path, vertices, faces, colors)

    after = mesh_stability(vertices, faces)
    watertight = bool(placed.is_watertight)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    files = [{"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in written]
    warnings = list(placement.warnings)
    if placement.colors is None and fmt in COLOR_FORMATS:
        warnings.append("the mesh carries no colour: exported uncoloured")
    if not after.stable:
        warnings.append("the figurine may tip over as exported (no base)")
    if not watertight:
        warnings.append("the surface is not closed (not watertight): repair it before printing")
    limits = dict(check_limits or {})
    if build_volumes_mm is not None:
        limits["build_volumes_mm"] = list(build_volumes_mm)
    volumes = limits.get("build_volumes_mm", DEFAULT_BUILD_VOLUMES_MM)
    limits["build_volumes_mm"] = list(volumes)
    fits, _volumes = fits_build_volume(hi - lo, volumes)
    check = check_written_file(out_path, fmt, limits)
    if not fits:
        size = " x ".join(f"{v:.1f}" for v in hi - lo)
        warnings.append(f"{size} mm does not fit any printer's build volume")
    return {
        "format": fmt,
        "path": str(out_path),
        "sha256": files[0]["sha256"],
        "files": files,
        "height_mm": round(float(hi[2] - lo[2]), 4),
        "scale": round(placement.scale, 8),
        "base_added": placement.base_added,
        "base_reason": placement.base_reason,
        "base": placement.base,
        "triangles": int(len(faces)),
        "vertices": int(len(vertices)),
        "watertight": watertight,
        "volume_mm3": round(float(abs(placed.volume)), 3) if watertight else None,
        "area_mm2": round(float(placed.area), 3),
        "bbox_mm": _round(hi - lo),
        "bbox_min_mm": _round(lo),
        "bbox_max_mm": _round(hi),
        "colors": colors is not None,
        "center_of_mass_mm": _round(np.asarray(after.center_of_mass_mm)),
        "stable": after.stable,
        "stable_before": placement.stability_before.stable,
        "fits_build_volume": fits,
        "printable": check["printable"],
        "issues": check["issues"],
        "check": {key: check.get(key) for key in CHECK_SUMMARY_KEYS},
        "warnings": warnings,
    }


#: The check report's measurements an export report repeats under ``check``.
CHECK_SUMMARY_KEYS = (
    "watertight",
    "shells",
    "self_intersecting_faces",
    "min_wall_mm",
    "thin_area_mm2",
    "stable",
    "printable",
)


def check_written_file(path: Path, fmt: str, limits: Mapping[str, Any]) -> dict[str, Any]:
    """The printability report of a print file as written (read back by the studio's loader, or by our
    VRML/FBX readers, which the loader does not take), at the file's own scale."""
    if fmt in ("wrl", "fbx"):
        from kits.printfiles.tray_render import read_print_file  # it imports this package

        vertices, faces, _colors = read_print_file(path, fmt)
        source: Any = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    else:
        source = load_mesh(path)
    return check_mesh(source, height_mm=None, **limits)
