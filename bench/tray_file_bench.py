"""Tray file bench: one file with every part placed — 3MF objects with transforms vs one concatenated mesh.

Run: `.venv/bin/python bench/tray_file_bench.py [--parts 8] [--subdivisions 5] [--json]`. One coloured
figurine-sized mesh is exported once as a print file (3MF, full colour); the tray then holds it `--parts`
times, laid out by the packer. Prints seconds and peak Python/numpy memory (tracemalloc) of both ways.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kits.printfiles import export_print  # noqa: E402
from kits.printfiles.packing import Part, pack_maxrects  # noqa: E402
from kits.printfiles.tray_render import TraySource, _concatenate, build_tray_file  # noqa: E402


def figurine(subdivisions: int) -> trimesh.Trimesh:
    body = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    body.apply_scale([18.0, 14.0, 50.0])
    body.apply_translation([0, 0, 50.0])
    colours = np.column_stack(
        [
            (body.vertices[:, 2] * 2).astype(np.uint8),
            np.full(len(body.vertices), 120),
            np.full(len(body.vertices), 90),
        ]
    )
    body.visual.vertex_colors = np.column_stack([colours, np.full(len(body.vertices), 255)]).astype(np.uint8)
    return body


def measure(func) -> tuple[float, float, dict]:
    tracemalloc.start()
    start = time.perf_counter()
    report = func()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument(
        "--subdivisions", type=int, default=5, help="icosphere level: 5 = 20k triangles, 6 = 82k, 7 = 328k"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tray-bench-") as folder:
        folder = Path(folder)
        report = export_print(
            figurine(args.subdivisions), height_mm=100, fmt="3mf", base="never", out_path=folder / "p.3mf"
        )
        w, d = report["bbox_mm"][:2]
        layout = pack_maxrects([Part(str(i), w, d, i) for i in range(args.parts)], 490, 390, 5)
        parts = [
            {"key": p.key, "x": p.x, "y": p.y, "width": p.width, "depth": p.depth, "rotated": p.rotated}
            for p in layout.placed
        ]
        sources = [
            TraySource(folder / "p.3mf", "3mf", part, report["bbox_min_mm"], report["bbox_max_mm"])
            for part in parts
        ]
        rows = []
        for name, func in (
            ("3MF objects + transforms", lambda: build_tray_file(sources, folder / "a.3mf", fmt="3mf")),
            ("one concatenated mesh", lambda: _concatenate(sources, folder / "b.3mf", "3mf")),
        ):
            seconds, peak, out = measure(func)
            rows.append(
                {
                    "method": name,
                    "parts": len(parts),
                    "triangles": out["triangles"],
                    "seconds": seconds,
                    "peak_mb": peak,
                    "file_mb": out["bytes"] / 1e6,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{len(parts)} parts of {report['triangles']} triangles (print file {report['files'][0]['bytes'] / 1e6:.1f} MB)"
    )
    print(f"{'method':<26} {'triangles':>10} {'seconds':>8} {'peak MB':>8} {'file MB':>8}")
    for row in rows:
        print(
            f"{row['method']:<26} {row['triangles']:>10} {row['seconds']:>8.2f} {row['peak_mb']:>8.0f} {row['file_mb']:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
