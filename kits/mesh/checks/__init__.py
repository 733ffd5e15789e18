"""Printability report of a mesh (DESIGN.md section 5, ``check_mesh``).

``check_mesh(loaded_or_mesh, height_mm=..., build_volumes_mm=[...])`` measures in millimetres at the
ordered height and returns a JSON-ready dict. Everything is computed from plain arrays: one sort of the
half-edges (boundary, non-manifold, winding), sparse connected components (shells), and one Embree BVH
for the ray work (wall thickness, self-intersections, enclosed shells).

Thresholds and semantics:
- wall thickness is measured per face by a ray cast inward along -normal from the centroid to where it
  leaves the solid; ``min_wall_mm`` is the thinnest wall that covers at least ``min_issue_area_mm2`` of
  surface (so a single sharp tip does not count), ``thin_area_mm2`` the area thinner than ``thin_wall_mm``.
  ``fragile_parts`` (error) when ``min_wall_mm < fragile_wall_mm``; ``thin_walls`` (warning) when
  ``min_wall_mm < thin_wall_mm`` otherwise.
- ``tips_over`` (warning, ``needs_base``) when the centre of mass does not stand over the footprint
  (see :mod:`.stand`); shells: see :mod:`.shells`.
- vertices at bit-identical positions are welded first (texture seams, triangle soups), as any slicer does.
- ``self_intersections``: every edge is cast as a segment through the BVH; a face it pierces (not sharing
  an endpoint, re-verified exactly in float64) and the edge's faces are counted.
- ``floating_parts`` (error): a shell neither touching/cutting into the body (directly or through other
  shells), nor enclosed in it, nor standing on the plate; ``multiple_shells`` (warning): extra shells that
  touch, overlap or sit inside the body, or separate pieces standing on the plate (see :mod:`.shells`).
- ``degenerate_faces``: faces with a repeated vertex or an area under 1e-8 mm2; a mesh of nothing else is
  ``empty``.
- ``overhang_area_mm2``: faces whose normal points within 45 degrees of straight down (surfaces flatter
  than 45 degrees to the ground, facing it), the bottom resting on the plate excluded.
- ``exceeds_build_volume``: the bounding box (standing, turning 90 degrees about Z allowed) fits none of
  ``build_volumes_mm``; ``too_many_triangles`` (warning) above ``max_triangles``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from kits.mesh.checks import rays, shells, stand, topology
from kits.mesh.checks.geometry import face_geometry
from kits.mesh.checks.issues import ALL_CODES, ERROR_CODES, is_printable, make_issue, severity
from kits.mesh.io import LoadedMesh, _merge_identical_vertices, load_mesh


def _return_freed_memory_to_os() -> None:
    """Fix glibc's mmap threshold so big temporary arrays are unmapped when freed (lower peak RSS)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: 32 MiB, no dynamic raising
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


_return_freed_memory_to_os()

DEFAULT_BUILD_VOLUMES_MM: list[tuple[float, float, float]] = [(490, 390, 200), (508, 508, 305)]
DEFAULT_MAX_TRIANGLES = 1_700_000
DEGENERATE_AREA_MM2 = 1e-8

__all__ = [
    "ALL_CODES",
    "DEFAULT_BUILD_VOLUMES_MM",
    "DEFAULT_MAX_TRIANGLES",
    "ERROR_CODES",
    "check_mesh",
    "is_printable",
    "severity",
]


def _arrays(
    source: LoadedMesh | trimesh.Trimesh | str | Path,
) -> tuple[np.ndarray, np.ndarray, list, str, list[str]]:
    if isinstance(source, str | Path):
        source = load_mesh(source)
    if isinstance(source, LoadedMesh):
        mesh, issues, fmt, notes = source.mesh, list(source.issues), source.format, list(source.notes)
    else:
        mesh, issues, fmt, notes = source, [], "mesh", []
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    return vertices, faces, issues, fmt, notes


def check_mesh(
    loaded_or_mesh: LoadedMesh | trimesh.Trimesh | str | Path,
    *,
    height_mm: float | None = None,
    build_volumes_mm: list[tuple[float, float, float]] | None = None,
    thin_wall_mm: float = 1.0,
    fragile_wall_mm: float = 0.6,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
    min_issue_area_mm2: float = 0.5,
    ray_sample_target: int = 260_000,
) -> dict[str, Any]:
    """The printability report of a mesh (mm, Z up, standing on its lowest point). See module docstring.

    Raises :class:`kits.mesh.io.MeshLoadError` when given a path that cannot be read.
    ``build_volumes_mm=None`` uses DEFAULT_BUILD_VOLUMES_MM; pass [] to skip the build-volume check.
    """
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    vertices, faces, issues, fmt, notes = _arrays(loaded_or_mesh)
    lap("load")
    if build_volumes_mm is None:
        build_volumes_mm = DEFAULT_BUILD_VOLUMES_MM
    n_faces, n_vertices = len(faces), len(vertices)
    if not n_faces or not np.isfinite(vertices).all() or ((faces < 0) | (faces >= n_vertices)).any():
        # a raw Trimesh that never went through load_mesh: validate like the loader does
        from kits.mesh.io import _validate

        vertices, faces, _colors, found = _validate(vertices, faces, None)
        issues.extend(found)
        n_faces, n_vertices = len(faces), len(vertices)
        if not n_faces:
            return _empty_report(issues)

    # vertices split only for UVs, normals or flat shading (texture seams, soups) are one point for printing
    before = n_vertices
    vertices, faces = _merge_identical_vertices(vertices, faces)
    n_vertices = len(vertices)
    welded = before - n_vertices
    lap("weld")

    used_v = np.zeros(n_vertices, dtype=bool)
    used_v[faces.ravel()] = True
    lo = vertices[used_v].min(axis=0)
    hi = vertices[used_v].max(axis=0)
    scale = 1.0
    largest = float((hi - lo).max())
    if height_mm is None and 0 < largest < 5:
        notes.append(f"the mesh is only {largest:g} units across: was it saved in metres? give --height-mm")
    if height_mm is not None and hi[2] - lo[2] > 0:
        scale = float(height_mm) / float(hi[2] - lo[2])
        vertices = vertices * scale
        lo, hi = lo * scale, hi * scale

    # per-face geometry
    centroids, normals, face_area, face_volume = face_geometry(vertices, faces)
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    degenerate = repeated | (face_area < DEGENERATE_AREA_MM2)
    if degenerate.all():
        return _empty_report(issues)
    lap("geometry")

    topo = topology.edge_topology(faces, n_vertices)
    boundary_edges = int(topo.boundary.sum())
    non_manifold_edges = int(topo.non_manifold.sum())
    flipped_edges = int(topo.flipped.sum())
    _n_comp, vlabel = topology.vertex_components(topo.edges, n_vertices)
    lap("topology")

    caster = rays.RayCaster(vertices, faces)
    lap("bvh")

    self_hit, hit_pairs = rays.self_intersecting_faces(caster, vertices, faces, topo.edges, topo.edge_faces)
    lap("self_intersections")

    edge_len = np.linalg.norm(vertices[topo.edges[:, 0]] - vertices[topo.edges[:, 1]], axis=1)
    median_edge = float(np.median(edge_len)) if len(edge_len) else 1.0
    diag = float(np.linalg.norm(hi - lo))
    cell_mm = max(1.5 * median_edge, 0.2, diag * 1e-5)
    shell_report = shells.classify_shells(
        vertices, faces, vlabel, face_area, face_volume, caster, cell_mm=cell_mm, intersecting_pairs=hit_pairs
    )
    lap("shells")

    # orient: rays go inward; a main body with negative volume is inside out
    main_faces = shell_report.face_label == 0
    main_volume = float(face_volume[main_faces].sum())
    inverted = main_volume < 0 and boundary_edges == 0
    cast_normals = -normals if inverted else normals
    thickness, _cast = rays.wall_thickness(
        caster, centroids, cast_normals, faces, n_vertices, thin_wall_mm, sample_target=ray_sample_target
    )
    lap("thickness")

    stab = stand.stability(vertices[used_v], face_volume, face_area, centroids)
    overhang, _ = stand.overhang_area(cast_normals, face_area, centroids, float(lo[2]))
    extent = hi - lo
    fits, volume_fits = stand.fits_build_volume(extent, build_volumes_mm)
    lap("stand")

    # ------------------------------------------------------------------ issues
    if boundary_edges:
        ends = topo.edges[topo.boundary]
        holes = topology.boundary_loops(ends, n_vertices)
        issues.append(
            make_issue(
                "not_watertight",
                f"{boundary_edges} open edge(s) around {holes} hole(s): the surface is not closed",
                vertices[ends.ravel()],
                boundary_edges=boundary_edges,
                holes=holes,
            )
        )
    if non_manifold_edges:
        ends = topo.edges[topo.non_manifold]
        issues.append(
            make_issue(
                "non_manifold",
                f"{non_manifold_edges} edge(s) shared by more than two faces",
                vertices[ends.ravel()],
                non_manifold_edges=non_manifold_edges,
            )
        )
    if flipped_edges or inverted:
        ends = topo.edges[topo.flipped]
        message = (
            f"{flipped_edges} edge(s) between faces of opposite orientation (some normals point inward)"
            if flipped_edges
            else "the surface is inside out: every normal points inward"
        )
        issues.append(
            make_issue(
                "inconsistent_winding",
                message,
                vertices[ends.ravel()] if flipped_edges else vertices[used_v],
                flipped_edges=flipped_edges,
                inside_out=bool(inverted),
            )
        )
    n_self = int(self_hit.sum())
    if n_self:
        issues.append(_self_intersection_issue(n_self, self_hit, hit_pairs, shell_report, centroids))
    n_degenerate = int(degenerate.sum())
    if n_degenerate:
        issues.append(
            make_issue(
                "degenerate_faces",
                f"{n_degenerate} face(s) have no area (collapsed triangles)",
                centroids[degenerate],
                faces=n_degenerate,
            )
        )
    _shell_issues(issues, shell_report, centroids, face_area)
    min_wall, thin_area = _wall_issues(
        issues, thickness, face_area, centroids, thin_wall_mm, fragile_wall_mm, min_issue_area_mm2
    )
    if not stab.stable:
        issues.append(
            make_issue(
                "tips_over",
                "the centre of mass is not over the footprint: the figurine would tip over; it needs a base",
                np.array([stab.center_of_mass_mm]),
                needs_base=True,
                center_of_mass_mm=stab.center_of_mass_mm,
                footprint_bbox_mm=stab.footprint_bbox_mm,
                footprint_area_mm2=round(stab.footprint_area_mm2, 2),
                margin_mm=round(stab.margin_mm, 3) if np.isfinite(stab.margin_mm) else None,
            )
        )
    if not fits:
        issues.append(
            make_issue(
                "exceeds_build_volume",
                f"{extent[0]:.1f} x {extent[1]:.1f} x {extent[2]:.1f} mm does not fit any printer",
                np.array([lo, hi]),
                size_mm=extent.round(3).tolist(),
                build_volumes=volume_fits,
            )
        )
    if n_faces > max_triangles:
        issues.append(
            make_issue(
                "too_many_triangles",
                f"{n_faces} triangles, more than the {max_triangles} the print pipeline takes",
                triangles=n_faces,
                limit=max_triangles,
            )
        )
    lap("issues")

    watertight = boundary_edges == 0 and non_manifold_edges == 0
    report: dict[str, Any] = {
        "format": fmt,
        "triangles": n_faces,
        "vertices": int(used_v.sum()),
        "welded_vertices": int(welded),
        "watertight": watertight,
        "winding_consistent": flipped_edges == 0,
        "boundary_edges": boundary_edges,
        "non_manifold_edges": non_manifold_edges,
        "shells": int(shell_report.count),
        "self_intersecting_faces": n_self,
        "degenerate_faces": n_degenerate,
        "volume_mm3": round(abs(float(face_volume.sum())), 3),
        "area_mm2": round(float(face_area.sum()), 3),
        "bbox_mm": [lo.round(3).tolist(), hi.round(3).tolist()],
        "size_mm": extent.round(3).tolist(),
        "min_wall_mm": None if min_wall is None else round(min_wall, 3),
        "thin_area_mm2": round(thin_area, 3),
        "overhang_area_mm2": round(overhang, 3),
        "stable": bool(stab.stable),
        "needs_base": not stab.stable,
        "center_of_mass_mm": stab.center_of_mass_mm,
        "scale": scale,
        "height_mm": round(float(extent[2]), 3),
        "printable": is_printable(issues),
        "issues": issues,
        "notes": notes,
        "seconds": seconds,
    }
    return report


def _empty_report(issues: list[dict[str, Any]]) -> dict[str, Any]:
    issues = [
        *issues,
        {"code": "empty", "severity": "error", "message": "the mesh holds no triangle with any area"},
    ]
    return {
        "triangles": 0,
        "vertices": 0,
        "watertight": False,
        "winding_consistent": False,
        "boundary_edges": 0,
        "non_manifold_edges": 0,
        "shells": 0,
        "self_intersecting_faces": 0,
        "degenerate_faces": 0,
        "volume_mm3": 0.0,
        "area_mm2": 0.0,
        "bbox_mm": None,
        "min_wall_mm": None,
        "thin_area_mm2": 0.0,
        "overhang_area_mm2": 0.0,
        "stable": False,
        "needs_base": False,
        "printable": False,
        "issues": issues,
    }


def _self_intersection_issue(
    n_self: int,
    self_hit: np.ndarray,
    hit_pairs: np.ndarray,
    report: shells.ShellReport,
    centroids: np.ndarray,
) -> dict[str, Any]:
    """``self_intersections``, saying whether separate shells pass through each other.

    Interpenetrating shells are a self-intersection (DESIGN: an error): the print file must be one closed
    surface, so overlapping pieces are unioned before export (the print base is; a sculptor's pieces are
    not, silently: the check reports them)."""
    labels = report.face_label[hit_pairs] if len(hit_pairs) else np.zeros((0, 2), dtype=np.int64)
    across = labels[labels[:, 0] != labels[:, 1]]
    shell_pairs = np.unique(np.sort(across, axis=1), axis=0) if len(across) else np.zeros((0, 2), dtype=int)
    within = int((labels[:, 0] == labels[:, 1]).sum())
    message = f"{n_self} face(s) cut through other parts of the surface"
    if len(shell_pairs):
        message = (
            f"{len(np.unique(shell_pairs))} separate shells pass through each other "
            f"({len(shell_pairs)} overlapping pair(s)): interpenetrating shells are self-intersections; "
            f"union them into one closed surface before printing ({n_self} faces involved)"
        )
    return make_issue(
        "self_intersections",
        message,
        centroids[self_hit],
        faces=n_self,
        intersecting_shell_pairs=int(len(shell_pairs)),
        within_shell_crossings=within,
    )


def _shell_issues(
    issues: list[dict[str, Any]], report: shells.ShellReport, centroids: np.ndarray, face_area: np.ndarray
) -> None:
    if report.count <= 1:
        return
    extra = np.arange(1, report.count)
    floating = extra[~report.attached[1:] & ~report.grounded[1:]]
    loose = extra[~report.attached[1:] & report.grounded[1:]]
    fused = extra[report.attached[1:]]
    if len(floating):
        mask = np.isin(report.face_label, floating)
        issues.append(
            make_issue(
                "floating_parts",
                f"{len(floating)} part(s) hang in the air, touching nothing: they would fall off or print loose",
                centroids[mask],
                parts=len(floating),
                faces=int(mask.sum()),
                area_mm2=round(float(face_area[mask].sum()), 3),
            )
        )
    if len(fused) or len(loose):
        mask = np.isin(report.face_label, np.r_[fused, loose])
        parts = []
        inside = int(report.enclosed[fused].sum()) if len(fused) else 0
        if len(fused) - inside:
            parts.append(f"{len(fused) - inside} extra shell(s) touch or overlap the body")
        if inside:
            parts.append(
                f"{inside} extra shell(s) sit wholly inside the body (enclosed, printed fused into it)"
            )
        if len(loose):
            parts.append(f"{len(loose)} separate piece(s) stand on their own")
        issues.append(
            make_issue(
                "multiple_shells",
                "; ".join(parts),
                centroids[mask],
                shells=int(report.count),
                attached=len(fused),
                enclosed=int(report.enclosed[1:].sum()),
                separate=len(loose),
            )
        )


def _wall_issues(
    issues: list[dict[str, Any]],
    thickness: np.ndarray,
    face_area: np.ndarray,
    centroids: np.ndarray,
    thin_wall_mm: float,
    fragile_wall_mm: float,
    min_area: float,
) -> tuple[float | None, float]:
    measured = np.flatnonzero(np.isfinite(thickness))
    if not len(measured):
        return None, 0.0
    order = measured[np.argsort(thickness[measured])]
    cumulative = np.cumsum(face_area[order])
    at = int(np.searchsorted(cumulative, min_area))
    min_wall = float(thickness[order[min(at, len(order) - 1)]])
    thin_mask = thickness < thin_wall_mm
    thin_area = float(face_area[thin_mask].sum())
    if min_wall < fragile_wall_mm:
        fragile = thickness < fragile_wall_mm
        issues.append(
            make_issue(
                "fragile_parts",
                f"walls down to {min_wall:.2f} mm over {face_area[fragile].sum():.1f} mm2: parts thinner than "
                f"{fragile_wall_mm} mm break",
                centroids[fragile],
                min_wall_mm=round(min_wall, 3),
                area_mm2=round(float(face_area[fragile].sum()), 3),
                faces=int(fragile.sum()),
            )
        )
    elif min_wall < thin_wall_mm:
        issues.append(
            make_issue(
                "thin_walls",
                f"walls down to {min_wall:.2f} mm over {thin_area:.1f} mm2, under the {thin_wall_mm} mm guidance",
                centroids[thin_mask],
                min_wall_mm=round(min_wall, 3),
                area_mm2=round(thin_area, 3),
                faces=int(thin_mask.sum()),
            )
        )
    return min_wall, thin_area
