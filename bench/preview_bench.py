"""Exports, previews, renders at studio scale: a ~1.6 M-triangle coloured figurine (bench only).

Prints one table comparing, in the same run, our functions with the obvious alternative:
  * web GLB: ``make_web_glb`` (fast-simplification + KD-tree colour transfer + trimesh GLB) against
    pymeshlab's quadric edge collapse (colour-preserving) + GLB, and trimesh's ``simplify_quadric_decimation``;
  * Hausdorff of the preview: our sampled KD-tree/point-triangle measure against pymeshlab's
    ``get_hausdorff_distance`` (same sample count);
  * turntable: 8 views at 512 px of the 300 k preview with our torch rasteriser (CPU);
  * print export 3MF with colour (ours) against trimesh's 3MF export (which drops colour), PLY and FBX.

Run: ``.venv/bin/python bench/preview_bench.py [--voxel-mm 0.205] [--threads 2]``. The mesh is cached in
``/tmp/figurine_bench_<voxel>.npz``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import trimesh  # noqa: E402
from figurine_sdf import figurine_mesh  # noqa: E402

from kits.mesh import load_mesh  # noqa: E402
from kits.mesh.preview import hausdorff, make_web_glb  # noqa: E402
from kits.mesh.render import render_turntable  # noqa: E402
from kits.printfiles import export_print  # noqa: E402


def coloured_figurine(voxel_mm: float) -> trimesh.Trimesh:
    cache = Path(tempfile.gettempdir()) / f"figurine_bench_{voxel_mm:.3f}.npz"
    if cache.exists():
        data = np.load(cache)
        vertices, faces = data["vertices"], data["faces"]
    else:
        vertices, faces = figurine_mesh(voxel_mm)
        np.savez(cache, vertices=vertices, faces=faces)
    z = vertices[:, 2]
    colors = np.empty((len(vertices), 4), dtype=np.uint8)
    colors[:] = (40, 70, 160, 255)  # trousers
    colors[z > 70] = (200, 40, 40, 255)  # shirt
    colors[z > 110] = (240, 200, 170, 255)  # skin
    colors[z > 136] = (90, 60, 30, 255)  # hair
    colors[z < 5.5] = (60, 60, 60, 255)  # base
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


CPU_SECONDS: list[float] = []


def timed(fn, *args, **kwargs):
    """Wall seconds and result; the process CPU seconds of the call are appended to CPU_SECONDS."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    CPU_SECONDS.append(time.process_time() - cpu)
    return time.perf_counter() - start, result


def pymeshlab_web_glb(mesh: trimesh.Trimesh, out: Path, target: int) -> int:
    import pymeshlab

    ms = pymeshlab.MeshSet()
    colors = mesh.visual.vertex_colors.astype(np.float64) / 255.0
    ms.add_mesh(pymeshlab.Mesh(mesh.vertices, mesh.faces, v_color_matrix=colors))
    ms.meshing_decimation_quadric_edge_collapse(targetfacenum=target, preservenormal=True, qualitythr=0.3)
    result = ms.current_mesh()
    small = trimesh.Trimesh(result.vertex_matrix(), result.face_matrix(), process=False)
    small.visual = trimesh.visual.ColorVisuals(
        small, vertex_colors=np.clip(np.rint(result.vertex_color_matrix() * 255), 0, 255).astype(np.uint8)
    )
    out.write_bytes(trimesh.exchange.gltf.export_glb(trimesh.Scene(small)))
    return len(result.face_matrix())


def trimesh_web_glb(mesh: trimesh.Trimesh, out: Path, target: int) -> int:
    small = mesh.simplify_quadric_decimation(face_count=target)
    out.write_bytes(trimesh.exchange.gltf.export_glb(trimesh.Scene(small)))
    return len(small.faces)


def pymeshlab_hausdorff(a: trimesh.Trimesh, b: trimesh.Trimesh, samples: int) -> float:
    import pymeshlab

    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(a.vertices, a.faces))
    ms.add_mesh(pymeshlab.Mesh(b.vertices, b.faces))
    forward = ms.get_hausdorff_distance(sampledmesh=1, targetmesh=0, samplenum=samples)
    backward = ms.get_hausdorff_distance(sampledmesh=0, targetmesh=1, samplenum=samples)
    return max(forward["max"], backward["max"])


class Rows:
    """The result table, printed row by row as the measures come (a partial run still reports)."""

    def __init__(self) -> None:
        print("\n| task | method | wall s | cpu s | notes |\n|---|---|---:|---:|---|", flush=True)

    def append(self, row: tuple[str, str, float, float, str]) -> None:
        task, method, seconds, cpu, notes = row
        print(f"| {task} | {method} | {seconds:.2f} | {cpu:.2f} | {notes} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxel-mm", type=float, default=0.205)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-alternatives", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    build_s, mesh = timed(coloured_figurine, args.voxel_mm)
    print(
        f"figurine: {len(mesh.faces):,} triangles, {len(mesh.vertices):,} vertices (built/loaded in {build_s:.1f} s)"
    )
    rows = Rows()
    work = Path(tempfile.mkdtemp(prefix="preview_bench_"))

    seconds, report = timed(make_web_glb, mesh, work / "web.glb")
    parts = report["seconds"]
    rows.append(
        (
            "web GLB 300k",
            "make_web_glb (ours)",
            seconds,
            CPU_SECONDS[-1],
            f"{report['triangles']:,} tris, {report['bytes'] / 1e6:.1f} MB, Hausdorff {report['hausdorff_mm']:.3f} mm; "
            f"decimate {parts['decimate']:.2f} + colours {parts['colors']:.2f} + write {parts['write']:.2f} "
            f"+ Hausdorff {parts['hausdorff']:.2f} s",
        )
    )
    rows.append(
        (
            "web GLB 300k",
            "  of which decimation + colours + GLB",
            parts["decimate"] + parts["colors"] + parts["write"],
            float("nan"),
            "",
        )
    )
    preview = load_mesh(work / "web.glb").mesh  # the studio's loader: glTF metres, Y up -> mm, Z up
    if not args.skip_alternatives:
        seconds, count = timed(pymeshlab_web_glb, mesh, work / "pml.glb", 300_000)
        rows.append(
            ("web GLB 300k", "pymeshlab QEC + GLB (alt.)", seconds, CPU_SECONDS[-1], f"{count:,} tris")
        )
        seconds, count = timed(trimesh_web_glb, mesh, work / "tm.glb", 300_000)
        rows.append(
            (
                "web GLB 300k",
                "trimesh simplify_quadric_decimation + GLB (alt.)",
                seconds,
                CPU_SECONDS[-1],
                f"{count:,} tris, no colour",
            )
        )
        samples = 50_000
        seconds, ours = timed(
            hausdorff, mesh.vertices, mesh.faces, preview.vertices, preview.faces, samples=samples
        )
        rows.append(
            (
                "Hausdorff",
                f"ours, {samples:,} samples per side (+ preview vertices)",
                seconds,
                CPU_SECONDS[-1],
                f"{ours['hausdorff']:.3f} mm",
            )
        )
        seconds, theirs = timed(pymeshlab_hausdorff, mesh, preview, samples)
        rows.append(
            (
                "Hausdorff",
                f"pymeshlab get_hausdorff_distance, {samples:,} per side (alt.)",
                seconds,
                CPU_SECONDS[-1],
                f"{theirs:.3f} mm",
            )
        )

    for supersample in (2, 1):
        seconds, paths = timed(
            render_turntable,
            preview,
            work / "renders",
            views=8,
            size=512,
            device="cpu",
            supersample=supersample,
        )
        rows.append(
            (
                "turntable",
                f"8 x 512 px, supersample {supersample}, {len(preview.faces):,}-tri preview, torch CPU (ours)",
                seconds,
                CPU_SECONDS[-1],
                f"{seconds / 8:.2f} s/view",
            )
        )
    for fmt in ("3mf", "ply", "fbx", "obj"):
        seconds, rep = timed(
            export_print, mesh, height_mm=150, fmt=fmt, base="auto", out_path=work / f"print.{fmt}"
        )
        rows.append(
            (
                f"print {fmt}",
                "export_print (ours, with colour)",
                seconds,
                CPU_SECONDS[-1],
                f"{rep['files'][0]['bytes'] / 1e6:.0f} MB, base {rep['base_added']}",
            )
        )
    if not args.skip_alternatives:
        seconds, _ = timed(mesh.export, work / "tm.3mf", file_type="3mf")
        rows.append(
            ("print 3mf", "trimesh 3MF export, no colour, no placement (alt.)", seconds, CPU_SECONDS[-1], "")
        )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the whole run: {peak_mb:.0f} MB; torch threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
