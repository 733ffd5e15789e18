"""Web preview GLB: at most the triangle cap, colours kept, an honest Hausdorff distance."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from kits.mesh import load_mesh
from kits.mesh.compare import SurfaceIndex
from kits.mesh.preview import make_web_glb
from tests.kits.shapes import RED, coloured_sphere


def test_decimates_under_the_cap_keeping_colours(tmp_path):
    sphere = coloured_sphere(subdivisions=5)  # 20480 triangles
    out = tmp_path / "web.glb"
    report = make_web_glb(sphere, out, max_triangles=3000)
    loaded = load_mesh(out).mesh  # the studio's loader: glTF metres, Y up, linear COLOR_0 -> mm, Z up, sRGB
    assert report["decimated"] and len(loaded.faces) == report["triangles"] <= 3000
    assert report["triangles"] > 2000
    assert report["bytes"] == out.stat().st_size and report["colors"]
    colours = loaded.visual.vertex_colors
    red_cap = loaded.vertices[:, 0] > 15
    assert (colours[red_cap][:, :3] == RED[:3]).all()
    assert not (colours[loaded.vertices[:, 0] < 0][:, :3] == RED[:3]).all(axis=1).any()


def test_hausdorff_is_measured_in_mm_and_agrees_with_trimesh(tmp_path):
    sphere = coloured_sphere(subdivisions=5, radius=30.0)
    report = make_web_glb(sphere, tmp_path / "web.glb", max_triangles=1500, hausdorff_samples=20000)
    preview = load_mesh(tmp_path / "web.glb").mesh
    # independent check: the preview's vertices' distances to the original, through trimesh's proximity
    reference = np.abs(trimesh.proximity.signed_distance(sphere, preview.vertices[:300]))
    assert reference.max() <= report["hausdorff_mm"] + 1e-5  # float32 metres: ~1e-6 mm
    # a sphere of 30 mm decimated to 1500 triangles deviates by a fraction of a millimetre
    assert 0.01 < report["hausdorff_mm"] < 1.0
    assert report["median_deviation_mm"] < report["hausdorff_mm"] and report["hausdorff_exact"]
    # at twice the height, twice the distance
    doubled = make_web_glb(
        sphere, tmp_path / "web2.glb", max_triangles=1500, height_mm=120.0, hausdorff_samples=20000
    )
    assert doubled["hausdorff_mm"] == pytest.approx(2 * report["hausdorff_mm"], rel=0.05)


def test_small_mesh_is_written_as_is(tmp_path):
    sphere = coloured_sphere(subdivisions=2)
    report = make_web_glb(sphere, tmp_path / "web.glb")
    assert not report["decimated"] and report["triangles"] == len(sphere.faces)
    assert report["hausdorff_mm"] == 0.0


def test_surface_index_matches_exact_distances():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=10.0)
    rng = np.random.default_rng(3)
    points = rng.normal(size=(500, 3))
    points = points / np.linalg.norm(points, axis=1)[:, None] * rng.uniform(9.0, 11.0, (500, 1))
    measured = SurfaceIndex(sphere.vertices, sphere.faces).distance(points)
    exact = np.abs(trimesh.proximity.signed_distance(sphere, points))
    np.testing.assert_allclose(measured, exact, atol=1e-9)


def test_hausdorff_can_be_skipped(tmp_path):
    report = make_web_glb(
        coloured_sphere(subdivisions=4), tmp_path / "web.glb", max_triangles=1000, hausdorff_samples=0
    )
    assert report["decimated"] and report["hausdorff_mm"] is None and report["hausdorff_exact"] is False
