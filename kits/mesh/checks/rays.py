"""Ray casting over one BVH (Embree through embreex when installed): wall thickness, self-intersections,
inside/outside parity."""

from __future__ import annotations

import numpy as np
from scipy import sparse

try:  # Embree is optional: trimesh's pure-numpy intersector is the (slow) fallback
    from embreex import rtcore_scene
    from embreex.mesh_construction import TriangleMesh as _EmbreeMesh

    HAVE_EMBREE = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_EMBREE = False


class RayCaster:
    """First-hit ray queries against a triangle mesh (float32 BVH), with a maximum distance per ray."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        self.vertices = vertices
        self.faces = faces
        if HAVE_EMBREE:
            self._scene = rtcore_scene.EmbreeScene()
            # the triangle-soup form is copied into Embree about twice as fast as the indexed form
            soup = np.empty((len(faces), 3, 3), dtype=np.float32)
            for k in range(3):
                soup[:, k] = vertices[faces[:, k]]
            _EmbreeMesh(scene=self._scene, vertices=soup)
            del soup
            # commit (build the BVH) now, with one ray
            self._scene.run(np.zeros((1, 3), np.float32), np.array([[0, 0, 1]], np.float32))
        else:
            import trimesh

            self._fallback = trimesh.ray.ray_triangle.RayMeshIntersector(
                trimesh.Trimesh(vertices, faces, process=False, validate=False)
            )

    def any_hit(self, origins: np.ndarray, directions: np.ndarray, max_dist: np.ndarray) -> np.ndarray:
        """Whether each ray hits anything within its distance (Embree occlusion query: cheaper)."""
        n = len(origins)
        if not n:
            return np.zeros(0, dtype=bool)
        if not HAVE_EMBREE:
            return self.first_hit(origins, directions, max_dist)[1] >= 0
        out = np.zeros(n, dtype=bool)
        chunk = 1 << 20
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            res = self._scene.run(
                np.ascontiguousarray(origins[s:e], dtype=np.float32),
                np.ascontiguousarray(directions[s:e], dtype=np.float32),
                dists=np.ascontiguousarray(np.minimum(max_dist[s:e], 1e30), dtype=np.float32),
                query="OCCLUDED",
            )
            out[s:e] = np.asarray(res) >= 0
        return out

    def first_hit(
        self, origins: np.ndarray, directions: np.ndarray, max_dist: np.ndarray | float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance and face index of the first hit of each ray (inf, -1 for a miss). Directions unit length."""
        n = len(origins)
        dist = np.full(n, np.inf)
        prim = np.full(n, -1, dtype=np.int64)
        if not n:
            return dist, prim
        if max_dist is None:
            max_dist = np.full(n, np.inf)
        max_dist = np.broadcast_to(np.asarray(max_dist, dtype=np.float64), (n,))
        if HAVE_EMBREE:
            chunk = 1 << 20
            for s in range(0, n, chunk):
                e = min(n, s + chunk)
                out = self._scene.run(
                    np.ascontiguousarray(origins[s:e], dtype=np.float32),
                    np.ascontiguousarray(directions[s:e], dtype=np.float32),
                    dists=np.ascontiguousarray(np.minimum(max_dist[s:e], 1e30), dtype=np.float32),
                    output=1,
                )
                hit = out["primID"] >= 0
                p = out["primID"].astype(np.int64)
                prim[s:e] = np.where(hit, p, -1)
                dist[s:e] = np.where(hit, out["tfar"], np.inf)
            return dist, prim
        locations, index_ray, index_tri = self._fallback.intersects_location(
            origins, directions, multiple_hits=False
        )
        d = np.einsum("ij,ij->i", locations - origins[index_ray], directions[index_ray])
        keep = d <= max_dist[index_ray]
        dist[index_ray[keep]] = d[keep]
        prim[index_ray[keep]] = index_tri[keep]
        return dist, prim


def face_rings(faces: np.ndarray, n_vertices: int) -> sparse.csr_matrix:
    """Vertex x face incidence matrix (for growing face regions ring by ring)."""
    n_faces = len(faces)
    return sparse.csr_matrix(
        (
            np.ones(faces.size, dtype=np.bool_),
            (faces.ravel(), np.repeat(np.arange(n_faces), 3)),
        ),
        shape=(n_vertices, n_faces),
    )


def grow(incidence: sparse.csr_matrix, mask: np.ndarray, rings: int) -> np.ndarray:
    """Faces within ``rings`` vertex-rings of the faces in ``mask``."""
    incidence_t = incidence.T.tocsr()
    current = mask.copy()
    for _ in range(rings):
        verts = (incidence @ current.astype(np.int8)) > 0
        current = (incidence_t @ verts.astype(np.int8)) > 0
    return current


def wall_thickness(
    caster: RayCaster,
    centroids: np.ndarray,
    normals: np.ndarray,
    faces: np.ndarray,
    n_vertices: int,
    thin_mm: float,
    sample_target: int = 260_000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Local wall thickness per face by casting inward along -normal from the face centroid.

    Small meshes: every face. Large ones: a random sample of about ``sample_target`` faces, then every
    face within a few rings of a thin hit is cast as well, repeatedly, so thin regions are measured
    completely while thick regions are only sampled. Returns (thickness per face, inf where not
    measured or no exit found; mask of faces cast).
    """
    n_faces = len(faces)
    thickness = np.full(n_faces, np.inf)
    cast = np.zeros(n_faces, dtype=bool)
    offset = 1e-4

    def run(index: np.ndarray) -> None:
        if not len(index):
            return
        direction = -normals[index]
        origin = centroids[index] + direction * offset
        dist, prim = caster.first_hit(origin, direction)
        hit = prim >= 0
        exits = np.zeros(len(index), dtype=bool)
        exits[hit] = np.einsum("ij,ij->i", normals[prim[hit]], direction[hit]) > 0
        thickness[index[exits]] = dist[exits] + offset
        cast[index] = True

    if n_faces <= sample_target * 1.25:
        run(np.arange(n_faces))
        return thickness, cast
    rng = np.random.default_rng(seed)
    run(np.flatnonzero(rng.random(n_faces) < sample_target / n_faces))
    incidence = None
    for _ in range(12):
        thin = thickness < thin_mm * 1.5
        if not thin.any():
            break
        if incidence is None:
            incidence = face_rings(faces, n_vertices)
        region = grow(incidence, thin, rings=3) & ~cast
        if not region.any():
            break
        run(np.flatnonzero(region))
    return thickness, cast


def _segment_crosses_triangle(p: np.ndarray, q: np.ndarray, tri: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """Exact (float64) test that open segment p-q crosses triangle tri (not parallel).

    The segment's ends are excluded (a vertex resting on a face is contact, not a crossing); the triangle's
    edges are included, so an edge crossing another shell's edge (symmetric tessellations do that along
    their whole intersection curve) is found. Callers exclude triangles that share an end of the segment."""
    d = q - p
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    h = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, h)
    scale = np.linalg.norm(d, axis=1) * np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1)
    ok = np.abs(det) > 1e-6 * np.maximum(scale, 1e-300)
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = p - tri[:, 0]
    u = inv * np.einsum("ij,ij->i", s, h)
    qv = np.cross(s, e1)
    v = inv * np.einsum("ij,ij->i", d, qv)
    t = inv * np.einsum("ij,ij->i", e2, qv)
    return ok & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t > eps) & (t < 1 - eps)


def self_intersecting_faces(
    caster: RayCaster,
    vertices: np.ndarray,
    faces: np.ndarray,
    edges: np.ndarray,
    edge_faces: np.ndarray,
    chunk: int = 1 << 18,
    max_steps: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """Mask of faces involved in a self-intersection, and (edge's face, pierced face) index pairs.

    Each edge is cast as a segment through the BVH. A hit on a face that shares an endpoint (the edge's own
    faces, grazed in float32 where the segment lies in their plane) or that the exact float64 test
    (strict interior, not parallel, so coplanar grazing and duplicate vertices do not count) does not
    confirm is stepped over: the segment is cast again from just past it, up to ``max_steps`` times, so a
    crossing behind a grazed own face is still found (two shells passing through each other used to be
    missed that way). The two faces of the edge and the pierced face are marked."""
    bad = np.zeros(len(faces), dtype=bool)
    pairs: list[np.ndarray] = []
    trim = 0.01
    for s in range(0, len(edges), chunk):
        e = edges[s : s + chunk]
        p0 = vertices[e[:, 0]]
        p1 = vertices[e[:, 1]]
        delta = p1 - p0
        length = np.linalg.norm(delta, axis=1)
        ok = length > 0
        direction = delta / np.where(ok, length, 1.0)[:, None]
        # distance along the edge where the cast starts, and where it ends
        begin = length * trim
        stop = np.where(ok, length * (1 - trim), 0.0)
        # broad phase: the cheap occlusion query; then first hits for the few edges that hit anything
        todo = np.flatnonzero(caster.any_hit(p0 + direction * begin[:, None], direction, stop - begin) & ok)
        for _step in range(max_steps):
            if not len(todo):
                break
            start = p0[todo] + direction[todo] * begin[todo, None]
            dist, prim = caster.first_hit(start, direction[todo], stop[todo] - begin[todo])
            hit = prim >= 0
            todo, dist, prim = todo[hit], dist[hit], prim[hit]
            if not len(todo):
                break
            hit_faces = faces[prim]
            shares = (hit_faces == e[todo, :1]).any(axis=1) | (hit_faces == e[todo, 1:]).any(axis=1)
            real = ~shares
            real[real] = _segment_crosses_triangle(
                p0[todo[real]], p1[todo[real]], vertices[faces[prim[real]]]
            )
            found = todo[real]
            if len(found):
                bad[prim[real]] = True
                own = edge_faces[s + found].ravel()
                bad[own[own >= 0]] = True
                pairs.append(np.stack([edge_faces[s + found, 0], prim[real]], axis=1))
            # not confirmed: step past this hit and look further along the edge
            todo, dist = todo[~real], dist[~real]
            begin[todo] = begin[todo] + dist + np.maximum(length[todo] * 1e-4, 1e-6)
            todo = todo[begin[todo] < stop[todo]]
    return bad, (np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64))


def inside_parity(
    caster: RayCaster, points: np.ndarray, face_labels: np.ndarray, own_labels: np.ndarray, max_hits: int = 64
) -> np.ndarray:
    """True where a point lies inside some other shell: odd number of crossings of other shells' faces
    along a fixed, slightly skewed ray."""
    direction = np.array([0.0123, 0.0217, 1.0])
    direction /= np.linalg.norm(direction)
    n = len(points)
    crossings = np.zeros(n, dtype=np.int64)
    origin = points.astype(np.float64).copy()
    alive = np.ones(n, dtype=bool)
    dirs = np.tile(direction, (n, 1))
    for _ in range(max_hits):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        dist, prim = caster.first_hit(origin[idx], dirs[idx])
        hit = prim >= 0
        alive[idx[~hit]] = False
        h = idx[hit]
        crossings[h] += face_labels[prim[hit]] != own_labels[h]
        origin[h] = origin[h] + dirs[h] * (dist[hit][:, None] + 1e-4)
    return crossings % 2 == 1
