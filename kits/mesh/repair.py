"""Repair a sculptor can trust: small, named steps, each reporting what it changed and how far it moved
the surface, none allowed to move it more than a stated tolerance.

Steps, in order: merge duplicate vertices (within ``merge_mm``), drop degenerate faces, drop duplicate
faces, make the winding consistent and outward, fill small holes, drop tiny floating shells.

Displacement is the one-sided Hausdorff distance from the repaired surface to the original (how far any
point of the result lies from the surface the sculptor made), in mesh units (mm): merging moves a vertex
at most to its cluster's representative; a hole patch lies at most its fan-centre's distance from the
hole's rim (a conservative bound). A step or a hole that would exceed ``tolerance_mm`` is refused and
reported. Dropping faces (degenerate, duplicate, tiny floating shells) moves no kept surface; the removed
area is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trimesh
from scipy import sparse
from scipy.sparse import csgraph

from kits.mesh.checks.geometry import face_geometry
from kits.mesh.checks.rays import RayCaster, self_intersecting_faces
from kits.mesh.checks.shells import classify_shells
from kits.mesh.checks.topology import edge_topology, vertex_components

DEFAULT_TOLERANCE_MM = 0.1


@dataclass
class RepairResult:
    """The repaired mesh and the report of every step."""

    mesh: trimesh.Trimesh
    steps: list[dict[str, Any]] = field(default_factory=list)
    tolerance_mm: float = DEFAULT_TOLERANCE_MM

    @property
    def max_displacement_mm(self) -> float:
        return max((s.get("displacement_mm", 0.0) for s in self.steps), default=0.0)

    @property
    def changed(self) -> bool:
        return any(s.get("changed") for s in self.steps)

    def report(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "tolerance_mm": self.tolerance_mm,
            "max_displacement_mm": round(self.max_displacement_mm, 6),
            "changed": self.changed,
            "steps": self.steps,
            "triangles": int(len(self.mesh.faces)),
            "vertices": int(len(self.mesh.vertices)),
        }


def _colors(mesh: trimesh.Trimesh) -> np.ndarray | None:
    visual = mesh.visual
    if getattr(visual, "kind", None) in ("vertex", "face"):
        colors = np.asarray(visual.vertex_colors)
        if len(colors) == len(mesh.vertices):
            return colors.copy()
    return None


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first occurrence of each distinct row, group of every row), by one lexsort
    (much faster than ``np.unique(axis=0)`` on millions of rows)."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new_group = np.empty(len(rows), dtype=bool)
    new_group[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=new_group[1:])
    group = np.cumsum(new_group) - 1
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = group
    return order[new_group], inverse


def merge_vertices(
    vertices: np.ndarray, faces: np.ndarray, merge_mm: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Merge vertices closer than about ``merge_mm`` (grid snapping, representative = first of each cell).
    Returns (vertices, faces, index of each kept vertex in the input, max displacement)."""
    if merge_mm <= 0:
        keys = vertices
    else:
        keys = np.floor(vertices / merge_mm + 0.5).astype(np.int64)
    first, inverse = _unique_rows(keys)
    merged = vertices[first]
    moved = float(np.linalg.norm(vertices - merged[inverse], axis=1).max()) if len(vertices) else 0.0
    return merged, inverse[faces], first, moved


def orient_consistently(
    faces: np.ndarray, n_vertices: int, face_volume: np.ndarray
) -> tuple[np.ndarray, int]:
    """Flip faces so that neighbours agree (BFS over manifold edges with a parity per edge), then flip
    every closed shell whose signed volume is negative so normals point outward. Returns (faces, flips)."""
    topo = edge_topology(faces, n_vertices)
    n_faces = len(faces)
    two = topo.edge_count == 2
    f0, f1 = topo.edge_faces[two, 0], topo.edge_faces[two, 1]
    parity = topo.flipped[two].astype(np.int8)
    # virtual root n_faces joined to one face of each component, so one BFS covers everything
    n_comp, comp = csgraph.connected_components(
        sparse.coo_matrix((np.ones(len(f0)), (f0, f1)), shape=(n_faces, n_faces)),
        directed=False,
    )
    if not parity.any():  # already consistent: only the outward test below
        return _flip_inverted(faces.copy(), comp, n_comp, face_volume, 0)
    first_face = np.full(n_comp, -1, dtype=np.int64)
    first_face[comp[::-1]] = np.arange(n_faces)[::-1]
    rows = np.r_[f0, f1, np.full(n_comp, n_faces)]
    cols = np.r_[f1, f0, first_face]
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_faces + 1, n_faces + 1)).tocsr()
    order, pred = csgraph.breadth_first_order(graph, n_faces, directed=True, return_predecessors=True)
    # parity lookup for (pred, node) pairs via sorted keys
    key = np.r_[f0 * (n_faces + 1) + f1, f1 * (n_faces + 1) + f0]
    key_parity = np.r_[parity, parity]
    sort = np.argsort(key)
    key, key_parity = key[sort], key_parity[sort]
    nodes = order[1:]
    parents = pred[nodes]
    lookup = np.searchsorted(key, parents.astype(np.int64) * (n_faces + 1) + nodes)
    lookup = np.minimum(lookup, max(len(key) - 1, 0))
    edge_par = np.where(parents == n_faces, 0, key_parity[lookup] if len(key) else 0).astype(np.int8)
    # XOR of parities along the tree path to the root, by pointer jumping (log depth passes)
    ancestor = np.arange(n_faces + 1)
    ancestor[nodes] = parents
    flip = np.zeros(n_faces + 1, dtype=np.int8)
    flip[nodes] = edge_par
    while True:
        nxt = ancestor[ancestor]
        flip ^= flip[ancestor] * (ancestor != n_faces)
        if np.array_equal(nxt, ancestor):
            break
        ancestor = nxt
    flip = flip[:n_faces].astype(bool)
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return _flip_inverted(faces, comp, n_comp, np.where(flip, -face_volume, face_volume), int(flip.sum()))


def _flip_inverted(
    faces: np.ndarray, comp: np.ndarray, n_comp: int, signed_volume: np.ndarray, flips: int
) -> tuple[np.ndarray, int]:
    """Flip every component whose signed volume is negative (inside out). Open components too: with
    small holes the sign of the enclosed volume still tells inside from outside."""
    inverted = np.bincount(comp, signed_volume, n_comp) < 0
    flip_out = inverted[comp]
    faces[flip_out] = faces[flip_out][:, ::-1]
    return faces, flips + int(flip_out.sum())


def _boundary_loops(faces: np.ndarray, n_vertices: int) -> list[np.ndarray]:
    """Ordered boundary loops (vertex index arrays, in the direction the faces traverse them); a rim that
    passes a vertex twice (pinched) is split into simple cycles."""
    topo = edge_topology(faces, n_vertices)
    bfaces = topo.edge_faces[topo.edge_count == 1, 0]
    bedges = topo.edges[topo.edge_count == 1]
    if not len(bedges):
        return []
    # direction as traversed by its face
    f = faces[bfaces]
    a, b = bedges[:, 0], bedges[:, 1]
    pos_a = np.argmax(f == a[:, None], axis=1)
    forward = f[np.arange(len(f)), (pos_a + 1) % 3] == b
    start = np.where(forward, a, b)
    end = np.where(forward, b, a)
    out: dict[int, list[int]] = {}
    for s_, e_ in zip(start.tolist(), end.tolist(), strict=True):
        out.setdefault(s_, []).append(e_)
    pinched = {v for v, ends in out.items() if len(ends) > 1}
    successor: dict[tuple[int, int], int] = {}
    if pinched:
        successor = _pinched_successors(faces, start, end, pinched)
    loops = []
    for s, first in zip(start.tolist(), end.tolist(), strict=True):
        if first not in out.get(s, []):
            continue  # this half-edge was already used by another cycle
        out[s].remove(first)
        loop, prev, cur = [s], s, first
        while cur != s and out.get(cur) and len(loop) < 100_000:
            loop.append(cur)
            nxt = successor.get((prev, cur))
            if nxt is None or nxt not in out[cur]:
                nxt = out[cur][-1]
            out[cur].remove(nxt)
            prev, cur = cur, nxt
        if cur == s and len(loop) >= 3:
            loops.append(np.array(loop, dtype=np.int64))
    return loops


def _pinched_successors(
    faces: np.ndarray, start: np.ndarray, end: np.ndarray, pinched: set[int]
) -> dict[tuple[int, int], int]:
    """At a vertex the rim passes more than once, the boundary half-edge that follows (u -> v) is found by
    turning around v through the faces on the solid side, starting at the face that owns u -> v."""
    around = {v: np.flatnonzero((faces == v).any(axis=1)) for v in pinched}
    result: dict[tuple[int, int], int] = {}
    boundary_out = {}
    for s_, e_ in zip(start.tolist(), end.tolist(), strict=True):
        boundary_out.setdefault(s_, set()).add(e_)
    for u, v in zip(start.tolist(), end.tolist(), strict=True):
        if v not in pinched:
            continue
        fan = faces[around[v]]
        # the face owning u -> v, then across its edge v -> x, repeatedly
        prev = u
        for _ in range(len(fan) + 1):
            owner = [f for f in fan.tolist() if any(f[k] == prev and f[(k + 1) % 3] == v for k in range(3))]
            if not owner:
                break
            f = owner[0]
            k = f.index(v)
            x = f[(k + 1) % 3]
            if x in boundary_out.get(v, set()):
                result[(u, v)] = x
                break
            prev = x
    return result


def _segment_distance(point: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((point - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-300), 0, 1)
    return np.linalg.norm(point - (a + t[:, None] * ab), axis=1)


def fill_small_holes(
    vertices: np.ndarray,
    faces: np.ndarray,
    colors: np.ndarray | None,
    max_hole_edges: int,
    tolerance_mm: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Close boundary loops of at most ``max_hole_edges`` edges with a fan around their centre, oriented
    to match the surrounding faces; a hole whose patch would lie farther than ``tolerance_mm`` from its
    rim is left open (refused)."""
    loops = _boundary_loops(faces, len(vertices))
    new_vertices, new_faces, new_colors = [], [], []
    filled, refused, displacement = 0, [], 0.0
    next_index = len(vertices)
    for loop in loops:
        if len(loop) > max_hole_edges:
            refused.append({"edges": int(len(loop)), "reason": "too many edges"})
            continue
        rim = vertices[loop]
        if len(loop) == 3:
            new_faces.append(loop[::-1][None, :])
            filled += 1
            continue
        centre = rim.mean(axis=0)
        # patch points: the centre and the fan triangles' centroids; distance to the rim polyline
        a, b = rim, np.roll(rim, -1, axis=0)
        probes = np.vstack([centre[None, :], (a + b + centre) / 3.0])
        far = max(float(_segment_distance(p[None, :], a, b).min()) for p in probes)
        if far > tolerance_mm:
            refused.append({"edges": int(len(loop)), "reason": f"patch would lie {far:.3f} mm from the rim"})
            continue
        displacement = max(displacement, far)
        new_vertices.append(centre)
        if colors is not None:
            new_colors.append(colors[loop].mean(axis=0).round().astype(colors.dtype))
        tri = np.stack([np.roll(loop, -1), loop, np.full(len(loop), next_index)], axis=1)
        new_faces.append(tri)
        next_index += 1
        filled += 1
    if new_vertices:
        vertices = np.vstack([vertices, np.array(new_vertices)])
        if colors is not None:
            colors = np.vstack([colors, np.array(new_colors)])
    if new_faces:
        faces = np.vstack([faces, *new_faces])
    report = {
        "holes_found": len(loops),
        "holes_filled": filled,
        "holes_refused": refused[:20],
        "displacement_mm": round(displacement, 6),
        "changed": filled > 0,
    }
    return vertices, faces, colors, report


def _face_volume(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return face_geometry(vertices, faces)[3]


def _areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return face_geometry(vertices, faces)[2]


def repair_mesh(
    mesh: trimesh.Trimesh,
    *,
    tolerance_mm: float = DEFAULT_TOLERANCE_MM,
    merge_mm: float | None = None,
    max_hole_edges: int = 64,
    min_shell_fraction: float = 0.001,
    min_shell_faces: int = 64,
) -> RepairResult:
    """Repair a mesh step by step (see module docstring); vertex colours follow their vertices.

    A floating shell is dropped when it is tiny: fewer than ``min_shell_faces`` faces or less than
    ``min_shell_fraction`` of the total area, and not touching the main body (no shared vertex).
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64).copy()
    faces = np.asarray(mesh.faces, dtype=np.int64).copy()
    colors = _colors(mesh)
    steps: list[dict[str, Any]] = []

    # 1. merge duplicate vertices; by default within 1e-4 mm, capped at a millionth of the mesh's size so
    # a mesh in other units (metres) is not collapsed
    if merge_mm is None:
        size = float(np.ptp(vertices, axis=0).max()) if len(vertices) else 0.0
        merge_mm = min(1e-4, 1e-6 * size)
    if merge_mm > tolerance_mm:
        steps.append(
            {"step": "merge_vertices", "changed": False, "refused": "merge distance above tolerance"}
        )
    else:
        merged, new_faces, first, moved = merge_vertices(vertices, faces, merge_mm)
        removed = len(vertices) - len(merged)
        applied = bool(removed) and moved <= tolerance_mm
        if applied:
            vertices, faces = merged, new_faces
            colors = colors[first] if colors is not None else None
        record: dict[str, Any] = {
            "step": "merge_vertices",
            "merged": int(removed) if applied else 0,
            "displacement_mm": round(moved, 6) if applied else 0.0,
            "changed": applied,
        }
        if removed and not applied:
            record["refused"] = f"merging would move vertices {moved:.4f} mm, above the tolerance"
        steps.append(record)

    # 2. degenerate faces: repeated vertex or no area
    area = _areas(vertices, faces)
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    extent = float(np.ptp(vertices, axis=0).max()) if len(vertices) else 0.0
    degenerate = repeated | (area <= 1e-14 * extent**2)
    faces = faces[~degenerate]
    steps.append(
        {
            "step": "drop_degenerate_faces",
            "removed": int(degenerate.sum()),
            "displacement_mm": 0.0,
            "changed": bool(degenerate.any()),
        }
    )

    # 3. duplicate faces (same three vertices, either orientation)
    keep, _inverse = _unique_rows(np.sort(faces, axis=1))
    keep.sort()
    removed = len(faces) - len(keep)
    faces = faces[keep]
    steps.append(
        {
            "step": "drop_duplicate_faces",
            "removed": int(removed),
            "displacement_mm": 0.0,
            "changed": bool(removed),
        }
    )

    # 4. winding consistent and outward
    oriented, flips = orient_consistently(faces, len(vertices), _face_volume(vertices, faces))
    faces = oriented
    steps.append({"step": "orient_faces", "flipped": flips, "displacement_mm": 0.0, "changed": bool(flips)})

    # 5. small holes
    vertices, faces, colors, hole_report = fill_small_holes(
        vertices, faces, colors, max_hole_edges, tolerance_mm
    )
    steps.append({"step": "fill_holes", **hole_report})

    if not len(faces):
        steps.append({"step": "drop_tiny_shells", "removed_shells": 0, "changed": False})
        return RepairResult(
            mesh=trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), process=False),
            steps=steps,
            tolerance_mm=tolerance_mm,
        )

    # 6. tiny floating shells (not touching the main body: see checks.shells)
    _c, _n, area, volume = face_geometry(vertices, faces)
    topo = edge_topology(faces, len(vertices))
    _n, vlabel = vertex_components(topo.edges, len(vertices))
    edge_len = np.linalg.norm(vertices[topo.edges[:, 0]] - vertices[topo.edges[:, 1]], axis=1)
    touch = max(1.5 * float(np.median(edge_len)) if len(edge_len) else 0.0, 0.05)
    caster, pairs = None, None
    if len(np.unique(vlabel[faces[:, 0]])) > 1:  # cutting into / enclosed by the body counts as attached
        caster = RayCaster(vertices, faces)
        _mask, pairs = self_intersecting_faces(caster, vertices, faces, topo.edges, topo.edge_faces)
    shell_report = classify_shells(
        vertices,
        faces,
        vlabel,
        area,
        volume,
        caster,
        cell_mm=touch,
        intersecting_pairs=pairs,
    )
    flabel = shell_report.face_label
    tiny = (shell_report.faces < min_shell_faces) | (shell_report.area < min_shell_fraction * area.sum())
    tiny &= ~shell_report.attached
    drop = tiny[flabel]
    faces = faces[~drop]
    steps.append(
        {
            "step": "drop_tiny_shells",
            "removed_shells": int(tiny.sum()),
            "removed_faces": int(drop.sum()),
            "removed_area_mm2": round(float(area[drop].sum()), 6),
            "displacement_mm": 0.0,
            "changed": bool(drop.any()),
        }
    )

    # unreferenced vertices out
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    remap = np.cumsum(used) - 1
    vertices = vertices[used]
    faces = remap[faces]
    colors = colors[used] if colors is not None else None
    repaired = trimesh.Trimesh(vertices=vertices, faces=faces, process=False, validate=False)
    if colors is not None:
        repaired.visual = trimesh.visual.ColorVisuals(repaired, vertex_colors=colors)
    return RepairResult(mesh=repaired, steps=steps, tolerance_mm=tolerance_mm)
