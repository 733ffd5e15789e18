"""Turntable renders from our own rasteriser: the right silhouette, the right colour on the right side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from kits.mesh.render import Rasteriser, render_turntable, view_azimuths
from tests.kits.shapes import GREY, RED, with_colors

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


def _painted_sphere() -> trimesh.Trimesh:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=10.0)
    colours = np.where((sphere.vertices[:, 2] > 3.0)[:, None], RED, GREY)
    return with_colors(sphere, colours.astype(np.uint8))


def test_views_rendered_together_match_views_rendered_alone():
    rasteriser = Rasteriser(_red_right_side_block(), device="cpu")
    angles = [(azimuth, 20.0) for azimuth in view_azimuths(5)]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # two worker threads share the views
        together = rasteriser.render_views(angles, size=80, half_extent=25.0)
    finally:
        torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads  # the caller's setting is restored
    for (azimuth, elevation), image in zip(angles, together, strict=True):
        alone = rasteriser.render(azimuth, elevation, size=80, half_extent=25.0)
        assert np.array_equal(alone, image)


@pytest.mark.parametrize("inward", [False, True])
def test_back_face_culling_keeps_the_same_picture(inward):
    sphere = _painted_sphere()
    if inward:  # wound inside out: the faces turned to the camera are the other half
        sphere = with_colors(
            trimesh.Trimesh(sphere.vertices, sphere.faces[:, ::-1], process=False),
            sphere.visual.vertex_colors,
        )
    culled = Rasteriser(sphere, device="cpu")
    assert culled.cull_sign == (-1 if inward else 1)
    unculled = Rasteriser(sphere, device="cpu")
    unculled.cull_sign = 0  # every face rasterised, the z-buffer alone decides
    for azimuth, elevation in [(-90.0, 15.0), (30.0, 60.0)]:
        a = culled.render(azimuth, elevation, size=96, half_extent=12.0).astype(int)
        b = unculled.render(azimuth, elevation, size=96, half_extent=12.0).astype(int)
        assert np.abs(a - b).mean() < 0.5
        assert _mask(a).sum() == pytest.approx(np.pi * 40**2, rel=0.04)


def test_a_mesh_past_the_frame_edges_is_cut_there_and_does_not_wrap():
    # a small block high up past the left edge of the frame, a wide one lower down past the right edge
    left = trimesh.creation.box(extents=(4.0, 4.0, 4.0))
    left.apply_translation((-8.0, 0.0, 12.0))
    right = trimesh.creation.box(extents=(24.0, 4.0, 10.0))
    right.apply_translation((18.0, 0.0, 0.0))
    pair = trimesh.util.concatenate([left, right])  # x from -10 to 30 (centre 10), z from -5 to 14
    image = Rasteriser(pair, device="cpu").render(-90.0, 0.0, size=90, half_extent=18.0)
    mask = _mask(image)

    def pixel(mm: float) -> int:  # frame from -18 to 18 mm around the centre, 90 px
        return int((mm + 18.0) / 36.0 * 90)

    # centred: the left block spans x -20..-16, z 5..9 (rows 22..32); the right one x -4..20, z -9.5..0.5
    right_rows, left_rows = slice(pixel(-0.5) + 1, pixel(9.5) - 1), slice(pixel(-9) + 1, pixel(-5) - 1)
    assert mask[left_rows, : pixel(-16.5)].all()
    assert mask[right_rows, pixel(-3.5) :].all()
    assert not mask[:, pixel(-15.0) : pixel(-5.0)].any()
    # nothing of the right block spills over the right edge into the next rows' left end
    assert not mask[pixel(-1.0) : pixel(11.0), : pixel(-5.0)].any()
