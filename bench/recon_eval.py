"""Reconstruction quality, speed and memory on figurine-like subjects with known ground truth.

Each case is built from primitives (capsules and ellipsoids with colours, z up, facing -Y): people in
several poses, a couple, a pet standing and facing the camera, a bust. Each is rendered in colour
(orthographic, even lighting) from the front and from the side, in two photo modes:

- ``clean``: a plain light backdrop, each view with its own scale (72-86 % of the frame) and a few %
  of framing offset (the original bench);
- ``phone``: as a phone would take them: one view large (72-88 % of the frame), the other small
  (45-60 %), both off centre; a grey gradient backdrop (wall to floor) with a slight colour cast,
  vignette and side light, a soft shadow on the floor under the feet, a slight blur, sensor noise and
  JPEG at quality 85.

Each set is reconstructed twice: from the front and the side, and from the front alone. Per case it
prints volume IoU and Chamfer distance against the truth (both centred and scaled to the same height),
the IoU of the ideal two-view visual hull of the true silhouettes (silhouettes carved without
rounding), the colour error and the share of vertices whose colour is the right primitive's (colour on
the right side), triangles, seconds and peak RSS (one fresh process per case and mode), the
perception backend that ran and how each view was registered; then a side-by-side markdown table.

    .venv/bin/python bench/recon_eval.py [--size 1024] [--budget 200000] [--threads 2] [--device cpu]
        [--cases standing,arms_out,...] [--modes clean,phone] [--no-front-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import resource
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recon_scenes import (  # noqa: E402 - bench/recon_scenes.py, beside this script
    CASES,
    framing,
    phone_photo,
    render,
    subject_bounds,
    union_sdf,
)

# --------------------------------------------------------------------------- metrics


def truth_grid(prims, res: int = 128):
    """Truth occupancy on a grid in the normalised frame (height 1, bbox-centred, z from 0)."""
    lo, hi = (b.numpy() for b in subject_bounds(prims))
    # refine the bounds on a finer grid around the coarse box
    step = 1.0 / res
    axes = [np.arange(lo[i] - 0.03, hi[i] + 0.03, step * (hi[2] - lo[2])) for i in range(3)]
    P = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    val, which = union_sdf(prims, torch.from_numpy(P.astype(np.float32)))
    inside = (val < 0).numpy().reshape([len(a) for a in axes])
    occ_idx = np.argwhere(inside)
    lo_t = np.array([axes[i][occ_idx[:, i].min()] for i in range(3)])
    hi_t = np.array([axes[i][occ_idx[:, i].max()] for i in range(3)])
    h = hi_t[2] - lo_t[2]
    centre = np.array([(lo_t[0] + hi_t[0]) / 2, (lo_t[1] + hi_t[1]) / 2, lo_t[2]])
    norm_axes = [(axes[i] - centre[i]) / h for i in range(3)]
    return inside, norm_axes, centre, h


def normalise_mesh(mesh):
    lo, hi = mesh.bounds
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    m = mesh.copy()
    m.vertices = (m.vertices - centre) / (hi[2] - lo[2])
    return m


def volume_iou(mesh_n, inside, axes) -> float:
    P = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    rec = mesh_n.contains(P).reshape(inside.shape)
    return float((rec & inside).sum() / max((rec | inside).sum(), 1))


def ideal_hull_iou(inside) -> float:
    front = inside.any(axis=1)  # [x, z]
    side = inside.any(axis=0)  # [y, z]
    hull = front[:, None, :] & side[None, :, :]
    return float((hull & inside).sum() / hull.sum())


def colour_error(mesh_n, prims, centre, h) -> tuple[float, float]:
    """Mean RGB distance of vertex colours to the true primitive's colour, and the share of vertices
    whose colour is nearest (among the case's own colours) to the right one: colour on the right side."""
    v = mesh_n.vertices * h + centre
    _, which = union_sdf(prims, torch.from_numpy(v.astype(np.float32)))
    palette = np.array([pr.colour for pr in prims], float)
    truth = palette[which.numpy()]
    got = np.asarray(mesh_n.visual.vertex_colors)[:, :3].astype(float)
    distinct = np.unique(palette, axis=0)
    nearest = distinct[np.linalg.norm(got[:, None, :] - distinct[None, :, :], axis=2).argmin(axis=1)]
    right = np.all(nearest == truth, axis=1)
    return float(np.linalg.norm(got - truth, axis=1).mean()), float(right.mean())


# --------------------------------------------------------------------------- running


@dataclass
class Truth:
    prims: list
    inside: np.ndarray
    axes: list
    centre: np.ndarray
    height: float
    surface: np.ndarray  # sample points on the true surface, normalised frame


def build_truth(prims) -> Truth:
    import trimesh
    from skimage import measure

    inside, axes, centre, h = truth_grid(prims)
    step = axes[2][1] - axes[2][0]
    vol = np.where(inside, 1.0, -1.0).astype(np.float32)
    verts, faces, _, _ = measure.marching_cubes(
        np.pad(vol, 1, constant_values=-1.0), 0.0, spacing=(step,) * 3
    )
    origin = np.array([a[0] for a in axes]) - step
    surface = trimesh.Trimesh(verts + origin, faces).sample(20000)
    return Truth(prims, inside, axes, centre, h, surface)


def _reconstruct_child(payload, q) -> None:
    jobs, product_line, budget, threads, device = payload
    torch.set_num_threads(threads)
    from reconstruction.core.pipeline import reconstruct
    from reconstruction.core.types import PhotoInput

    out = []
    for photos_raw in jobs:
        photos = [PhotoInput(img, kind) for img, kind in photos_raw]
        t0 = time.perf_counter()
        c0 = time.process_time()
        result = reconstruct(
            photos, product_line=product_line, height_mm=150, triangle_budget=budget, device=device
        )
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        m = result.mesh
        r = result.report
        out.append(
            (
                m.vertices,
                m.faces,
                np.asarray(m.visual.vertex_colors),
                seconds,
                cpu,
                rss,
                r["device"],
                r.get("perception", "classical"),
                [v.get("registered_by", "silhouette") for v in r["views"]],
            )
        )
    q.put(out)


def reconstruct_isolated(jobs, product_line, budget, threads, device):
    """Reconstruct in a fresh process (one per case and photo mode) so peak RSS is the reconstruction's
    own (torch import included); the runs of one process go in order, each timed on its own."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_reconstruct_child, args=((jobs, product_line, budget, threads, device), q))
    p.start()
    out = q.get()
    p.join()
    return out


def evaluate(
    name: str, mode: str, truth: Truth, photos_raw, view_sets, product_line, budget, threads, device
):
    import trimesh
    from scipy.spatial import cKDTree

    jobs = [[(img, kind) for img, kind in photos_raw if kind in views] for views in view_sets]
    rows = []
    for views, got in zip(
        view_sets, reconstruct_isolated(jobs, product_line, budget, threads, device), strict=True
    ):
        verts, faces, colours, seconds, cpu, rss, dev, perception, registered = got
        mesh = trimesh.Trimesh(verts, faces, vertex_colors=colours, process=False)
        mesh_n = normalise_mesh(mesh)
        a = mesh_n.sample(20000)
        d1, _ = cKDTree(truth.surface).query(a)
        d2, _ = cKDTree(a).query(truth.surface)
        err, right = colour_error(mesh_n, truth.prims, truth.centre, truth.height)
        rows.append(
            {
                "case": name,
                "mode": mode,
                "views": "+".join(views),
                "iou": volume_iou(mesh_n, truth.inside, truth.axes),
                "hull_iou": ideal_hull_iou(truth.inside),
                "chamfer_mm": float((d1.mean() + d2.mean()) / 2 * 150.0),
                "colour_err": err,
                "colour_right": right,
                "triangles": len(mesh.faces),
                "watertight": bool(mesh.is_watertight),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": rss,
                "device": dev,
                "perception": perception,
                "registered_by": registered,
            }
        )
    return rows


def photographs(prims, name: str, mode: str, size: int) -> list[tuple[np.ndarray, str]]:
    """The case's front and side photos: clean renders, or phone-like shots."""
    if mode == "clean":  # the original bench: plain light backdrop, 72-86 % of the frame, a few % off
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        out = []
        for kind in ("front", "side"):
            fill = float(rng.uniform(0.72, 0.86))
            shift = (float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.03, 0.03)))
            out.append((render(prims, kind, size, fill, shift)[0], kind))
        return out
    rng = np.random.default_rng(zlib.crc32(f"{name}:phone".encode()))
    big, small = float(rng.uniform(0.72, 0.88)), float(rng.uniform(0.45, 0.6))
    fills = {"front": big, "side": small} if rng.uniform() < 0.5 else {"front": small, "side": big}
    out = []
    for kind in ("front", "side"):
        shift = framing(prims, kind, rng, fills[kind])
        rgb, mask = render(prims, kind, size, fills[kind], shift, bg=(0, 0, 0))
        out.append((phone_photo(rgb, mask, rng), kind))
    return out


def _summary(rows: list[dict], mode: str) -> dict:
    two = [r for r in rows if r["views"] == "front+side" and r["mode"] == mode]
    one = [r for r in rows if r["views"] == "front" and r["mode"] == mode]
    mine = [r for r in rows if r["mode"] == mode]
    return {
        "two_view_mean_iou": float(np.mean([r["iou"] for r in two])) if two else math.nan,
        "two_view_min_iou": float(min(r["iou"] for r in two)) if two else math.nan,
        "ideal_hull_mean_iou": float(np.mean([r["hull_iou"] for r in two])) if two else math.nan,
        "front_only_mean_iou": float(np.mean([r["iou"] for r in one])) if one else math.nan,
        "all_watertight": all(r["watertight"] for r in mine),
        "mean_colour_right": float(np.mean([r["colour_right"] for r in mine])) if mine else math.nan,
        "max_seconds": max((r["seconds"] for r in mine), default=math.nan),
        "max_cpu_seconds": max((r["cpu_seconds"] for r in mine), default=math.nan),
    }


def _table(rows: list[dict], modes: list[str]) -> str:
    """Markdown: per case the ideal hull, then each mode's two-view and front-only IoU, side by side."""

    def get(case, mode, views):
        return next(
            (r for r in rows if r["case"] == case and r["mode"] == mode and r["views"] == views), None
        )

    def fmt(r, key, spec):
        return format(r[key], spec) if r else "—"

    head = ["case", "ideal hull"]
    for m in modes:
        head += [f"{m} 2v", f"{m} 1v"]
    head += ["watertight", "colour right 2v (" + " / ".join(modes) + ")", "s 2v (" + " / ".join(modes) + ")"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in dict.fromkeys(r["case"] for r in rows):
        mine = [r for r in rows if r["case"] == case]
        cells = [case, f"{mine[0]['hull_iou']:.3f}"]
        for m in modes:
            cells += [fmt(get(case, m, "front+side"), "iou", ".3f"), fmt(get(case, m, "front"), "iou", ".3f")]
        cells.append("yes" if all(r["watertight"] for r in mine) else "NO")
        cells.append(" / ".join(fmt(get(case, m, "front+side"), "colour_right", ".0%") for m in modes))
        cells.append(" / ".join(fmt(get(case, m, "front+side"), "seconds", ".1f") for m in modes))
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**mean**", f"{np.mean([r['hull_iou'] for r in rows if r['views'] == 'front+side']):.3f}"]
    for m in modes:
        s = _summary(rows, m)
        cells += [f"**{s['two_view_mean_iou']:.3f}**", f"**{s['front_only_mean_iou']:.3f}**"]
    cells += ["", " / ".join(f"{_summary(rows, m)['mean_colour_right']:.0%}" for m in modes), ""]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--budget", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--modes", default="clean,phone", help="clean (plain renders), phone (phone-like shots)")
    ap.add_argument("--front-only", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--real", action="store_true", help="also the real photographs scikit-image ships (no ground truth)"
    )
    a = ap.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    if any(m not in ("clean", "phone") for m in modes):
        ap.error("--modes takes clean and/or phone")
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    torch.set_num_threads(max(a.threads, 1))
    view_sets = [("front", "side")] + ([("front",)] if a.front_only else [])
    rows = []
    started = time.perf_counter()
    for name in a.cases.split(","):
        product_line, build = CASES[name]
        prims = build()
        truth = build_truth(prims)
        for mode in modes:
            photos_raw = photographs(prims, name, mode, a.size)
            got = evaluate(
                name, mode, truth, photos_raw, view_sets, product_line, a.budget, a.threads, a.device
            )
            rows += got
            if not a.json:
                for r in got:
                    print(
                        f"{r['case']:14s} {r['mode']:5s} {r['views']:10s} IoU {r['iou']:.3f}  ideal-hull {r['hull_iou']:.3f}  "
                        f"chamfer {r['chamfer_mm']:5.2f} mm  colour {r['colour_err']:5.1f} ({r['colour_right']:.0%} right)  "
                        f"tris {r['triangles']:7d}  watertight {r['watertight']}  {r['seconds']:5.2f} s "
                        f"(cpu {r['cpu_seconds']:5.2f} s)  {r['peak_rss_mb']:6.0f} MB  {r['perception']} "
                        f"{','.join(r['registered_by'])}",
                        flush=True,
                    )
    summary = {m: _summary(rows, m) for m in modes}
    summary["bench_seconds"] = round(time.perf_counter() - started, 1)
    summary["load_average"] = os.getloadavg()
    if a.json:
        print(json.dumps({"cases": rows, "summary": summary}, indent=2))
        return 0
    print()
    print(_table(rows, modes))
    for m in modes:
        s = summary[m]
        print(
            f"\n{m}: mean IoU two views {s['two_view_mean_iou']:.3f} (every case >= {s['two_view_min_iou']:.3f}; "
            f"ideal visual hull {s['ideal_hull_mean_iou']:.3f}; target >= 0.80, every case >= 0.70) | "
            f"front only {s['front_only_mean_iou']:.3f} (target >= 0.55) | all watertight {s['all_watertight']} | "
            f"colour right {s['mean_colour_right']:.0%} | slowest {s['max_seconds']:.2f} s wall, "
            f"{s['max_cpu_seconds']:.2f} s CPU (target < 20 s, 2 cores)"
        )
    if a.real:
        print("\n" + real_photographs_table(a.budget, a.threads, a.device))
    print(f"\nwhole bench {summary['bench_seconds']} s; load average {summary['load_average']}")
    return 0


def real_photographs_table(budget: int, threads: int, device: str) -> str:
    """Real photographs that a package ships (scikit-image): the astronaut (a person in front of a busy
    room, upper body: a bust) and the cat on a rug (a pet), front only. No ground truth: what ran, whether
    the mesh is whole, and how long it took."""
    import trimesh
    from skimage import data as photos

    lines = [
        "| real photograph | product line | perception | registered by | watertight | triangles | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, image, line in (
        ("astronaut (skimage), front only", photos.astronaut(), "bust"),
        ("cat on a rug (skimage chelsea), front only", photos.chelsea(), "pet"),
    ):
        ((verts, faces, _colours, seconds, _cpu, _rss, _dev, perception, registered),) = reconstruct_isolated(
            [[(np.ascontiguousarray(image), "front")]], line, budget, threads, device
        )
        whole = trimesh.Trimesh(verts, faces, process=False).is_watertight
        lines.append(
            f"| {label} | {line} | {perception} | {','.join(registered)} | {'yes' if whole else 'no'} | "
            f"{len(faces):,} | {seconds:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
