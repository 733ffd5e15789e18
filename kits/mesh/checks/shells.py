"""Shells (connected pieces) and how they hang together: attached, enclosed, standing apart, floating.

Semantics (what the report means):
- the *main body* is the shell with the largest surface area;
- a shell is *attached* when it touches (within ``contact_mm``, 0.1 mm) or cuts into the main body,
  directly or through other attached shells, or lies enclosed inside another shell; attached extra
  shells print fused with the body and only warn (``multiple_shells``);
- a shell that is not attached but stands on the build plate (its lowest point within ``ground_tol_mm``
  of the lowest point of the mesh) prints as a separate loose piece: also ``multiple_shells`` (warning);
- a shell that is neither attached nor on the plate hangs in the air and would fall off or print loose:
  ``floating_parts`` (error).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy import sparse
from scipy.sparse import csgraph

from kits.mesh.checks.rays import RayCaster, inside_parity

MAX_QUERY_VERTICES_PER_SHELL = 256
MAX_PARITY_SHELLS = 512
MAX_CANDIDATE_PAIRS = 500_000


@dataclass
class ShellReport:
    count: int
    face_label: np.ndarray  # shell index per face (0..count-1, ordered by area, 0 = main body)
    area: np.ndarray
    volume: np.ndarray
    faces: np.ndarray
    attached: np.ndarray  # bool per shell (main body True)
    grounded: np.ndarray  # bool per shell
    enclosed: np.ndarray  # bool per shell


def _grid_keys(cells: np.ndarray) -> np.ndarray:
    c = cells - cells.min(axis=0) + 1
    return (c[:, 0] << 42) | (c[:, 1] << 21) | c[:, 2]


def classify_shells(
    vertices: np.ndarray,
    faces: np.ndarray,
    vertex_label: np.ndarray,
    face_area: np.ndarray,
    face_volume: np.ndarray,
    caster: RayCaster | None,
    cell_mm: float,
    intersecting_pairs: np.ndarray | None = None,
    contact_mm: float = 0.1,
    ground_tol_mm: float = 0.5,
) -> ShellReport:
    """Group faces into shells and decide which are attached, enclosed, on the plate or floating.

    Two shells touch when a vertex of one lies within ``contact_mm`` of a face of the other (candidates
    from a grid of ``cell_mm`` cells; at most MAX_QUERY_VERTICES_PER_SHELL vertices per shell) or when
    their faces intersect (``intersecting_pairs``: face index pairs from the self-intersection test)."""
    if intersecting_pairs is None:
        intersecting_pairs = np.zeros((0, 2), dtype=np.int64)
    raw_label = vertex_label[faces[:, 0]]
    used, face_label = np.unique(raw_label, return_inverse=True)
    count = len(used)
    area = np.bincount(face_label, face_area, count)
    # renumber by decreasing area: shell 0 is the main body
    rank = np.argsort(-area, kind="stable")
    new_index = np.empty(count, dtype=np.int64)
    new_index[rank] = np.arange(count)
    face_label = new_index[face_label]
    area = area[rank]
    volume = np.bincount(face_label, face_volume, count)
    n_faces = np.bincount(face_label, minlength=count)
    attached = np.zeros(count, dtype=bool)
    attached[0] = True
    grounded = np.zeros(count, dtype=bool)
    enclosed = np.zeros(count, dtype=bool)
    if count == 1:
        grounded[0] = True
        return ShellReport(count, face_label, area, volume, n_faces, attached, grounded, enclosed)

    # vertex label per shell index (vertices used by faces); lowest z per shell
    vlabel = np.full(len(vertices), -1, dtype=np.int64)
    vlabel[faces.ravel()] = np.repeat(face_label, 3)
    used_v = np.flatnonzero(vlabel >= 0)
    labels = vlabel[used_v]
    zmin = np.full(count, np.inf)
    np.minimum.at(zmin, labels, vertices[used_v, 2])
    grounded = zmin <= vertices[used_v, 2].min() + ground_tol_mm

    # touching: candidates from neighbouring grid cells (size cell_mm, 27-neighbourhood), then the exact
    # distance from the extra shell's vertex to the faces around the candidate vertex of another shell
    cells = np.floor(vertices[used_v] / cell_mm).astype(np.int64)
    base = cells.min(axis=0) - 1
    keys = _grid_keys(np.vstack([cells, base[None, :]]))[:-1]
    order = np.argsort(keys, kind="stable")
    sk, sv = keys[order], used_v[order]
    rng = np.random.default_rng(0)
    query = np.flatnonzero(labels != 0)
    src_parts, dst_parts = [], []
    if len(intersecting_pairs):
        src_parts.append(face_label[intersecting_pairs[:, 0]])
        dst_parts.append(face_label[intersecting_pairs[:, 1]])
    if len(query):
        # at most MAX_QUERY_VERTICES_PER_SHELL vertices per extra shell
        perm = query[rng.permutation(len(query))]
        perm = perm[np.argsort(labels[perm], kind="stable")]
        ql = labels[perm]
        first = np.searchsorted(ql, ql, side="left")
        perm = perm[(np.arange(len(perm)) - first) < MAX_QUERY_VERTICES_PER_SHELL]
        offsets = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
        qcells = (cells[perm][:, None, :] + offsets[None, :, :]).reshape(-1, 3)
        qvert = np.repeat(used_v[perm], 27)
        qkeys = _grid_keys(np.vstack([qcells, base[None, :]]))[:-1]
        lo = np.searchsorted(sk, qkeys, side="left")
        hi = np.searchsorted(sk, qkeys, side="right")
        n_hits = hi - lo
        if n_hits.sum() > MAX_CANDIDATE_PAIRS:
            keep = rng.random(len(n_hits)) < MAX_CANDIDATE_PAIRS / n_hits.sum()
            qvert, lo, n_hits = qvert[keep], lo[keep], n_hits[keep]
        q = np.repeat(qvert, n_hits)
        pos = np.repeat(lo - np.cumsum(np.r_[0, n_hits[:-1]]), n_hits) + np.arange(n_hits.sum())
        w = sv[pos]
        other = vlabel[q] != vlabel[w]
        q, w = q[other], w[other]
        if len(q):
            # unique (query vertex, other shell) pairs with the candidate vertices; faces around them
            incidence = sparse.csr_matrix(
                (np.ones(faces.size, dtype=np.int8), (faces.ravel(), np.repeat(np.arange(len(faces)), 3))),
                shape=(len(vertices), len(faces)),
            )
            counts = np.diff(incidence.indptr)[w]
            if counts.sum() > MAX_CANDIDATE_PAIRS:
                keep = rng.random(len(w)) < MAX_CANDIDATE_PAIRS / counts.sum()
                q, w, counts = q[keep], w[keep], counts[keep]
            starts = incidence.indptr[w]
            fpos = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
            cand_face = incidence.indices[fpos]
            cand_q = np.repeat(q, counts)
            closest = trimesh.triangles.closest_point(vertices[faces[cand_face]], vertices[cand_q])
            near = np.linalg.norm(closest - vertices[cand_q], axis=1) <= contact_mm
            src_parts.append(vlabel[cand_q[near]])
            dst_parts.append(face_label[cand_face[near]])
    if src_parts:
        src, dst = np.concatenate(src_parts), np.concatenate(dst_parts)
        pair = src != dst
        src, dst = src[pair], dst[pair]
    else:
        src = dst = np.zeros(0, dtype=np.int64)

    def components(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(count, count)).tocsr()
        return csgraph.connected_components(graph, directed=True, connection="weak")[1]

    comp = components(src, dst)
    attached = comp == comp[0]
    # shells not touching anything attached: are they enclosed inside another shell?
    candidates = np.flatnonzero(~attached)[:MAX_PARITY_SHELLS]
    if len(candidates) and caster is not None:
        # one vertex per candidate shell
        first_vertex = np.full(count, -1, dtype=np.int64)
        first_vertex[labels[::-1]] = used_v[::-1]
        points = vertices[first_vertex[candidates]]
        inside = inside_parity(caster, points, face_label, candidates)
        enclosed[candidates[inside]] = True
        if inside.any():
            src = np.r_[src, candidates[inside]]
            dst = np.r_[dst, np.zeros(int(inside.sum()), dtype=np.int64)]
            comp = components(src, dst)
            attached = comp == comp[0]
    return ShellReport(count, face_label, area, volume, n_faces, attached, grounded, enclosed)
