"""Tray packing bench: 200 queued jobs of mixed sizes packed onto printer trays, MaxRects vs shelves.

Run: `.venv/bin/python bench/tray_bench.py [--jobs 200] [--seed 7] [--json]`. Footprints follow the
studio's products (solo, couple, pet, bust, family at their catalog heights, base included) with random
proportions; parts keep the printer's clearance margin (5 mm) from each other and the tray's edges.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kits.printfiles.packing import Part, pack_trays, validate_layout  # noqa: E402

# product: (heights in mm, width/height range, depth/height range), minimum base diameter 0.4 × height
PRODUCTS = {
    "solo": ((100, 150, 200), (0.30, 0.50), (0.25, 0.40)),
    "couple": ((100, 150, 200), (0.55, 0.85), (0.30, 0.45)),
    "pet": ((100, 120, 150), (0.40, 0.60), (0.55, 0.95)),
    "bust": ((60, 80, 100), (0.60, 0.80), (0.45, 0.60)),
    "family": ((100, 150, 200), (0.90, 1.50), (0.35, 0.50)),
}
WEIGHTS = {"solo": 5, "couple": 2, "pet": 2, "bust": 2, "family": 1}
TRAYS = {"J850 (490×390)": (490.0, 390.0), "3DUJ-553 (508×508)": (508.0, 508.0)}


def make_jobs(n: int, seed: int) -> list[Part]:
    """n jobs with footprints in mm and due dates spread over four weeks (priority = hours)."""
    rng = random.Random(seed)
    names = list(WEIGHTS)
    parts = []
    for i in range(n):
        product = rng.choices(names, weights=[WEIGHTS[k] for k in names])[0]
        heights, (w0, w1), (d0, d1) = PRODUCTS[product]
        h = rng.choice(heights)
        w, d = h * rng.uniform(w0, w1), h * rng.uniform(d0, d1)
        base = 0.4 * h  # a disc base at least 40 % of the height across
        parts.append(
            Part(f"job-{i}", round(max(w, base), 1), round(max(d, base), 1), rng.uniform(0, 672), product)
        )
    return parts


def run(parts: list[Part], tray: tuple[float, float], algorithm: str, margin: float) -> dict:
    start = time.perf_counter()
    layouts = pack_trays(parts, tray[0], tray[1], margin, algorithm=algorithm)
    seconds = time.perf_counter() - start
    problems = [p for layout in layouts for p in validate_layout(layout)]
    assert not problems, problems[:3]
    full = layouts[:-1] or layouts  # the last tray is a remainder
    return {
        "trays": len(layouts),
        "first_tray_jobs": len(layouts[0].placed),
        "jobs_per_full_tray": statistics.mean(len(t.placed) for t in full),
        "utilisation_full": statistics.mean(t.utilisation for t in full),
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=5, help="how many job sets (seed, seed+1, …)")
    parser.add_argument("--margin", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for tray_name, tray in TRAYS.items():
        job_sets = [make_jobs(args.jobs, args.seed + k) for k in range(args.seeds)]
        per_set = {
            alg: [run(jobs, tray, alg, args.margin) for jobs in job_sets] for alg in ("shelf", "maxrects")
        }
        for algorithm, results in per_set.items():
            gains = [
                r["jobs_per_full_tray"] / base["jobs_per_full_tray"] - 1
                for r, base in zip(results, per_set["shelf"], strict=True)
            ]
            rows.append(
                {
                    "tray": tray_name,
                    "algorithm": algorithm,
                    **{key: statistics.mean(r[key] for r in results) for key in results[0]},
                    "max_seconds": max(r["seconds"] for r in results),
                    "gain_mean": statistics.mean(gains),
                    "gain_min": min(gains),
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.jobs} jobs, {args.seeds} job sets, margin {args.margin:g} mm (means over the sets)")
    header = (
        f"{'tray':<20} {'algorithm':<9} {'trays':>6} {'1st tray':>8} {'jobs/tray':>9} {'util.':>6} "
        f"{'gain':>6} {'min gain':>8} {'s (mean)':>9} {'s (max)':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['tray']:<20} {row['algorithm']:<9} {row['trays']:>6.1f} {row['first_tray_jobs']:>8.1f} "
            f"{row['jobs_per_full_tray']:>9.2f} {row['utilisation_full']:>6.1%} {row['gain_mean']:>+6.1%} "
            f"{row['gain_min']:>+8.1%} {row['seconds']:>9.3f} {row['max_seconds']:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
