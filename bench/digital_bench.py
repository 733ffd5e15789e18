"""The customer's digital files at studio scale: seconds and bytes of each format for a ~1.6 M-triangle figurine.

Writes the six digital files of the coloured signed-distance figurine of ``bench/figurine_sdf.py`` (the mesh of
``bench/preview_bench.py``, cached in /tmp) at 150 mm through ``kits.printfiles.digital.write_digital_files`` in
one call, timing each format from the writer's own progress calls (the first row is the placement: scale,
stand, centre, stability), then the round's AR file as the check task makes it (web GLB at 300k triangles,
read back, ``write_ar_usdz``). Prints a Markdown table plus the load average before and after, since the
development machine is shared.

Run: ``.venv/bin/python bench/digital_bench.py [--voxel-mm 0.205] [--game-triangles 100000]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from preview_bench import coloured_figurine  # noqa: E402

from kits.mesh import load_mesh  # noqa: E402
from kits.mesh.preview import make_web_glb  # noqa: E402
from kits.printfiles.digital import write_digital_files  # noqa: E402
from kits.printfiles.usdz import write_ar_usdz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxel-mm", type=float, default=0.205)
    parser.add_argument("--height-mm", type=float, default=150.0)
    parser.add_argument("--game-triangles", type=int, default=100_000)
    args = parser.parse_args()
    load_before = os.getloadavg()
    mesh = coloured_figurine(args.voxel_mm)
    print(f"mesh: {len(mesh.faces):,} triangles, {len(mesh.vertices):,} vertices; cpus {os.cpu_count()}")
    rows: list[tuple[str, float, float, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="digital-bench-") as folder:
        marks: list[tuple[str, float, float]] = []
        start = (time.perf_counter(), time.process_time())

        def progress(stage: str, percent: int) -> None:
            marks.append((stage.removeprefix("writing "), time.perf_counter(), time.process_time()))

        written = write_digital_files(
            mesh,
            height_mm=args.height_mm,
            out_dir=folder,
            stem="bench",
            game_triangles=args.game_triangles,
            progress=progress,
        )
        end = (time.perf_counter(), time.process_time())
        rows.append(("placement", marks[0][1] - start[0], marks[0][2] - start[1], 0, len(mesh.faces)))
        bounds = [*marks[1:], ("end", *end)]
        for (fmt, wall, cpu), (_, next_wall, next_cpu), entry in zip(marks, bounds, written, strict=True):
            rows.append((fmt, next_wall - wall, next_cpu - cpu, entry["bytes"], entry["triangles"]))
        rows.append(("all six", end[0] - start[0], end[1] - start[1], sum(e["bytes"] for e in written), 0))

        web = Path(folder) / "preview.glb"
        tick = (time.perf_counter(), time.process_time())
        make_web_glb(mesh, web, max_triangles=300_000, hausdorff_samples=0)
        small = load_mesh(web).mesh
        report = write_ar_usdz(small, height_mm=args.height_mm, path=Path(folder) / "round.usdz")
        tock = (time.perf_counter(), time.process_time())
        rows.append(
            (
                "round AR usdz (web GLB 300k + USDZ)",
                tock[0] - tick[0],
                tock[1] - tick[1],
                report["bytes"],
                report["triangles"],
            )
        )
    load_after = os.getloadavg()
    print("| file | wall s | cpu s | bytes | triangles |")
    print("|---|---:|---:|---:|---:|")
    for name, wall, cpu, size, triangles in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {size:,} | {triangles:,} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load average before {load_before}, after {load_after}")


if __name__ == "__main__":
    main()
