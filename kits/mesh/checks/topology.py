"""Edge topology from one sort of the half-edges: boundary, non-manifold, winding; shells by components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


@dataclass
class EdgeTopology:
    """What one sort of all half-edges tells about a triangle mesh.

    ``edges`` are the unique undirected edges (lo, hi); ``edge_count`` how many faces use each;
    ``edge_faces`` the first two faces using each edge (-1 when missing); ``flipped`` marks count-2 edges
    whose two faces traverse them in the same direction (inconsistent winding).
    """

    edges: np.ndarray
    edge_count: np.ndarray
    edge_faces: np.ndarray
    flipped: np.ndarray

    @property
    def boundary(self) -> np.ndarray:
        return self.edge_count == 1

    @property
    def non_manifold(self) -> np.ndarray:
        return self.edge_count > 2


def edge_topology(faces: np.ndarray, n_vertices: int) -> EdgeTopology:
    """Sort the 3F half-edges once by undirected key; derive counts, adjacency and winding.

    Written to keep temporaries few (this is the memory peak of a check on a big mesh)."""
    small = np.int32 if n_vertices < 2**31 - 1 else np.int64
    a = faces.astype(small, copy=False).ravel()
    b = np.roll(faces.astype(small, copy=False), -1, axis=1).ravel()
    forward = a < b
    invalid = a == b
    key = np.minimum(a, b).astype(np.int64)
    key *= n_vertices
    key += np.maximum(a, b)
    del a, b
    key[invalid] = -1  # edges of faces with a repeated index are not edges
    n_invalid = int(invalid.sum())
    del invalid
    order = np.argsort(key)[n_invalid:]
    key = key[order]
    boundary = np.empty(len(key), dtype=bool)
    if len(key):
        boundary[0] = True
        np.not_equal(key[1:], key[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    del boundary
    counts = np.diff(np.r_[starts, len(key)])
    unique_keys = key[starts]
    del key
    first = order[starts]
    second = np.where(counts >= 2, order[np.minimum(starts + 1, len(order) - 1)], -1)
    del order, starts
    flipped = np.zeros(len(counts), dtype=bool)
    two = counts == 2
    flipped[two] = forward[first[two]] == forward[second[two]]
    edge_faces = np.stack([first // 3, np.where(second >= 0, second // 3, -1)], axis=1)
    edges = np.stack([unique_keys // n_vertices, unique_keys % n_vertices], axis=1)
    return EdgeTopology(edges=edges, edge_count=counts, edge_faces=edge_faces, flipped=flipped)


def vertex_components(edges: np.ndarray, n_vertices: int) -> tuple[int, np.ndarray]:
    """Connected components of the vertex graph (number, label per vertex)."""
    if not len(edges):
        return n_vertices, np.arange(n_vertices)
    graph = sparse.coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n_vertices, n_vertices)
    ).tocsr()
    return csgraph.connected_components(graph, directed=True, connection="weak")


def boundary_loops(edges: np.ndarray, n_vertices: int) -> int:
    """Number of holes: connected components among boundary edges."""
    if not len(edges):
        return 0
    used = np.unique(edges)
    remap = np.full(n_vertices, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    local = remap[edges]
    graph = sparse.coo_matrix(
        (np.ones(len(local), dtype=np.int8), (local[:, 0], local[:, 1])), shape=(len(used), len(used))
    ).tocsr()
    n, _ = csgraph.connected_components(graph, directed=True, connection="weak")
    return int(n)
