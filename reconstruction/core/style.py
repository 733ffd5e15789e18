"""Styles applied to the shape field: ``realistic`` (unchanged) and ``chibi``.

Chibi enlarges each head about its neck and shortens the body below it. The neck of every person
(each large connected part of the front silhouette) is the narrowest row, in the upper part of the
figure, of the silhouette run under the head's centre. The warp is applied to the field by inverse
mapping (trilinear resampling), so the result stays one closed, watertight shape; a smooth blend
band around the neck keeps the surface continuous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from .shape import ShapeField, _grid_axis

__all__ = ["Neck", "ChibiWarp", "find_necks", "chibi_warp"]

HEAD_SCALE = 1.45
BODY_SCALE = 0.72
BLEND = 0.03  # half-width of the neck blend band (figure units)
NECK_SEARCH = {"bust": (0.30, 0.72), "pet": (0.45, 0.90)}
DEFAULT_NECK_SEARCH = (0.68, 0.92)


@dataclass
class Neck:
    """A head's pivot: neck height and the head's horizontal centre (figure units)."""

    x: float
    y: float
    z: float
    top: float  # top of the head


def find_necks(field: ShapeField, product_line: str = "solo") -> list[Neck]:
    """One neck per person (large front-silhouette component), left to right."""
    inside = field.inside().cpu().numpy()  # [z, y, x]
    front = inside.any(axis=1)  # [z, x]
    labels, count = ndimage.label(front)
    if count == 0:
        return []
    areas = np.bincount(labels.ravel())[1:]
    lo_frac, hi_frac = NECK_SEARCH.get(product_line, DEFAULT_NECK_SEARCH)
    z = field.axis_coords(2)
    x = field.axis_coords(0)
    y = field.axis_coords(1)
    necks = []
    for label in np.nonzero(areas >= 0.1 * areas.max())[0] + 1:
        comp = labels == label
        rows = np.nonzero(comp.any(axis=1))[0]
        r0, r1 = rows[0], rows[-1]
        height = r1 - r0 + 1
        top_rows = comp[max(r0, r1 - max(2, height // 20)) : r1 + 1]
        head_col = int(round(np.nonzero(top_rows.any(axis=0))[0].mean()))
        best, best_w = None, np.inf
        for r in range(r0 + int(lo_frac * height), r0 + int(hi_frac * height) + 1):
            row = comp[r]
            if not row[head_col]:
                continue
            left = head_col - np.argmin(row[head_col::-1]) if not row[: head_col + 1].all() else 0
            right = head_col + np.argmin(row[head_col:]) if not row[head_col:].all() else len(row)
            width = right - left
            if width < best_w:
                best, best_w = r, width
        if best is None:
            best = r0 + int(0.8 * height)
        sl = inside[best][:, comp[best]]  # [y, cols of this person at the neck row]
        ys = np.nonzero(sl.any(axis=1))[0]
        y_c = float(y[ys].mean()) if len(ys) else 0.0
        necks.append(Neck(x=float(x[head_col]), y=y_c, z=float(z[best]), top=float(z[r1])))
    necks.sort(key=lambda n: n.x)
    return necks


@dataclass
class ChibiWarp:
    """Inverse map from chibi space back to the realistic shape (and so to the photos)."""

    necks: list[Neck]
    head_scale: float = HEAD_SCALE
    body_scale: float = BODY_SCALE

    def inverse(self, points: torch.Tensor) -> torch.Tensor:
        """Source (realistic) positions of chibi-space points (N x 3 tensor)."""
        xs = torch.tensor([n.x for n in self.necks], dtype=points.dtype, device=points.device)
        owner = (points[:, :1] - xs[None, :]).abs().argmin(dim=1)
        neck = torch.tensor([[n.x, n.y, n.z] for n in self.necks], dtype=points.dtype, device=points.device)[
            owner
        ]
        body = points.clone()
        body[:, 2] = points[:, 2] / self.body_scale
        new_neck = neck.clone()
        new_neck[:, 2] = neck[:, 2] * self.body_scale
        head = neck + (points - new_neck) / self.head_scale
        t = ((points[:, 2] - (new_neck[:, 2] - BLEND)) / (2 * BLEND)).clamp(0, 1)
        w = (t * t * (3 - 2 * t))[:, None]
        return body * (1 - w) + head * w

    def forward_bounds(self, field: ShapeField) -> tuple[np.ndarray, np.ndarray]:
        """Bounding box of the warped shape (for the output grid)."""
        inside = field.inside()
        k, j, i = torch.nonzero(inside, as_tuple=True)
        pts = torch.stack([i, j, k], dim=1).to(torch.float64).cpu().numpy() * field.spacing + np.asarray(
            field.origin
        )
        xs = np.array([n.x for n in self.necks])
        owner = np.abs(pts[:, :1] - xs[None, :]).argmin(axis=1)
        neck = np.array([[n.x, n.y, n.z] for n in self.necks])[owner]
        out = pts.copy()
        out[:, 2] *= self.body_scale
        head = pts[:, 2] > neck[:, 2]
        new_neck = neck.copy()
        new_neck[:, 2] *= self.body_scale
        out[head] = new_neck[head] + (pts[head] - neck[head]) * self.head_scale
        return out.min(axis=0), out.max(axis=0)


def chibi_warp(field: ShapeField, product_line: str = "solo") -> tuple[ShapeField, ChibiWarp | None]:
    """The chibi field and its warp (``None`` when no neck could be found: field unchanged)."""
    necks = find_necks(field, product_line)
    if not necks:
        return field, None
    warp = ChibiWarp(necks)
    lo, hi = warp.forward_bounds(field)
    s = field.spacing
    x = _grid_axis(lo[0], hi[0], s)
    y = _grid_axis(lo[1], hi[1], s)
    z = _grid_axis(0.0, hi[2], s)
    dev = field.values.device
    gz, gy, gx = torch.meshgrid(
        torch.as_tensor(z, dtype=torch.float32, device=dev),
        torch.as_tensor(y, dtype=torch.float32, device=dev),
        torch.as_tensor(x, dtype=torch.float32, device=dev),
        indexing="ij",
    )
    pts = torch.stack([gx.reshape(-1), gy.reshape(-1), gz.reshape(-1)], dim=1)
    src = warp.inverse(pts)
    nz, ny, nx = field.values.shape
    origin = torch.tensor(field.origin, dtype=torch.float32, device=dev)
    size = torch.tensor([nx - 1, ny - 1, nz - 1], dtype=torch.float32, device=dev) * s
    norm = 2.0 * (src - origin) / size - 1.0
    grid = norm.view(1, len(z), len(y), len(x), 3)
    sampled = torch.nn.functional.grid_sample(
        field.values[None, None].float(), grid, mode="bilinear", padding_mode="border", align_corners=True
    )[0, 0]
    out = ShapeField(values=sampled.contiguous(), origin=(float(x[0]), float(y[0]), float(z[0])), spacing=s)
    return out, warp
