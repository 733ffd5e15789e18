"""The public entry point: customer photos to a coloured, watertight base mesh.

Output convention (DESIGN.md section 6): millimetres, Z up, the figurine facing -Y, standing on
z = 0, centred on x = y = 0, scaled to the ordered height, vertex colours.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import numpy as np
import torch
import trimesh

from .backends import BuiltinBackend, CheckpointError, get_backend
from .colour import vertex_colours
from .device import select_device
from .shape import ShapeField
from .style import chibi_warp
from .surface import extract_surface, keep_significant_shells, remesh, signed_volume
from .types import PRODUCT_LINES, STYLES, PhotoInput, ReconstructionError, ReconstructionResult
from .views import register_views

logger = logging.getLogger(__name__)

__all__ = ["reconstruct", "resolution_for_budget"]

DEFAULT_TRIANGLE_BUDGET = 200_000


def resolution_for_budget(triangle_budget: int) -> int:
    """Voxels per figure height so marching cubes gives somewhat more triangles than the budget."""
    return int(np.clip(round(0.55 * np.sqrt(triangle_budget)), 40, 320))


def reconstruct(
    photos: list[PhotoInput],
    *,
    product_line: str = "solo",
    height_mm: float = 150.0,
    style: str = "realistic",
    backend: str = "builtin",
    device: str = "auto",
    triangle_budget: int = DEFAULT_TRIANGLE_BUDGET,
    resolution: int | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ReconstructionResult:
    """Photos (front first, or any order with kinds) to a base mesh with vertex colours.

    Raises :class:`ReconstructionError` for unusable input (no front photo, no subject, bad options).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if product_line not in PRODUCT_LINES:
        raise ReconstructionError(
            f"unknown product line {product_line!r}; expected one of {', '.join(PRODUCT_LINES)}"
        )
    if style not in STYLES:
        raise ReconstructionError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    if not (np.isfinite(height_mm) and 10.0 <= height_mm <= 1000.0):
        raise ReconstructionError(f"height {height_mm} mm is out of range (10..1000)")
    if triangle_budget < 500:
        raise ReconstructionError("triangle budget must be at least 500")

    def report_progress(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    def lap(stage: str, t0: float) -> float:
        now = time.perf_counter()
        timings[stage] = round(now - t0, 3)
        return now

    torch_device, device_note = select_device(device)
    t = time.perf_counter()
    report_progress("segmenting", 5)
    views, notes = register_views(photos, product_line)
    t = lap("segment_register", t)
    report_progress("registered", 20)

    shape_backend, fallback = get_backend(backend, torch_device, checkpoint_path)
    res = int(resolution or resolution_for_budget(triangle_budget))
    with torch.no_grad():
        try:
            field = shape_backend.shape(views, product_line, res, torch_device)
        except CheckpointError as exc:
            fallback = str(exc)
            logger.warning("reconstruction falls back to the builtin backend: %s", fallback)
            shape_backend = BuiltinBackend()
            field = shape_backend.shape(views, product_line, res, torch_device)
        t = lap("shape", t)
        report_progress("shape", 40)

        source_field: ShapeField = field
        warp = None
        if style == "chibi":
            field, warp = chibi_warp(field, product_line)
            if warp is None:
                notes.append("chibi: no neck found, proportions unchanged")
        t = lap("style", t)
        report_progress("surface", 50)

        surface = extract_surface(field)
        surface = keep_significant_shells(surface)
        t = lap("marching_cubes", t)
        report_progress("remeshing", 60)
        mesh = remesh(surface, triangle_budget)
        t = lap("remesh", t)
        report_progress("colouring", 80)

        points = mesh.vertices
        if warp is not None:
            points = warp.inverse(torch.as_tensor(points, dtype=torch.float64)).numpy()
        colours, colour_stats = vertex_colours(points, np.asarray(mesh.vertex_normals), views, source_field)
        t = lap("colour", t)
    report_progress("finishing", 95)

    mesh = _to_studio_frame(mesh, height_mm)
    mesh.visual = trimesh.visual.ColorVisuals(mesh=mesh, vertex_colors=colours)
    lap("finish", t)
    seconds = round(time.perf_counter() - started, 3)
    report = {
        "backend": shape_backend.name,
        "backend_requested": backend,
        "backend_fallback_reason": fallback,
        "device": str(torch_device),
        "device_note": device_note,
        "product_line": product_line,
        "style": style,
        "height_mm": float(height_mm),
        "views": [
            {
                "kind": v.kind,
                "role": v.role,
                "confidence": round(v.confidence, 3),
                "subjects": v.components,
                "used_for": list(v.uses),
                **({"close_up": True} if v.cropped else {}),
                **({"facing": "image_left" if v.facing > 0 else "image_right"} if v.role == "side" else {}),
            }
            for v in views
        ],
        "method": (
            shape_backend.name
            if shape_backend.name != "builtin"
            else (
                "rounded_visual_hull"
                if any(v.role == "side" and "shape" in v.uses for v in views)
                else "front_inflation"
            )
        ),
        "resolution": res,
        "triangle_budget": int(triangle_budget),
        "triangles": int(len(mesh.faces)),
        "vertices": int(len(mesh.vertices)),
        "watertight": bool(mesh.is_watertight),
        "shells": int(mesh.body_count),
        "volume_mm3": round(abs(signed_volume(mesh.vertices, mesh.faces)), 1),
        "bbox_mm": [round(float(v), 2) for v in mesh.extents],
        "colour": {k: round(v, 3) for k, v in colour_stats.items()},
        "notes": notes,
        "timings_s": timings,
        "seconds": seconds,
    }
    report_progress("done", 100)
    return ReconstructionResult(mesh=mesh, report=report)


def _to_studio_frame(mesh: trimesh.Trimesh, height_mm: float) -> trimesh.Trimesh:
    """Scale to the ordered height, stand on z = 0, centre on x = y = 0 (already Z up, facing -Y)."""
    lo, hi = mesh.bounds
    scale = height_mm / max(hi[2] - lo[2], 1e-9)
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    vertices = (mesh.vertices - centre) * scale
    return trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)
