"""Comparing two revisions: the change is found, measured and placed where it was made."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from kits.mesh import load_mesh
from kits.mesh.compare import UNCHANGED_GREY, compare_meshes


def _sphere() -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=4, radius=20.0)


def _bumped(mesh: trimesh.Trimesh, amount: float = 1.5) -> trimesh.Trimesh:
    """A copy with the +X cap (x > 16 mm) pushed outward by ``amount`` mm."""
    copy = mesh.copy()
    vertices = copy.vertices.copy()
    cap = vertices[:, 0] > 16.0
    vertices[cap] += amount * vertices[cap] / np.linalg.norm(vertices[cap], axis=1)[:, None]
    copy.vertices = vertices
    return copy


def test_identical_meshes_show_no_change():
    sphere = _sphere()
    report = compare_meshes(sphere, sphere.copy())
    assert report["max_mm"] == pytest.approx(0.0, abs=1e-9)
    assert report["area_changed_mm2"] == 0.0 and report["changed_bbox_mm"] is None


def test_local_bump_is_found_measured_and_placed(tmp_path):
    previous = _sphere()
    current = _bumped(previous, 1.5)
    heatmap = tmp_path / "heat.glb"
    report = compare_meshes(previous, current, threshold_mm=0.1, heatmap_path=heatmap)
    assert report["max_mm"] == pytest.approx(1.5, abs=0.05)
    assert report["p95_mm"] <= report["max_mm"] and report["mean_mm"] < 0.5
    # the cap x > 16 of a 20 mm sphere is about 10 % of its area
    assert 0.05 < report["area_changed_fraction"] < 0.2
    assert report["changed_bbox_mm"]["min"][0] > 14.0
    assert report["changed_bbox_mm"]["max"][0] == pytest.approx(21.5, abs=0.05)
    loaded = load_mesh(heatmap).mesh  # the studio's loader: back to mm, Z up, sRGB
    colours = loaded.visual.vertex_colors
    moved = loaded.vertices[:, 0] > 17.0
    still = loaded.vertices[:, 0] < 0.0
    assert (colours[still] == UNCHANGED_GREY).all()
    assert not (colours[moved] == UNCHANGED_GREY).all(axis=1).any()
    assert (colours[moved][:, 0] > 200).all()  # the largest change is red


def test_print_height_scales_the_distances():
    previous = _sphere()  # 40 mm tall
    current = _bumped(previous, 1.0)
    report = compare_meshes(previous, current, height_mm=80.0)
    assert report["scale"] == pytest.approx(2.0)
    assert report["max_mm"] == pytest.approx(2.0, abs=0.08)


def test_threshold_hides_small_changes():
    previous = _sphere()
    current = _bumped(previous, 0.05)
    report = compare_meshes(previous, current, threshold_mm=0.1)
    assert report["area_changed_mm2"] == 0.0 and report["max_mm"] == pytest.approx(0.05, abs=0.005)
