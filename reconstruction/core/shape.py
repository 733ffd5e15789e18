"""Shape from registered views, as a scalar field on a voxel grid (inside where the field > 0).

- Two or more views: the visual hull, rounded. In every horizontal slice the hull is a union of
  rectangles (a run of the front silhouette's row times a run of the side silhouette's row). Each
  view gives a normalised offset ``u`` = distance from the centre of the run containing the point /
  half the run length (a distance-based height field per silhouette row, continuous outside the
  runs), and a voxel is inside when ``u_x^n + u_y^n <= 1``: with ``n = 2`` the rectangle's inscribed
  ellipse (a body's or limb's cross-section is about elliptic), spanning both runs in full so both
  silhouettes stay explained, never outside the hull.
- Front only: silhouette inflation. A Poisson height field ``h`` (``laplace h = -1`` inside the
  silhouette, 0 on its outline) gives ``sqrt(2 h)``, the radius of a round cross-section for
  elongated parts; a per-product-line depth prior scales it into the half-depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from scipy import ndimage

from .views import RegisteredView

__all__ = ["ShapeField", "DEPTH_PRIORS", "visual_hull_field", "inflation_field", "ideal_visual_hull"]

#: Outside value of the normalised offsets (anything well above 1).
FAR = 4.0
#: Superellipse exponent of the rounded hull's cross-sections (2 = ellipse, large = rectangle).
#: The ellipse: bodies and limbs have about elliptic horizontal cross-sections.
HULL_EXPONENT = 2.0
#: A front run narrower than this share of the slice's widest run is a limb beside the body.
LIMB_RATIO = 0.55
#: A limb's half-depth as a multiple of its half-width (slightly more than round: slanted limbs).
LIMB_DEPTH = 1.15


@dataclass(frozen=True)
class DepthPrior:
    """Front-only depth: half-depth = scale * r^gamma (r = sqrt(2h), figure-height units)."""

    scale: float
    gamma: float
    centre_shift: float = 0.0  # +: bulk sits behind the front silhouette (pets facing the camera)


DEPTH_PRIORS: dict[str, DepthPrior] = {
    "solo": DepthPrior(scale=0.38, gamma=0.75),
    "couple": DepthPrior(scale=0.38, gamma=0.75),
    "family": DepthPrior(scale=0.38, gamma=0.75),
    "bust": DepthPrior(scale=0.80, gamma=0.85),
    "pet": DepthPrior(scale=2.2, gamma=0.85, centre_shift=0.5),
}


@dataclass
class ShapeField:
    """A scalar field on a regular grid: ``values[z, y, x]``, inside where > 0.

    Voxel ``(k, j, i)`` has its centre at ``origin + (i, j, k) * spacing`` in the figure frame
    (units of figure height, Z up, facing -Y).
    """

    values: torch.Tensor
    origin: tuple[float, float, float]
    spacing: float

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.values.shape)  # type: ignore[return-value]

    def axis_coords(self, axis: int) -> np.ndarray:
        """World coordinates of voxel centres along x (0), y (1) or z (2)."""
        n = self.values.shape[2 - axis]
        return self.origin[axis] + np.arange(n) * self.spacing

    def inside(self) -> torch.Tensor:
        return self.values > 0


def _grid_axis(lo: float, hi: float, spacing: float, pad: int = 3) -> np.ndarray:
    n = int(np.ceil((hi - lo) / spacing)) + 2 * pad
    start = (lo + hi) / 2 - (n - 1) / 2 * spacing
    return start + np.arange(n) * spacing


def row_offsets(view: RegisteredView, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Normalised offsets ``u[z, h]`` of a view: < 1 inside a silhouette run, continuous outside.

    ``z`` are heights, ``h`` positions along the view's horizontal world axis (figure units).
    """
    _, sign = view.horizontal_axis()
    cols = view.centre_px + sign * h * view.px_per_unit  # continuous pixel coordinate
    out = np.full((len(z), len(h)), FAR, dtype=np.float32)
    H = view.mask.shape[0]
    for k, zk in enumerate(z):
        r = int(np.floor(view.ground - zk * view.px_per_unit))
        if view.cropped and r >= H and zk >= 0:
            out[k] = 0.0  # below a close-up's bottom edge: no information
            continue
        if r < 0 or r >= H:
            continue
        row = view.mask[r]
        d = np.diff(np.concatenate(([0], row.view(np.int8), [0])))
        starts = np.nonzero(d == 1)[0]
        if not len(starts):
            continue
        ends = np.nonzero(d == -1)[0]
        centre = (starts + ends) / 2.0
        half = (ends - starts) / 2.0
        u = np.abs(cols[:, None] - centre[None, :]) / half[None, :]
        out[k] = np.minimum(u.min(axis=1), FAR)
    return out


def _axes_for_views(views: list[RegisteredView], spacing: float, depth_half: float | None):
    front = views[0]
    xs = [v.horizontal_extent() for v in views if v.role in ("front", "back") and not v.cropped]
    xs = xs or [front.horizontal_extent()]
    x_lo, x_hi = min(a for a, _ in xs), max(b for _, b in xs)
    sides = [v for v in views if v.role == "side"]
    if sides:
        ys = [v.horizontal_extent() for v in sides]
        y_lo, y_hi = min(a for a, _ in ys), max(b for _, b in ys)
    else:
        y_lo, y_hi = -(depth_half or 0.5), depth_half or 0.5
    del front
    return (
        _grid_axis(x_lo, x_hi, spacing),
        _grid_axis(y_lo, y_hi, spacing),
        _grid_axis(0.0, 1.0, spacing),
    )


def shape_views(views: list[RegisteredView]) -> list[RegisteredView]:
    """The views whose silhouettes carve the shape."""
    return [v for v in views if "shape" in v.uses]


def _runs(inside: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of a 1D boolean row: starts, ends (exclusive) and each cell's nearest run index."""
    d = np.diff(np.concatenate(([0], inside.view(np.int8), [0])))
    starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    label = np.cumsum(d[:-1] == 1) - 1  # run index at or before each cell
    if inside.all():
        return starts, ends, np.zeros(len(inside), int)
    _, (nearest,) = ndimage.distance_transform_edt(~inside, return_indices=True)
    return starts, ends, label[nearest]


def _round_limbs(
    g: torch.Tensor, ux: np.ndarray, uy: np.ndarray, y: np.ndarray, spacing: float, exponent: float
) -> None:
    """Limb prior: a limb beside the body is about as deep as it is wide, not as deep as the body.

    In a horizontal slice the front silhouette may show a narrow run (an arm) beside a much wider
    one (the torso) while the profile shows one run, the body's depth: the visual hull then gives
    the arm the torso's depth, a flat ghost twice the arm's volume. The profile run is explained by
    the widest front run; a narrow run (< ``LIMB_RATIO`` of the widest) paired with a profile run
    longer than the limb's round depth gets a round cross-section instead (half-depth
    ``LIMB_DEPTH`` x its half-width) centred in that profile run (no further threshold: the depth
    never jumps from round to the body's full depth as the profile run grows). Updates ``g[z, y, x]`` (the superellipse sum) in place.
    """
    for k in range(ux.shape[0]):
        x_in = ux[k] < 1.0
        y_in = uy[k] < 1.0
        if not x_in.any() or not y_in.any():
            continue
        xs, xe, x_near = _runs(x_in)
        if len(xs) < 2:
            continue
        ys, ye, y_near = _runs(y_in)
        widths = (xe - xs) * spacing
        lengths = (ye - ys) * spacing
        for i in np.nonzero(widths < LIMB_RATIO * widths.max())[0]:
            half_depth = LIMB_DEPTH * widths[i] / 2.0
            cols = torch.from_numpy(np.nonzero(x_near == i)[0]).to(g.device)
            for j in np.nonzero(lengths > 2.0 * half_depth)[0]:
                rows_np = np.nonzero(y_near == j)[0]
                centre = y[0] + (ys[j] + ye[j] - 1) / 2.0 * spacing
                uy_limb = np.abs(y[rows_np] - centre) / half_depth
                rows = torch.from_numpy(rows_np).to(g.device)
                tx = torch.from_numpy(ux[k]).to(g.device)[cols]
                block = (
                    tx[None, :] ** exponent
                    + torch.from_numpy(uy_limb.astype(np.float32)).to(g.device)[:, None] ** exponent
                )
                g[k, rows[:, None], cols[None, :]] = block


def visual_hull_field(
    views: list[RegisteredView],
    resolution: int,
    device: torch.device,
    exponent: float = HULL_EXPONENT,
    limb_prior: bool = True,
) -> ShapeField:
    """The rounded visual hull of a front (and optional back) view with one or more side views."""
    spacing = 1.0 / resolution
    x, y, z = _axes_for_views(views, spacing, None)
    ux = np.zeros((len(z), len(x)), np.float32)
    uy = np.zeros((len(z), len(y)), np.float32)
    for v in shape_views(views):
        if v.role in ("front", "back"):
            ux = np.maximum(ux, row_offsets(v, z, x))
        else:
            uy = np.maximum(uy, row_offsets(v, z, y))
    tx = torch.from_numpy(ux).to(device)
    ty = torch.from_numpy(uy).to(device)
    g = tx[:, None, :] ** exponent + ty[:, :, None] ** exponent
    if limb_prior:
        _round_limbs(g, ux, uy, y, spacing, exponent)
    values = (1.0 - g).clamp(-2.0, 1.0)
    return ShapeField(
        values=values.contiguous(), origin=(float(x[0]), float(y[0]), float(z[0])), spacing=spacing
    )


def ideal_visual_hull(views: list[RegisteredView], resolution: int, device: torch.device) -> ShapeField:
    """The plain (square-cornered) visual hull, for comparison."""
    field = visual_hull_field(views, resolution, device, exponent=64.0, limb_prior=False)
    field.values = torch.where(
        field.values > -1.0, torch.ones_like(field.values), -torch.ones_like(field.values)
    )
    return field


def poisson_height(mask: np.ndarray, spacing: float) -> np.ndarray:
    """Solve ``laplace h = -1`` inside ``mask`` (2D, grid spacing in figure units), h = 0 outside."""
    idx = -np.ones(mask.shape, dtype=np.int64)
    n = int(mask.sum())
    if n == 0:
        return np.zeros(mask.shape)
    idx[mask] = np.arange(n)
    rows, cols = np.nonzero(mask)
    data = [np.full(n, 4.0)]
    ii = [np.arange(n)]
    jj = [np.arange(n)]
    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        r2, c2 = rows + dr, cols + dc
        ok = (r2 >= 0) & (r2 < mask.shape[0]) & (c2 >= 0) & (c2 < mask.shape[1])
        ok[ok] &= mask[r2[ok], c2[ok]]
        ii.append(np.arange(n)[ok])
        jj.append(idx[r2[ok], c2[ok]])
        data.append(np.full(int(ok.sum()), -1.0))
    a = sp.csr_matrix((np.concatenate(data), (np.concatenate(ii), np.concatenate(jj))), shape=(n, n))
    b = np.full(n, spacing * spacing)
    sol = spla.spsolve(a.tocsc(), b)
    h = np.zeros(mask.shape)
    h[mask] = sol
    return h


def inflation_field(
    front: RegisteredView,
    product_line: str,
    resolution: int,
    device: torch.device,
    views: list[RegisteredView] | None = None,
) -> ShapeField:
    """Shape without a profile: the inflated front silhouette with the product line's depth prior.

    Further front-direction ``views`` (a back photo, mirrored; another front or full-body photo)
    carve it too: the inflated silhouette is their intersection.
    """
    prior = DEPTH_PRIORS.get(product_line, DEPTH_PRIORS["solo"])
    spacing = 1.0 / resolution
    x_lo, x_hi = front.horizontal_extent()
    x = _grid_axis(x_lo, x_hi, spacing)
    z = _grid_axis(0.0, 1.0, spacing)
    ux = row_offsets(front, z, x)
    for v in shape_views(views or []):
        if v is not front and v.role in ("front", "back"):
            ux = np.maximum(ux, row_offsets(v, z, x))
    inside2d = ux < 1.0
    h = poisson_height(inside2d, spacing)
    r = np.sqrt(np.maximum(2.0 * h, 0.0))
    depth = prior.scale * np.power(r, prior.gamma)
    depth_half = float(depth.max()) * (1.0 + abs(prior.centre_shift)) + 4 * spacing
    y = _grid_axis(-depth_half, depth_half, spacing)
    # Bulk behind the silhouette for pets: shift the centre plane back by a share of the depth.
    centre = prior.centre_shift * depth
    t_depth = torch.from_numpy(depth.astype(np.float32)).to(device)
    t_centre = torch.from_numpy(centre.astype(np.float32)).to(device)
    t_ux = torch.from_numpy(ux).to(device)
    ty = torch.from_numpy(y.astype(np.float32)).to(device)
    offset = (ty[None, :, None] - t_centre[:, None, :]).abs() / t_depth[:, None, :].clamp_min(1e-6)
    g = torch.maximum(offset, t_ux[:, None, :])
    values = (1.0 - g).clamp(-2.0, 1.0)
    return ShapeField(
        values=values.contiguous(), origin=(float(x[0]), float(y[0]), float(z[0])), spacing=spacing
    )
