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
) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic colour render by sphere tracing; the subject spans ``fill`` of the image height.

    Returns the image and the exact subject mask (the rays that hit).
    """
    torch.set_grad_enabled(False)
    lo, hi = subject_bounds(prims)
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
    active = torch.arange(len(idx))
    for _ in range(96):  # sphere tracing; only the rays still marching are evaluated
        val, _ = union_sdf(prims, o[active] + t[active, None] * d)
        done = val < 2e-4
        hit[active[done]] = True
        marching = active[~done]
        t[marching] += val[~done].clamp_min(1e-4)
        active = marching[t[marching] <= far]
        if not len(active):
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
    mask = torch.zeros(n, dtype=torch.bool)
    mask[idx[hit]] = True
    rgb = img.reshape(size, size, 3).clamp(0, 255).round().to(torch.uint8).numpy()
    return rgb, mask.reshape(size, size).numpy()


def phone_photo(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator, quality: int = 85) -> np.ndarray:
    """The render as a phone would take it: a grey gradient backdrop (wall to floor, a slight colour
    cast and vignette), a soft shadow on the floor under the subject, sensor noise, JPEG at ``quality``.

    The subject's pixels are the render's; everything else is the new backdrop.
    """
    import io

    from PIL import Image
    from scipy import ndimage

    h, w = mask.shape
    yy = np.linspace(0.0, 1.0, h)[:, None]
    xx = np.linspace(-1.0, 1.0, w)[None, :]
    top, bottom = rng.uniform(140, 175), rng.uniform(185, 220)
    grey = top + (bottom - top) * yy
    if rng.uniform() < 0.5:  # light from one side
        grey = grey * (1.0 + rng.uniform(-0.08, 0.08) * xx)
    vignette = 1.0 - 0.10 * xx**2 - 0.08 * (yy - 0.45) ** 2
    cast = rng.uniform(-5, 5, 3)
    bg = grey[:, :, None] * vignette[:, :, None] + cast[None, None, :]
    # soft floor shadow: an ellipse under the feet, centred a little below the ground line
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask[rows[-1] - max(1, (rows[-1] - rows[0]) // 12) : rows[-1] + 1].any(axis=0))[0]
    all_cols = np.nonzero(mask.any(axis=0))[0]
    sil_h = rows[-1] - rows[0] + 1
    cx = (cols[0] + cols[-1]) / 2.0
    a = max(0.6 * (all_cols[-1] - all_cols[0] + 1), 0.75 * (cols[-1] - cols[0] + 1)) * rng.uniform(0.8, 1.1)
    b = sil_h * rng.uniform(0.03, 0.05)
    cy = rows[-1] + 0.3 * b
    jj, ii = np.mgrid[0:h, 0:w]
    r2 = ((ii - cx) / a) ** 2 + ((jj - cy) / b) ** 2
    darkness = rng.uniform(0.25, 0.4)
    shadow = 1.0 - darkness * np.exp(-1.5 * r2)
    bg = bg * shadow[:, :, None]
    out = np.where(mask[:, :, None], rgb.astype(np.float64), bg)
    # a lens is never perfectly sharp: a slight blur, then sensor noise (luminance and chroma)
    out = ndimage.gaussian_filter(out, sigma=(0.6, 0.6, 0))
    out = out + rng.normal(0.0, 3.5, (h, w, 1)) + rng.normal(0.0, 2.0, (h, w, 3))
    img = Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


def framing(prims, view: str, rng: np.random.Generator, fill: float) -> tuple[float, float]:
    """A phone's framing: the subject off centre, yet inside the frame (room below for the shadow)."""
    lo, hi = subject_bounds(prims)
    axis = 0 if view == "front" else 1
    half_w = 0.5 * fill * float(hi[axis] - lo[axis]) / float(hi[2] - lo[2])
    max_x = max(0.0, 0.47 - half_w)
    max_y = max(0.0, 0.5 - fill / 2 - 0.05)
    return (
        float(rng.uniform(-1, 1) * min(0.18, max_x)),
        float(rng.uniform(-1, 1) * min(0.08, max_y)),
    )


def subject_bounds(prims) -> tuple[torch.Tensor, torch.Tensor]:
    """The subject's exact bounding box from its primitives (capsules, ellipsoids, flat cuts)."""
    lows, highs = [], []
    for pr in prims:
        if isinstance(pr, Capsule):
            ends = np.array([pr.a, pr.b], float)
            lows.append(ends.min(0) - pr.r)
            highs.append(ends.max(0) + pr.r)
        else:
            c, r = np.array(pr.c, float), np.array(pr.radii, float)
            lo = c - r
            if pr.cut_below is not None:
                lo[2] = max(lo[2], pr.cut_below)
            lows.append(lo)
            highs.append(c + r)
    return (
        torch.tensor(np.min(lows, axis=0), dtype=torch.float32),
        torch.tensor(np.max(highs, axis=0), dtype=torch.float32),
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
    print(f"\nwhole bench {summary['bench_seconds']} s; load average {summary['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
