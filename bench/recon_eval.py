"""Reconstruction quality, speed and memory on figurine-like subjects with known ground truth.

Each case is built from primitives (capsules and ellipsoids with colours, z up, facing -Y): people in
several poses, a couple, a pet standing and facing the camera, a bust. Each is rendered in colour
(orthographic, even lighting) from the front and from the side on a plain background, with small
scale and framing differences between the views, then reconstructed twice: from the front and the
side, and from the front alone. Per case it prints volume IoU and Chamfer distance against the truth
(both centred and scaled to the same height), the IoU of the ideal two-view visual hull of the same
case (the obvious alternative: silhouettes carved without rounding), the colour error, triangles,
seconds and peak RSS (each reconstruction runs in a fresh process).

    .venv/bin/python bench/recon_eval.py [--size 1024] [--budget 200000] [--threads 2] [--device cpu]
        [--cases standing,arms_out,...] [--json]
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

SKIN = (232, 188, 160)
HAIR = (70, 45, 30)


# --------------------------------------------------------------------------- primitives


@dataclass
class Capsule:
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    r: float
    colour: tuple[int, int, int]

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        a = torch.tensor(self.a, dtype=p.dtype)
        b = torch.tensor(self.b, dtype=p.dtype)
        ab = b - a
        t = ((p - a) @ ab / (ab @ ab)).clamp(0, 1)
        return (p - a - t[:, None] * ab).norm(dim=1) - self.r


@dataclass
class Ellipsoid:
    c: tuple[float, float, float]
    radii: tuple[float, float, float]
    colour: tuple[int, int, int]
    cut_below: float | None = None  # flat cut (busts)

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        r = torch.tensor(self.radii, dtype=p.dtype)
        q = p - torch.tensor(self.c, dtype=p.dtype)
        k0 = (q / r).norm(dim=1)
        k1 = (q / (r * r)).norm(dim=1).clamp_min(1e-9)
        d = k0 * (k0 - 1.0) / k1
        if self.cut_below is not None:
            d = torch.maximum(d, self.cut_below - p[:, 2])
        return d


def person(
    x: float = 0.0, *, shirt=(200, 60, 60), trousers=(40, 50, 120), pose: str = "standing", s: float = 1.0
):
    """A person about ``s`` tall standing on z = 0 at x, facing -Y."""
    P = []

    def cap(a, b, r, col):
        P.append(Capsule((x + a[0] * s, a[1] * s, a[2] * s), (x + b[0] * s, b[1] * s, b[2] * s), r * s, col))

    def ell(c, rr, col):
        P.append(Ellipsoid((x + c[0] * s, c[1] * s, c[2] * s), (rr[0] * s, rr[1] * s, rr[2] * s), col))

    ell((0, 0, 0.9), (0.065, 0.075, 0.085), SKIN)  # head
    ell((0, 0.012, 0.93), (0.068, 0.072, 0.07), HAIR)  # hair cap, set back
    cap((0, 0, 0.78), (0, 0, 0.84), 0.035, SKIN)  # neck
    ell((0, 0, 0.64), (0.13, 0.08, 0.17), shirt)  # torso
    ell((0, 0, 0.47), (0.11, 0.075, 0.08), trousers)  # hips
    leg_fwd = 0.09 if pose == "walking" else 0.0
    for side in (-1, 1):
        fy = -leg_fwd if side < 0 else leg_fwd
        cap((side * 0.06, 0, 0.45), (side * 0.065, fy, 0.06), 0.05, trousers)  # legs
        ell((side * 0.065, fy - 0.04, 0.035), (0.04, 0.075, 0.035), (30, 30, 30))  # shoes
        if pose == "arms_out":
            hand = (side * 0.42, 0.0, 0.62)
        elif pose == "walking":
            hand = (side * 0.16, 0.12 * side, 0.42)
        elif pose == "hands_on_hips":
            hand = (side * 0.12, 0.0, 0.5)
        else:
            hand = (side * 0.18, 0.0, 0.42)
        shoulder = (side * 0.15, 0.0, 0.75)
        if pose == "hands_on_hips":
            elbow = (side * 0.25, 0.02, 0.6)
            cap(shoulder, elbow, 0.038, shirt)
            cap(elbow, hand, 0.034, SKIN)
        else:
            cap(shoulder, hand, 0.036, shirt)
            ell(hand, (0.035, 0.035, 0.045), SKIN)
    return P


def pet():
    """A dog standing, facing the camera (-Y): body along Y, head in front."""
    fur = (190, 140, 80)
    dark = (90, 60, 40)
    P = [
        Ellipsoid((0, 0.1, 0.5), (0.17, 0.36, 0.17), fur),  # body
        Ellipsoid((0, -0.3, 0.72), (0.13, 0.13, 0.13), fur),  # head
        Ellipsoid((0, -0.42, 0.68), (0.06, 0.08, 0.05), dark),  # muzzle
        Capsule((0, -0.2, 0.6), (0, -0.28, 0.7), 0.09, fur),  # neck
        Ellipsoid((-0.1, -0.28, 0.85), (0.04, 0.03, 0.08), dark),  # ears
        Ellipsoid((0.1, -0.28, 0.85), (0.04, 0.03, 0.08), dark),
        Capsule((0, 0.45, 0.58), (0, 0.6, 0.78), 0.035, dark),  # tail
    ]
    for sx in (-1, 1):
        for sy in (-0.15, 0.32):
            P.append(Capsule((sx * 0.1, sy, 0.45), (sx * 0.1, sy, 0.05), 0.055, fur))
            P.append(Ellipsoid((sx * 0.1, sy - 0.03, 0.03), (0.055, 0.07, 0.03), dark))
    return P


def bust():
    P = [
        Ellipsoid((0, 0, 0.0), (0.5, 0.24, 0.42), (60, 90, 160), cut_below=0.0),  # shoulders/chest
        Capsule((0, 0, 0.35), (0, 0, 0.5), 0.11, SKIN),  # neck
        Ellipsoid((0, 0, 0.68), (0.2, 0.23, 0.26), SKIN),  # head
        Ellipsoid((0, 0.04, 0.76), (0.21, 0.22, 0.22), HAIR),
        Ellipsoid((0, -0.22, 0.66), (0.04, 0.05, 0.06), SKIN),  # nose
    ]
    return P


CASES = {
    "standing": ("solo", lambda: person()),
    "arms_out": ("solo", lambda: person(pose="arms_out")),
    "walking": ("solo", lambda: person(pose="walking")),
    "hands_on_hips": ("solo", lambda: person(pose="hands_on_hips")),
    "couple": (
        "couple",
        lambda: (
            person(-0.2, pose="standing")
            + person(0.2, shirt=(70, 140, 90), trousers=(20, 20, 20), s=1.08)
            + [Capsule((-0.02, 0.0, 0.42), (0.04, 0.0, 0.44), 0.03, SKIN)]
        ),
    ),
    "pet": ("pet", pet),
    "bust": ("bust", bust),
}


def union_sdf(prims, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    d = torch.stack([pr.sdf(p) for pr in prims], dim=1)
    val, idx = d.min(dim=1)
    return val, idx


# --------------------------------------------------------------------------- rendering


def render(
    prims, view: str, size: int, fill: float, shift: tuple[float, float], bg=(238, 238, 236)
) -> np.ndarray:
    """Orthographic colour render by sphere tracing; the subject spans ``fill`` of the image height."""
    torch.set_grad_enabled(False)
    pts = _sample_bounds(prims)
    lo, hi = pts.min(0).values, pts.max(0).values
    height = float(hi[2] - lo[2])
    scale = fill * size / height  # px per unit
    cx = float(lo[0] + hi[0]) / 2 if view == "front" else float(lo[1] + hi[1]) / 2
    cz = float(lo[2] + hi[2]) / 2
    jj, ii = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    u = (ii + 0.5 - size / 2 - shift[0] * size) / scale + cx
    w = -(jj + 0.5 - size / 2 - shift[1] * size) / scale + cz
    n = size * size
    if view == "front":  # camera at -Y looking +Y, image right = +X
        origin = torch.stack(
            [u.reshape(-1), torch.full((n,), float(lo[1]) - 0.1, dtype=torch.float32), w.reshape(-1)], 1
        )
        d = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float32)
    else:  # camera at +X looking -X, image right = +Y (faces image left)
        origin = torch.stack(
            [torch.full((n,), float(hi[0]) + 0.1, dtype=torch.float32), u.reshape(-1), w.reshape(-1)], 1
        )
        d = torch.tensor([-1.0, 0.0, 0.0], dtype=torch.float32)
    # only rays inside the subject's projected box
    keep = (u.reshape(-1) >= float(lo[0 if view == "front" else 1]) - 0.02) & (
        u.reshape(-1) <= float(hi[0 if view == "front" else 1]) + 0.02
    )
    keep &= (w.reshape(-1) >= float(lo[2]) - 0.02) & (w.reshape(-1) <= float(hi[2]) + 0.02)
    idx = torch.nonzero(keep)[:, 0]
    o = origin[idx]
    t = torch.zeros(len(idx), dtype=torch.float32)
    hit = torch.zeros(len(idx), dtype=torch.bool)
    far = float((hi - lo).norm()) + 0.3
    for _ in range(96):
        p = o + t[:, None] * d
        val, _ = union_sdf(prims, p)
        hit |= val < 2e-4
        t = torch.where(hit, t, t + val.clamp_min(1e-4))
        if bool(((t > far) | hit).all()):
            break
    hit &= t < far
    p = o + t[:, None] * d
    _, which = union_sdf(prims, p)
    eps = 1e-3
    grad = torch.stack(
        [
            union_sdf(prims, p + torch.tensor(e, dtype=torch.float32) * eps)[0]
            - union_sdf(prims, p - torch.tensor(e, dtype=torch.float32) * eps)[0]
            for e in ([1, 0, 0], [0, 1, 0], [0, 0, 1])
        ],
        1,
    )
    normal = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-9)
    light = -d + torch.tensor([0.3, 0.0, 0.5], dtype=torch.float32)
    shade = 0.88 + 0.12 * (normal @ (light / light.norm())).clamp(0, 1)
    colours = torch.tensor([pr.colour for pr in prims], dtype=torch.float32)[which] * shade[:, None]
    img = torch.tensor(bg, dtype=torch.float32).repeat(n, 1)
    img[idx[hit]] = colours[hit]
    return img.reshape(size, size, 3).clamp(0, 255).round().to(torch.uint8).numpy()


def _sample_bounds(prims) -> torch.Tensor:
    g = torch.linspace(-1.2, 1.2, 121, dtype=torch.float32)
    zz = torch.linspace(-0.05, 1.3, 121, dtype=torch.float32)
    p = torch.stack(torch.meshgrid(g, g, zz, indexing="ij"), -1).reshape(-1, 3)
    val, _ = union_sdf(prims, p)
    return p[val < 0]


# --------------------------------------------------------------------------- metrics


def truth_grid(prims, res: int = 128):
    """Truth occupancy on a grid in the normalised frame (height 1, bbox-centred, z from 0)."""
    pts = _sample_bounds(prims)
    lo, hi = pts.min(0).values.numpy(), pts.max(0).values.numpy()
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


def colour_error(mesh_n, prims, centre, h) -> float:
    v = mesh_n.vertices * h + centre
    _, which = union_sdf(prims, torch.from_numpy(v.astype(np.float32)))
    truth = np.array([pr.colour for pr in prims], float)[which.numpy()]
    got = np.asarray(mesh_n.visual.vertex_colors)[:, :3].astype(float)
    return float(np.linalg.norm(got - truth, axis=1).mean())


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
    photos_raw, product_line, budget, threads, device = payload
    torch.set_num_threads(threads)
    from reconstruction.core.pipeline import reconstruct
    from reconstruction.core.types import PhotoInput

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
    q.put(
        (m.vertices, m.faces, np.asarray(m.visual.vertex_colors), seconds, cpu, rss, result.report["device"])
    )


def reconstruct_isolated(photos_raw, product_line, budget, threads, device):
    """Reconstruct in a fresh process so peak RSS is the reconstruction's own (torch import included)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_reconstruct_child, args=((photos_raw, product_line, budget, threads, device), q))
    p.start()
    out = q.get()
    p.join()
    return out


def evaluate(name: str, truth: Truth, views, photos_raw, product_line, budget, threads, device) -> dict:
    import trimesh
    from scipy.spatial import cKDTree

    verts, faces, colours, seconds, cpu, rss, dev = reconstruct_isolated(
        [(img, kind) for img, kind in photos_raw if kind in views], product_line, budget, threads, device
    )
    mesh = trimesh.Trimesh(verts, faces, vertex_colors=colours, process=False)
    mesh_n = normalise_mesh(mesh)
    a = mesh_n.sample(20000)
    d1, _ = cKDTree(truth.surface).query(a)
    d2, _ = cKDTree(a).query(truth.surface)
    return {
        "case": name,
        "views": "+".join(views),
        "iou": volume_iou(mesh_n, truth.inside, truth.axes),
        "hull_iou": ideal_hull_iou(truth.inside),
        "chamfer_mm": float((d1.mean() + d2.mean()) / 2 * 150.0),
        "colour_err": colour_error(mesh_n, truth.prims, truth.centre, truth.height),
        "triangles": len(mesh.faces),
        "watertight": bool(mesh.is_watertight),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": rss,
        "device": dev,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--budget", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--front-only", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    torch.set_num_threads(max(a.threads, 1))
    rows = []
    for name in a.cases.split(","):
        product_line, build = CASES[name]
        prims = build()
        truth = build_truth(prims)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        photos_raw = []
        for kind in ("front", "side"):
            fill = float(rng.uniform(0.72, 0.86))
            shift = (float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.03, 0.03)))
            photos_raw.append((render(prims, kind, a.size, fill, shift), kind))
        rows.append(
            evaluate(name, truth, ("front", "side"), photos_raw, product_line, a.budget, a.threads, a.device)
        )
        if a.front_only:
            rows.append(
                evaluate(name, truth, ("front",), photos_raw, product_line, a.budget, a.threads, a.device)
            )
        if not a.json:
            for r in rows[-2 if a.front_only else -1 :]:
                print(
                    f"{r['case']:14s} {r['views']:10s} IoU {r['iou']:.3f}  ideal-hull {r['hull_iou']:.3f}  "
                    f"chamfer {r['chamfer_mm']:5.2f} mm  colour {r['colour_err']:5.1f}  tris {r['triangles']:7d}  "
                    f"watertight {r['watertight']}  {r['seconds']:5.2f} s (cpu {r['cpu_seconds']:5.2f} s)  {r['peak_rss_mb']:6.0f} MB",
                    flush=True,
                )
    two = [r for r in rows if r["views"] == "front+side"]
    one = [r for r in rows if r["views"] == "front"]
    summary = {
        "two_view_mean_iou": float(np.mean([r["iou"] for r in two])) if two else math.nan,
        "ideal_hull_mean_iou": float(np.mean([r["hull_iou"] for r in two])) if two else math.nan,
        "front_only_mean_iou": float(np.mean([r["iou"] for r in one])) if one else math.nan,
        "all_watertight": all(r["watertight"] for r in rows),
        "max_seconds": max(r["seconds"] for r in rows),
        "max_cpu_seconds": max(r["cpu_seconds"] for r in rows),
    }
    if a.json:
        print(json.dumps({"cases": rows, "summary": summary}, indent=2))
    else:
        print(
            f"\nmean IoU two views {summary['two_view_mean_iou']:.3f} (ideal visual hull {summary['ideal_hull_mean_iou']:.3f}; "
            f"target >= 0.80) | front only {summary['front_only_mean_iou']:.3f} (target >= 0.55) | "
            f"all watertight {summary['all_watertight']} | slowest {summary['max_seconds']:.2f} s wall, "
            f"{summary['max_cpu_seconds']:.2f} s CPU (target < 20 s, 2 cores)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
