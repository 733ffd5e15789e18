"""Reconstruction surface stages: the current implementation against the obvious one, same surfaces.

For the bust and the standing person of ``recon_eval.py`` (1024-px front and side renders, the
rounded hull at the default 200k-triangle budget's resolution) it times, best of ``--repeat``, in
one process and in alternation:

- field blur: ``conv3d`` with a one-dimensional Gaussian per axis (the first version) against the
  weighted sum of shifted views now in ``surface._smooth_field``;
- decimation to the budget after the same Taubin smoothing: pymeshlab's quadric edge collapse with
  the options the first version used, against fast-simplification (now the first choice), each
  followed by the same light Taubin pass; also whether each result is closed and how far it moved
  from the undecimated surface (symmetric exact point-to-surface distance of 4k sampled points, mean
  and max, mm at 150 mm);
- enclosed volume: trimesh's ``mesh.volume`` (full mass properties) against ``surface.signed_volume``.

Run: ``.venv/bin/python bench/recon_stage_bench.py [--threads 2] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pymeshlab  # noqa: E402
import recon_eval  # noqa: E402
import torch  # noqa: E402
import trimesh  # noqa: E402

from reconstruction.core import surface  # noqa: E402
from reconstruction.core.pipeline import resolution_for_budget  # noqa: E402
from reconstruction.core.shape import visual_hull_field  # noqa: E402
from reconstruction.core.types import PhotoInput  # noqa: E402
from reconstruction.core.views import register_views  # noqa: E402


def blur_conv3d(values: torch.Tensor, sigma: float) -> torch.Tensor:
    """The first version: replicate-pad and conv3d with a 1D kernel, one axis at a time."""
    radius = max(1, int(round(2.5 * sigma)))
    xs = torch.arange(-radius, radius + 1, dtype=values.dtype)
    kernel = torch.exp(-0.5 * (xs / sigma) ** 2)
    kernel = kernel / kernel.sum()
    v = values[None, None]
    for dim in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + dim] = len(kernel)
        pad = [0, 0, 0, 0, 0, 0]
        pad[2 * (2 - dim)] = pad[2 * (2 - dim) + 1] = radius
        v = torch.nn.functional.pad(v, pad, mode="replicate")
        v = torch.nn.functional.conv3d(v, kernel.view(shape))
    return v[0, 0]


def decimate_meshlab(vertices, faces, budget):
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=vertices, face_matrix=faces))
    return surface._decimate_meshlab(ms, budget)


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def distance_mm(a: trimesh.Trimesh, b: trimesh.Trimesh) -> tuple[float, float]:
    """Symmetric mean and max exact point-to-surface distance of 4k sampled points (mm at 150 mm)."""
    d = []
    for src, dst, seed in ((a, b, 1), (b, a, 2)):
        pts = src.sample(4000, seed=seed)
        _, dist, _ = trimesh.proximity.closest_point(dst, pts)
        d.append(dist)
    return float((d[0].mean() + d[1].mean()) / 2 * 150.0), float(max(d[0].max(), d[1].max()) * 150.0)


def run_case(name: str, a: argparse.Namespace, res: int) -> None:
    """One case's rows of the table."""
    product_line, build = recon_eval.CASES[name]
    prims = build()
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    photos = []
    for kind in ("front", "side"):
        fill = float(rng.uniform(0.72, 0.86))
        shift = (float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.03, 0.03)))
        photos.append(PhotoInput(recon_eval.render(prims, kind, 1024, fill, shift), kind))
    views, _ = register_views(photos, product_line)
    with torch.no_grad():
        field = visual_hull_field(views, res, torch.device("cpu"))
        values = field.values.float()
        t_old, old = best(lambda: blur_conv3d(values, 0.6), a.repeat)
        t_new, new = best(lambda: surface._smooth_field(values, 0.6), a.repeat)
    diff = float((old - new).abs().max())
    print(
        f"| {name} | field blur {tuple(values.shape)} | {t_old:.3f} s | {t_new:.3f} s | "
        f"{t_old / t_new:.1f} x | max difference {diff:.1e} |"
    )
    mesh = surface.keep_significant_shells(surface.extract_surface(field))
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=mesh.vertices, face_matrix=mesh.faces.astype(np.int32)))
    ms.apply_coord_taubin_smoothing(stepsmoothnum=12)
    v, f = ms.current_mesh().vertex_matrix(), ms.current_mesh().face_matrix()
    smoothed = trimesh.Trimesh(v, f, process=False)
    if len(f) <= a.budget:
        print(f"| {name} | decimate | — | — | — | {len(f):,} triangles: under the budget, not decimated |")
        m_new = m_old = surface._closed(v, f)
    else:
        t_old, m_old = best(lambda: decimate_meshlab(v, f, a.budget), a.repeat)
        t_new, m_new = best(lambda: surface._decimate_fast(v, f, a.budget), a.repeat)
        d_old = distance_mm(m_old, smoothed) if m_old is not None else (np.nan, np.nan)
        d_new = distance_mm(m_new, smoothed) if m_new is not None else (np.nan, np.nan)
        print(
            f"| {name} | decimate {len(f):,} to {a.budget:,} | {t_old:.3f} s | {t_new:.3f} s | "
            f"{t_old / t_new:.1f} x | closed {m_old is not None} / {m_new is not None}; moved mean/max "
            f"{d_old[0]:.3f}/{d_old[1]:.2f} mm vs {d_new[0]:.3f}/{d_new[1]:.2f} mm |"
        )
    out = m_new if m_new is not None else m_old
    t_old, vol_old = best(lambda: trimesh.Trimesh(out.vertices, out.faces, process=False).volume, a.repeat)
    t_new, vol_new = best(lambda: surface.signed_volume(out.vertices, out.faces), a.repeat)
    print(
        f"| {name} | volume of {len(out.faces):,} triangles | {t_old:.3f} s | {t_new:.3f} s | "
        f"{t_old / t_new:.1f} x | relative difference {abs(vol_old - vol_new) / abs(vol_old):.1e} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=int, default=200_000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    res = resolution_for_budget(a.budget)
    print(f"threads {a.threads}, best of {a.repeat}, budget {a.budget:,}, resolution {res}\n")
    print("| case | stage | obvious (first version) | current | speed-up | notes |")
    print("|---|---|---|---|---|---|")
    for name in ("bust", "standing"):
        run_case(name, a, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
