"""Surface extraction: the field blur, speck removal and decimation that never loses watertightness."""

import numpy as np
import pytest
import torch
import trimesh

from reconstruction.core import surface
from reconstruction.core.shape import ShapeField
from reconstruction.core.surface import (
    _smooth_field,
    extract_surface,
    keep_significant_shells,
    remesh,
    signed_volume,
)


def test_blur_is_a_normalised_gaussian_with_replicated_edges():
    field = torch.zeros(9, 11, 13)
    field[4, 5, 6] = 1.0
    out = _smooth_field(field, 0.6)
    assert out.sum().item() == pytest.approx(1.0, abs=1e-5)
    # separable and symmetric: the weights along each axis are a sampled Gaussian
    w = out[4, 5, 5:8] / out[4, 5, 6]
    assert w[0].item() == pytest.approx(np.exp(-0.5 / 0.36), rel=1e-4)
    assert w[2].item() == pytest.approx(w[0].item(), rel=1e-6)
    assert out[4, 4, 6].item() == pytest.approx(out[4, 5, 5].item(), rel=1e-6)
    # a constant field stays constant at the borders (edges replicated, not zero-padded)
    const = torch.full((5, 6, 7), 0.7)
    assert torch.allclose(_smooth_field(const, 0.6), const, atol=1e-6)
    assert _smooth_field(field, 0.0) is field


def _ball_field(centres_radii, n=48) -> ShapeField:
    axis = torch.linspace(-1, 1, n)
    z, y, x = torch.meshgrid(axis, axis, axis, indexing="ij")
    values = torch.full((n, n, n), -1.0)
    for (cx, cy, cz), r in centres_radii:
        d = ((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2).sqrt()
        values = torch.maximum(values, (r - d) / r)
    return ShapeField(values=values, origin=(-1.0, -1.0, -1.0), spacing=2.0 / (n - 1))


def test_specks_are_dropped_and_big_shells_kept():
    field = _ball_field([((-0.5, 0, 0), 0.4), ((0.5, 0, 0), 0.35), ((0, 0.7, 0.7), 0.08)])
    mesh = extract_surface(field)
    assert mesh.body_count == 3 and mesh.is_watertight
    kept = keep_significant_shells(mesh)
    assert kept.body_count == 2 and kept.is_watertight
    assert signed_volume(kept.vertices, kept.faces) == pytest.approx(
        4 / 3 * np.pi * (0.4**3 + 0.35**3), rel=0.06
    )
    one = extract_surface(_ball_field([((0, 0, 0), 0.6)]))
    assert keep_significant_shells(one) is one


def test_signed_volume_matches_trimesh_and_sign_follows_winding():
    box = trimesh.creation.box(extents=(1, 2, 3))
    assert signed_volume(box.vertices, box.faces) == pytest.approx(6.0)
    assert signed_volume(box.vertices, box.faces[:, ::-1]) == pytest.approx(-6.0)


def test_remesh_reaches_the_budget_watertight():
    mesh = extract_surface(_ball_field([((0, 0, 0), 0.7)], n=96))
    assert len(mesh.faces) > 20_000
    out = remesh(mesh, 5_000)
    assert len(out.faces) <= 5_000 and out.is_watertight and out.is_winding_consistent
    assert out.volume == pytest.approx(4 / 3 * np.pi * 0.7**3, rel=0.03)


def test_remesh_falls_back_to_pymeshlab_when_the_fast_decimation_breaks_the_surface(monkeypatch):
    mesh = extract_surface(_ball_field([((0, 0, 0), 0.7)], n=96))
    calls = []

    def broken(vertices, faces, target_reduction):
        calls.append(target_reduction)
        keep = faces[: int(len(faces) * (1 - target_reduction))]  # an open patch, not a closed surface
        return vertices, keep

    monkeypatch.setattr(surface.fast_simplification, "simplify", broken)
    out = remesh(mesh, 5_000)
    assert calls  # the fast path was tried first
    assert len(out.faces) <= 5_000 and out.is_watertight and out.is_winding_consistent
    assert out.volume == pytest.approx(4 / 3 * np.pi * 0.7**3, rel=0.03)
