"""Turntable renders from our own rasteriser: the right silhouette, the right colour on the right side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from printing.meshkit.render import Rasteriser, render_turntable, view_azimuths

from .shapes import GREY, RED, with_colors

BACKGROUND = np.array([255, 255, 255])


def _mask(image: np.ndarray) -> np.ndarray:
    return np.abs(image.astype(int) - BACKGROUND).sum(axis=2) > 30


def test_front_silhouette_of_a_block_is_its_front_rectangle():
    block = trimesh.creation.box(extents=(20.0, 10.0, 40.0))
    rasteriser = Rasteriser(block, device="cpu")
    image = rasteriser.render(-90.0, 0.0, size=200, half_extent=25.0)
    mask = _mask(image)
    rows, cols = np.nonzero(mask)
    # 40 mm tall and 20 mm wide in a 50 mm frame of 200 px: 160 x 80 px, centred
    assert rows.max() - rows.min() + 1 == pytest.approx(160, abs=2)
    assert cols.max() - cols.min() + 1 == pytest.approx(80, abs=2)
    assert mask.sum() == pytest.approx(160 * 80, rel=0.03)
    assert (rows.min() + rows.max()) / 2 == pytest.approx(99.5, abs=1.5)


def test_silhouette_of_a_sphere_is_a_disc():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=10.0)
    image = Rasteriser(sphere, device="cpu").render(0.0, 30.0, size=160, half_extent=20.0)
    assert _mask(image).sum() == pytest.approx(np.pi * 40**2, rel=0.03)


def _red_right_side_block() -> trimesh.Trimesh:
    block = trimesh.creation.box(extents=(20.0, 20.0, 30.0)).subdivide().subdivide()
    block.merge_vertices()
    colours = np.where((block.vertices[:, 0] > 9.99)[:, None], RED, GREY)
    return with_colors(block, colours.astype(np.uint8))


def test_red_side_shows_red_from_its_own_view_only(tmp_path):
    paths = render_turntable(_red_right_side_block(), tmp_path, views=8, size=96, elevation_deg=0.0)
    assert [p.name for p in paths] == [f"turntable_{i:02d}.png" for i in range(8)]
    assert view_azimuths(8)[2] == 0.0  # view 2 looks from +X
    images = [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in paths]
    centre = [img[40:56, 40:56].reshape(-1, 3).mean(axis=0) for img in images]
    red_view = centre[2]
    assert red_view[0] > 120 and red_view[1] < 60 and red_view[2] < 60
    for other in (0, 4, 6):  # front, back and the opposite side are grey
        r, g, b = centre[other]
        assert abs(r - g) < 12 and abs(g - b) < 12 and r > 60


def test_turntable_pngs_have_the_size_and_a_clean_background(tmp_path):
    figure = trimesh.creation.capsule(height=30.0, radius=6.0)
    paths = render_turntable(figure, tmp_path / "renders", views=4, size=64, device="cpu")
    assert len(paths) == 4
    for path in paths:
        image = np.asarray(Image.open(path))
        assert image.shape == (64, 64, 3)
        assert (image[0, 0] == BACKGROUND).all() and (image[-1, -1] == BACKGROUND).all()
        assert 0.05 < _mask(image).mean() < 0.9


def test_open_mesh_with_mixed_winding_renders_without_holes():
    block = trimesh.creation.box(extents=(20.0, 20.0, 20.0))
    faces = block.faces.copy()
    faces[::2] = faces[::2, ::-1]  # half the triangles wound the wrong way
    broken = trimesh.Trimesh(block.vertices, faces, process=False)
    image = Rasteriser(broken, device="cpu").render(-90.0, 0.0, size=100, half_extent=15.0)
    assert _mask(image)[20:80, 20:80].all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_render_matches_cpu():
    block = _red_right_side_block()
    cpu = Rasteriser(block, device="cpu").render(0.0, 10.0, size=96, half_extent=25.0)
    gpu = Rasteriser(block, device="cuda").render(0.0, 10.0, size=96, half_extent=25.0)
    assert np.abs(cpu.astype(int) - gpu.astype(int)).mean() < 1.0
