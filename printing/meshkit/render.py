"""Turntable renders of a figurine: a small z-buffer rasteriser of our own in torch.

Orthographic views around the Z axis (the studio's up), vertex colours, Lambert + ambient shading, a clean
background, 2x2 supersampling. Runs on the CPU (no display, no GPU needed) and on CUDA when there is one.

View ``k`` of ``n`` looks from azimuth ``-90 + 360 k / n`` degrees: view 0 from the front (the figurine
faces -Y), then counter-clockwise seen from above, so with 8 views view 2 looks from +X (the figurine's
left side) and view 6 from -X (its right side). All views share one scale, so the turntable does not zoom.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import trimesh
from PIL import Image

from printing.meshkit.export.colors import vertex_colors_of

DEFAULT_RGB = (0.78, 0.78, 0.80)
BACKGROUND = (255, 255, 255)
AMBIENT = 0.35
PAIRS_PER_CHUNK = 6_000_000
FACE_BITS = 25  # face index packed under the depth in one int64 key: up to 33 million triangles


def pick_device(device: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _camera(azimuth_deg: float, elevation_deg: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right, up and forward (into the screen) unit vectors of a camera at the given angles."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    eye = torch.tensor(
        [math.cos(az) * math.cos(el), math.sin(az) * math.cos(el), math.sin(el)], dtype=torch.float64
    )
    forward = -eye
    right = torch.linalg.cross(forward, torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))
    right = right / right.norm()
    up = torch.linalg.cross(right, forward)
    return right, up, forward


def view_azimuths(views: int) -> list[float]:
    """Azimuth in degrees of each turntable view (view 0 = front, from -Y)."""
    return [-90.0 + 360.0 * k / views for k in range(views)]


class Rasteriser:
    """A mesh prepared on a device for repeated orthographic renders."""

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


def render_turntable(
    mesh: trimesh.Trimesh,
    out_dir: str | Path,
    *,
    views: int = 8,
    size: int = 512,
    device: str = "auto",
    elevation_deg: float = 15.0,
    background: tuple[int, int, int] = BACKGROUND,
    prefix: str = "turntable",
    supersample: int = 2,
) -> list[Path]:
    """Render ``views`` PNGs of ``size`` px around the Z axis into ``out_dir``; returns their paths in
    view order (``<prefix>_00.png`` is the front). See the module docstring for the view angles;
    ``supersample`` 2 (default) antialiases edges at about twice the cost of 1."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rasteriser = Rasteriser(mesh, device)
    angles = [(azimuth, elevation_deg) for azimuth in view_azimuths(views)]
    half = rasteriser.half_extent(angles)
    paths = []
    for index, (azimuth, elevation) in enumerate(angles):
        pixels = rasteriser.render(
            azimuth, elevation, size=size, half_extent=half, background=background, supersample=supersample
        )
        path = out_dir / f"{prefix}_{index:02d}.png"
        Image.fromarray(pixels, "RGB").save(path, optimize=False, compress_level=6)
        paths.append(path)
    return paths
