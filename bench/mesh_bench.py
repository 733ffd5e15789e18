"""Mesh checks bench: the studio's ``check_mesh`` against the obvious composition of library calls.

Builds a figurine-like mesh of about 1.6 million triangles (a signed-distance figure on a base with a
0.6 mm wire sticking out of the head like a glasses arm, meshed by marching cubes; cached under the temp
dir), then runs, each in its own subprocess so peak RSS is measured separately:

- ``ours``: ``load_mesh`` + ``check_mesh`` (the full report);
- ``obvious``: ``trimesh.load(process=True)``, ``is_watertight``, ``is_winding_consistent``, ``split``,
  Embree ray thickness on every face, pymeshlab per-face self-intersections.

and prints wall seconds, peak RSS and whether each found the 0.6 mm wire.

    .venv/bin/python bench/mesh_bench.py [--voxel-mm 0.205] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from figurine_sdf import WIRE_END, WIRE_RADIUS_MM, WIRE_START  # noqa: E402

WIRE_BOX = (
    np.minimum(WIRE_START, WIRE_END) - 1.0,
    np.maximum(WIRE_START, WIRE_END) + 1.0,
)
THIN_MM = 1.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _wire_hit(points: np.ndarray) -> bool:
    """Thin points found on the wire itself (beyond where it leaves the head)."""
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    if not len(points):
        return False
    axis = WIRE_END - WIRE_START
    t = np.clip((points - WIRE_START) @ axis / (axis @ axis), 0, 1)
    dist = np.linalg.norm(points - (WIRE_START + t[:, None] * axis), axis=1)
    return bool(((dist < 4 * WIRE_RADIUS_MM) & (t > 0.4)).any())


def run_ours(path: str) -> dict:
    start = time.perf_counter()
    from kits.mesh import load_mesh
    from kits.mesh.checks import check_mesh

    t0 = time.perf_counter()
    loaded = load_mesh(path)
    report = check_mesh(loaded)
    seconds = time.perf_counter() - t0
    thin = [i for i in report["issues"] if i["code"] in ("thin_walls", "fragile_parts")]
    points = [p for i in thin for p in i.get("sample_points_mm", [])]
    boxes = [i["bbox_mm"] for i in thin if "bbox_mm" in i]
    found = _wire_hit(np.array(points)) or any(_wire_hit(np.array(b)) for b in boxes)
    return {
        "seconds": seconds,
        "import_seconds": t0 - start,
        "peak_rss_mb": _peak_rss_mb(),
        "found_wire": found,
        "min_wall_mm": report["min_wall_mm"],
        "thin_area_mm2": report["thin_area_mm2"],
        "triangles": report["triangles"],
        "watertight": report["watertight"],
        "self_intersecting_faces": report["self_intersecting_faces"],
        "shells": report["shells"],
        "issues": sorted({i["code"] for i in report["issues"]}),
        "stages": report["seconds"],
    }


def run_obvious(path: str) -> dict:
    start = time.perf_counter()
    import pymeshlab
    import trimesh

    t0 = time.perf_counter()
    stages = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 3)
        clock = now

    mesh = trimesh.load(path, process=True, force="mesh")
    lap("load")
    watertight = mesh.is_watertight
    winding = mesh.is_winding_consistent
    lap("watertight_winding")
    shells = mesh.split(only_watertight=False)
    lap("split")
    normals = mesh.face_normals
    origins = mesh.triangles_center - normals * 1e-4
    locations, index_ray, _index_tri = mesh.ray.intersects_location(origins, -normals, multiple_hits=False)
    thickness = np.full(len(mesh.faces), np.inf)
    thickness[index_ray] = np.linalg.norm(locations - origins[index_ray], axis=1)
    lap("ray_thickness")
    meshset = pymeshlab.MeshSet()
    meshset.add_mesh(pymeshlab.Mesh(mesh.vertices, mesh.faces))
    meshset.compute_selection_by_self_intersections_per_face()
    n_self = int(meshset.current_mesh().selected_face_number())
    lap("self_intersections")
    seconds = time.perf_counter() - t0
    thin = thickness < THIN_MM
    return {
        "seconds": seconds,
        "import_seconds": t0 - start,
        "peak_rss_mb": _peak_rss_mb(),
        "found_wire": _wire_hit(mesh.triangles_center[thin]),
        "min_wall_mm": float(np.percentile(thickness[np.isfinite(thickness)], 0.01)),
        "thin_area_mm2": float(mesh.area_faces[thin].sum()),
        "triangles": len(mesh.faces),
        "watertight": bool(watertight and winding),
        "self_intersecting_faces": n_self,
        "shells": len(shells),
        "stages": stages,
    }


def build_mesh(voxel_mm: float) -> Path:
    """The cached bench mesh (binary PLY) for this voxel size."""
    cache = Path(tempfile.gettempdir()) / f"studio_mesh_bench_{voxel_mm:.3f}.ply"
    if cache.exists():
        return cache
    import trimesh
    from figurine_sdf import figurine_mesh

    started = time.perf_counter()
    vertices, faces = figurine_mesh(voxel_mm)
    trimesh.Trimesh(vertices, faces, process=False).export(cache)
    print(
        f"built {len(faces):,} triangles in {time.perf_counter() - started:.1f} s -> {cache}", file=sys.stderr
    )
    return cache


def child(kind: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxel-mm", type=float, default=0.205)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path = args.child
        result = run_ours(path) if kind == "ours" else run_obvious(path)
        print(json.dumps(result))
        return
    path = build_mesh(args.voxel_mm)
    rows = []
    for _ in range(args.repeat):
        rows.append(("obvious composition", child("obvious", path)))
        rows.append(("check_mesh (studio)", child("ours", path)))
    print(f"mesh: {path.name}, {rows[0][1]['triangles']:,} triangles, {os.cpu_count()} CPU(s)")
    print(
        f"{'method':<22} {'wall s':>8} {'peak RSS MB':>12} {'0.6 mm wire':>12} {'min wall mm':>12} {'self-int':>9}"
    )
    for name, row in rows:
        print(
            f"{name:<22} {row['seconds']:>8.2f} {row['peak_rss_mb']:>12.0f} "
            f"{'found' if row['found_wire'] else 'MISSED':>12} {row['min_wall_mm']:>12.3f} "
            f"{row['self_intersecting_faces']:>9} {row['shells']:>7}"
        )
    ours = [r for n, r in rows if n.startswith("check_mesh")]
    obvious = [r for n, r in rows if n.startswith("obvious")]
    ratio = np.median([r["seconds"] for r in ours]) / np.median([r["seconds"] for r in obvious])
    print(f"check_mesh / obvious wall time: {ratio:.2f}")
    print("stages (ours):", json.dumps(ours[-1]["stages"]))
    print("stages (obvious):", json.dumps(obvious[-1]["stages"]))


if __name__ == "__main__":
    main()
