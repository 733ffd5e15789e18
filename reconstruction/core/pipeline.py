"""The public entry point: customer photos to a coloured, watertight base mesh.

Output convention (DESIGN.md section 6): millimetres, Z up, the figurine facing -Y, standing on
z = 0, centred on x = y = 0, scaled to the ordered height, vertex colours. A couple or a family is
one figure per person, side by side (person 1 on the viewer's left).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import torch
import trimesh

from .backends import BuiltinBackend, CheckpointError, get_backend
from .colour import vertex_colours
from .device import select_device
from .persons import assign_persons, persons_for
from .shape import ShapeField
from .style import chibi_warp
from .surface import extract_surface, keep_significant_shells, remesh, signed_volume
from .types import PRODUCT_LINES, STYLES, PhotoInput, ReconstructionError, ReconstructionResult
from .views import prepare_view, register_prepared, subject_for

logger = logging.getLogger(__name__)

__all__ = ["reconstruct", "resolution_for_budget"]

DEFAULT_TRIANGLE_BUDGET = 200_000


def resolution_for_budget(triangle_budget: int) -> int:
    """Voxels per figure height so marching cubes gives somewhat more triangles than the budget."""
    return int(np.clip(round(0.55 * np.sqrt(triangle_budget)), 40, 320))


#: Gap between two persons' figures standing side by side (share of the figure height).
PERSON_GAP = 0.05


@dataclass
class _Figure:
    """One person's (or one group photo's) figure in the figure frame (height about 1), coloured."""

    number: int
    mesh: trimesh.Trimesh
    colours: np.ndarray
    views: list = dataclass_field(default_factory=list)
    method: str = "template"
    colour_stats: dict = dataclass_field(default_factory=dict)
    source: str = "photos"


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
    persons: int = 1,
    learned: bool | None = None,
) -> ReconstructionResult:
    """Photos (front first, or any order with kinds) to a base mesh with vertex colours.

    Couples and families (``persons``: how many the item has) get one figure per person from that
    person's photos (:mod:`.persons`), side by side; a person without usable photos gets a grey
    template body in their place and a warning. ``learned=False`` forces the classical segmentation.

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
    if not photos:
        raise ReconstructionError("no photos given")

    def report_progress(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    def lap(stage: str, t0: float) -> float:
        now = time.perf_counter()
        timings[stage] = round(timings.get(stage, 0.0) + now - t0, 3)
        return now

    torch_device, device_note = select_device(device)
    t = time.perf_counter()
    report_progress("segmenting", 5)
    subject = subject_for(product_line)
    prepared = [prepare_view(p, subject=subject, learned=learned) for p in photos]
    groups, assignment, notes = assign_persons(photos, prepared, product_line, persons)
    t = lap("segment_register", t)
    report_progress("registered", 20)

    count = persons_for(product_line, persons)
    separate = assignment in ("numbers", "detected")
    figures_wanted = count if separate else 1
    budget = max(500, int(triangle_budget) // figures_wanted)
    res = int(resolution or resolution_for_budget(budget))
    shape_backend, fallback = get_backend(backend, torch_device, checkpoint_path)
    warnings: list[str] = []
    figures: list[_Figure] = []
    chibi_note = False
    first_error: ReconstructionError | None = None
    for group in groups:
        try:
            views, group_notes = register_prepared(group.views, product_line)
        except ReconstructionError as exc:
            first_error = first_error or exc
            if separate:
                warnings.append(
                    f"person {group.number}'s photos cannot make a figure ({exc}): a grey template body "
                    "stands in for them"
                )
            continue
        notes.extend(f"person {group.number}: {n}" if separate and count > 1 else n for n in group_notes)
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
                chibi_note = chibi_note or warp is None
            t = lap("style", t)
            report_progress("surface", 50)
            surface = keep_significant_shells(extract_surface(field))
            t = lap("marching_cubes", t)
            report_progress("remeshing", 60)
            mesh = remesh(surface, budget)
            t = lap("remesh", t)
            report_progress("colouring", 80)
            points = mesh.vertices
            if warp is not None:
                points = warp.inverse(torch.as_tensor(points, dtype=torch.float64)).numpy()
            colours, colour_stats = vertex_colours(
                points, np.asarray(mesh.vertex_normals), views, source_field
            )
            t = lap("colour", t)
        method = (
            shape_backend.name
            if shape_backend.name != "builtin"
            else (
                "rounded_visual_hull"
                if any(v.role == "side" and "shape" in v.uses for v in views)
                else "front_inflation"
            )
        )
        figures.append(_Figure(group.number, mesh, colours, views, method, colour_stats))
    if not figures:
        raise first_error or ReconstructionError("no photos given")
    if chibi_note:
        notes.append("chibi: no neck found, proportions unchanged")
    if separate:
        have = {f.number for f in figures}
        for number in range(1, count + 1):
            if number not in have:
                if not any(g.number == number for g in groups):
                    warnings.append(
                        f"person {number} of {count} has no photos: a grey template body stands in for "
                        "them on the base mesh"
                    )
                figures.append(_template_figure(number))
        figures.sort(key=lambda f: f.number)
        if len(figures) > 1:
            notes.append(
                "each person stands at the ordered height, side by side (separate photos do not show "
                "their relative heights)"
            )
    report_progress("finishing", 95)
    mesh, colours = _side_by_side(figures) if len(figures) > 1 else (figures[0].mesh, figures[0].colours)
    mesh = _to_studio_frame(mesh, height_mm)
    mesh.visual = trimesh.visual.ColorVisuals(mesh=mesh, vertex_colors=colours)
    lap("finish", t)
    seconds = round(time.perf_counter() - started, 3)
    all_views = [(f.number, v) for f in figures for v in f.views]
    backends = sorted({v.backend for _, v in all_views})
    methods = sorted({f.method for f in figures if f.source == "photos"})
    report = {
        "backend": shape_backend.name,
        "backend_requested": backend,
        "backend_fallback_reason": fallback,
        "device": str(torch_device),
        "device_note": device_note,
        "product_line": product_line,
        "style": style,
        "height_mm": float(height_mm),
        "perception": backends[0] if len(backends) == 1 else "mixed",
        "views": [_view_report(v, number if count > 1 else None) for number, v in all_views],
        "method": "+".join(methods),
        "resolution": res,
        "triangle_budget": int(triangle_budget),
        "triangles": int(len(mesh.faces)),
        "vertices": int(len(mesh.vertices)),
        "watertight": bool(mesh.is_watertight),
        "shells": int(mesh.body_count),
        "volume_mm3": round(abs(signed_volume(mesh.vertices, mesh.faces)), 1),
        "bbox_mm": [round(float(v), 2) for v in mesh.extents],
        "colour": {
            k: round(float(np.mean([f.colour_stats[k] for f in figures if k in f.colour_stats])), 3)
            for k in dict.fromkeys(k for f in figures for k in f.colour_stats)
        },
        "persons": [
            {
                "person": f.number,
                "source": f.source,
                "photos": [v.kind for v in f.views],
                "method": f.method,
                **({"together": True} if assignment == "group_photo" else {}),
            }
            for f in figures
        ],
        "person_assignment": assignment,
        "warnings": warnings,
        "notes": notes,
        "timings_s": timings,
        "seconds": seconds,
    }
    report_progress("done", 100)
    return ReconstructionResult(mesh=mesh, report=report)


def _view_report(v, person: int | None) -> dict:
    return {
        "kind": v.kind,
        "role": v.role,
        "confidence": round(v.confidence, 3),
        "subjects": v.components,
        "used_for": list(v.uses),
        **({"close_up": True} if v.cropped else {}),
        **({"facing": "image_left" if v.facing > 0 else "image_right"} if v.role == "side" else {}),
        **({"facing_from": v.facing_from} if v.role == "side" else {}),
        "perception": v.backend,
        "segmentation": v.method,
        **({"segmentation_checked_by": v.checked_by} if v.checked_by else {}),
        "faces": len(v.faces),
        "poses": len(v.poses),
        "floor_shadow_px": v.shadow_px,
        "registered_by": v.registered_by,
        **({"person": person} if person is not None else {}),
    }


def _template_figure(number: int) -> _Figure:
    """A grey template person, height 1, for a person without usable photos."""
    from .template import template_body

    body = template_body("solo", height_mm=1.0)
    return _Figure(number, body, np.asarray(body.visual.vertex_colors), [], "template", {}, "template")


def _side_by_side(figures: list[_Figure]) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The figures at one height, left to right (person 1 on the viewer's left), centred in depth."""
    vertices, faces, colours = [], [], []
    x = 0.0
    offset = 0
    for f in figures:
        lo, hi = f.mesh.bounds
        scale = 1.0 / max(hi[2] - lo[2], 1e-9)
        v = (f.mesh.vertices - [lo[0], (lo[1] + hi[1]) / 2, lo[2]]) * scale + [x, 0.0, 0.0]
        x += (hi[0] - lo[0]) * scale + PERSON_GAP
        vertices.append(v)
        faces.append(f.mesh.faces + offset)
        offset += len(v)
        colours.append(np.asarray(f.colours, np.uint8))
    mesh = trimesh.Trimesh(vertices=np.concatenate(vertices), faces=np.concatenate(faces), process=False)
    return mesh, np.concatenate(colours)


def _to_studio_frame(mesh: trimesh.Trimesh, height_mm: float) -> trimesh.Trimesh:
    """Scale to the ordered height, stand on z = 0, centre on x = y = 0 (already Z up, facing -Y)."""
    lo, hi = mesh.bounds
    scale = height_mm / max(hi[2] - lo[2], 1e-9)
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    vertices = (mesh.vertices - centre) * scale
    return trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)
