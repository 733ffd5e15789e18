"""Turntable renders: the stamp rasteriser of ``kits.mesh.render`` against its previous version.

Renders 8 views at 512 px with 2x2 supersampling (``render_turntable``'s defaults, PNGs written) of a
300k-triangle coloured preview of the signed-distance figurine in ``bench/figurine_sdf.py``, with the
current ``render_turntable`` and with the previous implementation (per-(face, pixel) pairs from bounding
boxes with ``repeat_interleave``, float64 planes, one view at a time, torch's own intra-op threads), copied
below as the baseline. Both run in the same process, in alternation, best of ``--repeat``; each run gets a
fresh mesh object, so trimesh's closed/winding checks are paid every time. The last column compares the
pixels of the two implementations' images.

Run: ``.venv/bin/python bench/render_bench.py [--threads 2 1] [--repeat 3] [--supersample 2] [--full]``
(``--full``: the 1.6 M-triangle figurine itself, as a revision's turntable renders it). The
1.6 M-triangle figurine is cached in ``/tmp/figurine_bench_<voxel>.npz`` (shared with preview_bench.py),
the 300k preview in ``/tmp/render_bench_preview_<voxel>.npz``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import trimesh  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from kits.mesh.colors import vertex_colors_of  # noqa: E402
from kits.mesh.preview import decimate  # noqa: E402
from kits.mesh.render import BACKGROUND, _camera, pick_device, render_turntable, view_azimuths  # noqa: E402

DEFAULT_RGB = (0.78, 0.78, 0.80)
AMBIENT = 0.35
PAIRS_PER_CHUNK = 6_000_000
FACE_BITS = 25


class BaselineRasteriser:
    """The rasteriser as it was before (commit d2524ef), kept here as the baseline."""

    def __init__(self, mesh: trimesh.Trimesh, device: str = "auto") -> None:
        self.device = pick_device(device)
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        if len(faces) == 0:
            raise ValueError("the mesh has no triangles to render")
        if len(faces) >= 1 << FACE_BITS:
            raise ValueError(f"too many triangles to render ({len(faces)})")
        self.center = torch.tensor((vertices.min(axis=0) + vertices.max(axis=0)) / 2, dtype=torch.float64)
        self.vertices = torch.tensor(vertices, dtype=torch.float64, device=self.device)
        self.faces = torch.tensor(faces, device=self.device)
        colors = vertex_colors_of(mesh)
        if colors is None:
            self.colors = torch.tensor(DEFAULT_RGB, device=self.device).expand(len(vertices), 3).clone()
        else:
            self.colors = torch.tensor(colors[:, :3], device=self.device).float() / 255.0
        corners = self.vertices[self.faces]
        face_normals = torch.linalg.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        normals = torch.zeros_like(self.vertices).index_add_(
            0, self.faces.reshape(-1), face_normals.repeat_interleave(3, 0)
        )
        # back faces can be skipped only on a closed, consistently wound mesh (+1 outward, -1 inward)
        self.cull_sign = 0
        if mesh.is_watertight and mesh.is_winding_consistent:
            self.cull_sign = 1 if mesh.volume > 0 else -1
        self.normals = (normals / normals.norm(dim=1, keepdim=True).clamp_min(1e-20)).float()

    def half_extent(self, angles: list[tuple[float, float]]) -> float:
        """Half the side of the square that frames the mesh in every one of the given views."""
        extent = 0.0
        centered = self.vertices - self.center.to(self.device)
        for azimuth, elevation in angles:
            right, up, _ = (v.to(self.device) for v in _camera(azimuth, elevation))
            extent = max(extent, float((centered @ right).abs().max()), float((centered @ up).abs().max()))
        return extent * 1.06 or 1.0

    def render(
        self,
        azimuth_deg: float,
        elevation_deg: float = 15.0,
        *,
        size: int = 512,
        half_extent: float | None = None,
        supersample: int = 2,
        background: tuple[int, int, int] = BACKGROUND,
    ) -> np.ndarray:
        """One view as an ``(size, size, 3)`` uint8 image."""
        half = half_extent or self.half_extent([(azimuth_deg, elevation_deg)])
        res = size * supersample
        right, up, forward = (v.to(self.device) for v in _camera(azimuth_deg, elevation_deg))
        centered = self.vertices - self.center.to(self.device)
        sx = ((centered @ right) / half + 1.0) * 0.5 * res
        sy = (1.0 - (centered @ up) / half) * 0.5 * res
        depth = centered @ forward
        face, bary = self._rasterise(sx, sy, depth, res)
        coverage = (face >= 0).float()
        image = torch.zeros(res * res, 3, device=self.device)
        hit = face >= 0
        if hit.any():
            tri = self.faces[face[hit]]
            weights = bary[hit].unsqueeze(-1)
            albedo = (self.colors[tri] * weights).sum(1)
            normal = (self.normals[tri] * weights).sum(1)
            normal = normal / normal.norm(dim=1, keepdim=True).clamp_min(1e-12)
            fwd = forward.float()
            normal = torch.where((normal @ fwd).unsqueeze(1) > 0, -normal, normal)  # two-sided
            light = -fwd * 0.75 + up.float() * 0.55 - right.float() * 0.35
            light = light / light.norm()
            shade = AMBIENT + (1 - AMBIENT) * (normal @ light).clamp_min(0.0)
            image[hit] = (albedo * shade.unsqueeze(1)).clamp(0, 1)
        bg = torch.tensor(background, device=self.device).float() / 255.0
        image = image * coverage.unsqueeze(1) + bg * (1 - coverage.unsqueeze(1))
        image = image.reshape(res, res, 3).permute(2, 0, 1).unsqueeze(0)
        if supersample > 1:
            image = torch.nn.functional.avg_pool2d(image, supersample)
        out = (image[0].permute(1, 2, 0) * 255.0).round().clamp(0, 255).to(torch.uint8)
        return out.cpu().numpy()

    def _rasterise(
        self, sx: torch.Tensor, sy: torch.Tensor, depth: torch.Tensor, res: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Winning face per pixel (-1 for background) and its barycentric weights, by z-buffer.

        Each face's barycentric weights and depth are affine in the pixel position, so they become
        per-face plane coefficients once; a (face, pixel) pair then costs one gather and four affine
        evaluations. Pairs come from each face's pixel bounding box, in chunks to bound memory. Faces
        turned away from the camera are skipped when the mesh is closed and consistently wound.
        """
        device = self.device
        f = self.faces
        x, y = sx[f], sy[f]  # (m, 3) pixel coordinates of the corners (float64)
        area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
        dmin, dmax = float(depth.min()), float(depth.max())
        dscale = ((1 << 23) - 1) / max(dmax - dmin, 1e-12)  # depth quantised to 23 bits (float32-exact)
        visible = area.abs() > 1e-12
        if self.cull_sign:  # screen y points down: a front face of an outward mesh has negative area
            visible &= area * self.cull_sign < 0
        kept = torch.nonzero(visible).squeeze(1)
        x, y, area = x[kept], y[kept], area[kept]
        x0 = torch.ceil(x.min(1).values - 0.5).clamp(0, res - 1).long()
        x1 = torch.floor(x.max(1).values - 0.5).clamp(-1, res - 1).long()
        y0 = torch.ceil(y.min(1).values - 0.5).clamp(0, res - 1).long()
        y1 = torch.floor(y.max(1).values - 0.5).clamp(-1, res - 1).long()
        width = (x1 - x0 + 1).clamp_min(0)
        counts = width * (y1 - y0 + 1).clamp_min(0)
        # from here on only the faces that may cover a pixel centre, numbered 0..n-1
        covering = torch.nonzero(counts > 0).squeeze(1)
        candidates = kept[covering]
        x, y, area = x[covering], y[covering], area[covering]
        x0, y0, width, counts = x0[covering], y0[covering], width[covering], counts[covering]
        # planes relative to each face's bounding-box corner: float32 is then exact enough per pair
        planes64 = _planes(
            x - x0.unsqueeze(1), y - y0.unsqueeze(1), area, (depth[f[candidates]] - dmin) * dscale
        )
        planes = planes64.float().reshape(-1, 12)
        zbuffer = torch.full((res * res,), torch.iinfo(torch.int64).max, dtype=torch.int64, device=device)
        cumulative = torch.cumsum(counts, 0)
        start = 0
        while start < len(candidates):
            base = int(cumulative[start - 1]) if start else 0
            stop = max(int(torch.searchsorted(cumulative, base + PAIRS_PER_CHUNK, right=True)), start + 1)
            per_face = counts[start:stop]
            owner = torch.repeat_interleave(torch.arange(start, stop, device=device), per_face)
            offsets = torch.repeat_interleave(torch.cumsum(per_face, 0) - per_face, per_face)
            local = torch.arange(len(owner), device=device) - offsets
            w = width[owner]
            row = torch.div(local, w, rounding_mode="floor")
            col = local - row * w
            c = planes[owner]  # (p, 12): (a, b, c) of w0, w1, w2, depth, relative to the bbox corner
            fx, fy = col.float() + 0.5, row.float() + 0.5
            inside = c[:, 0] * fx + c[:, 1] * fy + c[:, 2] >= -1e-5
            inside &= c[:, 3] * fx + c[:, 4] * fy + c[:, 5] >= -1e-5
            inside &= c[:, 6] * fx + c[:, 7] * fy + c[:, 8] >= -1e-5
            c, fx, fy, owner = c[inside], fx[inside], fy[inside], owner[inside]
            z = (c[:, 9] * fx + c[:, 10] * fy + c[:, 11]).clamp_min(0).long()
            key = (z << FACE_BITS) | owner
            pixel = (y0[owner] + row[inside]) * res + x0[owner] + col[inside]
            zbuffer.scatter_reduce_(0, pixel, key, reduce="amin")
            start = stop
        covered = zbuffer != torch.iinfo(torch.int64).max
        face = torch.full((res * res,), -1, dtype=torch.long, device=device)
        bary = torch.zeros(res * res, 3, dtype=torch.float32, device=device)
        pixels = torch.nonzero(covered).squeeze(1)
        if len(pixels):
            won = zbuffer[pixels] & ((1 << FACE_BITS) - 1)  # candidate number
            face[pixels] = candidates[won]
            c = planes[won, :9].reshape(-1, 3, 3)
            fx = (pixels % res - x0[won]).float() + 0.5
            fy = (pixels // res - y0[won]).float() + 0.5
            weights = (c[:, :, 0] * fx.unsqueeze(1) + c[:, :, 1] * fy.unsqueeze(1) + c[:, :, 2]).clamp(0, 1)
            bary[pixels] = weights / weights.sum(1, keepdim=True).clamp_min(1e-12)
        return face, bary


def _planes(x: torch.Tensor, y: torch.Tensor, area: torch.Tensor, key_depth: torch.Tensor) -> torch.Tensor:
    """Per face, the coefficients (a, b, c) with ``value = a px + b py + c`` of its three barycentric
    weights and of its depth, for 2-D triangles with corners (x, y) and signed ``area``: ``(m, 4, 3)``."""
    safe = torch.where(area.abs() > 1e-12, area, torch.ones_like(area))
    rows = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        # w_i = ((x_j - px)(y_k - py) - (x_k - px)(y_j - py)) / area
        a = (y[:, j] - y[:, k]) / safe
        b = (x[:, k] - x[:, j]) / safe
        c = (x[:, j] * y[:, k] - x[:, k] * y[:, j]) / safe
        rows.append(torch.stack([a, b, c], 1))
    weights = torch.stack(rows, 1)  # (m, 3, 3)
    depth_plane = (key_depth.unsqueeze(2) * weights).sum(1)  # depth = sum_i z_i w_i
    return torch.cat([weights, depth_plane.unsqueeze(1)], 1)


def baseline_turntable(
    mesh: trimesh.Trimesh, out_dir: Path, *, views: int = 8, size: int = 512, supersample: int = 2
):
    """The previous ``render_turntable``: views one by one, PNGs as now."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rasteriser = BaselineRasteriser(mesh, "cpu")
    angles = [(azimuth, 15.0) for azimuth in view_azimuths(views)]
    half = rasteriser.half_extent(angles)
    paths = []
    for index, (azimuth, elevation) in enumerate(angles):
        pixels = rasteriser.render(azimuth, elevation, size=size, half_extent=half, supersample=supersample)
        path = out_dir / f"turntable_{index:02d}.png"
        Image.fromarray(pixels, "RGB").save(path, optimize=False, compress_level=6)
        paths.append(path)
    return paths


def preview_arrays(voxel_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices, faces and RGBA colours of the 300k-triangle coloured preview (cached)."""
    cache = Path(tempfile.gettempdir()) / f"render_bench_preview_{voxel_mm:.3f}.npz"
    if not cache.exists():
        from preview_bench import coloured_figurine

        figurine = coloured_figurine(voxel_mm)
        vertices, faces = decimate(np.asarray(figurine.vertices), np.asarray(figurine.faces), 300_000)
        nearest = cKDTree(figurine.vertices).query(vertices)[1]
        np.savez(cache, vertices=vertices, faces=faces, colors=vertex_colors_of(figurine)[nearest])
    data = np.load(cache)
    return data["vertices"], data["faces"], data["colors"]


def fresh_mesh(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


def measure(fn, arrays, out_dir: Path, supersample: int) -> tuple[float, float, list[Path]]:
    mesh = fresh_mesh(*arrays)
    wall, cpu = time.perf_counter(), time.process_time()
    paths = fn(mesh, out_dir, views=8, size=512, supersample=supersample)
    return time.perf_counter() - wall, time.process_time() - cpu, paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxel-mm", type=float, default=0.205)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--supersample", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="the full figurine (~1.6 M triangles) instead")
    args = parser.parse_args()
    if args.full:
        from preview_bench import coloured_figurine

        figurine = coloured_figurine(args.voxel_mm)
        arrays = (np.asarray(figurine.vertices), np.asarray(figurine.faces), vertex_colors_of(figurine))
    else:
        arrays = preview_arrays(args.voxel_mm)
    print(
        f"{'full figurine' if args.full else 'preview'}: {len(arrays[1]):,} triangles, {len(arrays[0]):,} vertices; 8 views x 512 px, "
        f"supersample {args.supersample}, best of {args.repeat}"
    )
    work = Path(tempfile.mkdtemp(prefix="render_bench_"))
    print(
        "\n| torch threads | method | wall s | cpu s | s/view | pixels vs baseline |\n|---|---|---:|---:|---:|---|"
    )
    for threads in args.threads:
        torch.set_num_threads(threads)
        best = {"baseline": (math.inf, math.inf, []), "ours": (math.inf, math.inf, [])}
        for _ in range(args.repeat):
            for name, fn in (("baseline", baseline_turntable), ("ours", render_turntable)):
                result = measure(fn, arrays, work / name, args.supersample)
                if result[0] < best[name][0]:
                    best[name] = result
        old = [np.asarray(Image.open(p)).astype(int) for p in best["baseline"][2]]
        new = [np.asarray(Image.open(p)).astype(int) for p in best["ours"][2]]
        diff = np.stack([np.abs(a - b) for a, b in zip(old, new, strict=True)])
        for name, label in (
            ("baseline", "previous rasteriser (baseline)"),
            ("ours", "`render_turntable` (ours)"),
        ):
            wall, cpu, _ = best[name]
            note = (
                ""
                if name == "baseline"
                else (
                    f"mean abs diff {diff.mean():.4f}, max {diff.max()}, {int((diff.max(axis=3) > 8).sum())} px > 8"
                )
            )
            print(f"| {threads} | {label} | {wall:.2f} | {cpu:.2f} | {wall / 8:.3f} | {note} |", flush=True)
        speedup = best["baseline"][0] / best["ours"][0]
        print(f"| {threads} | speed-up (wall) | {speedup:.1f}x | | | |", flush=True)


if __name__ == "__main__":
    main()
