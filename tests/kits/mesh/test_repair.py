"""Repair: each step fixes its defect, reports it, and never moves the surface beyond the tolerance."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from kits.mesh.checks import check_mesh
from kits.mesh.repair import repair_mesh
from tests.kits.mesh.meshes import concatenate, figurine, to_trimesh, with_sliver


def step(result, name: str) -> dict:
    return next(s for s in result.steps if s["step"] == name)


def test_clean_mesh_is_left_alone() -> None:
    mesh = figurine()
    result = repair_mesh(mesh)
    assert not result.changed
    assert result.max_displacement_mm == 0
    np.testing.assert_array_equal(result.mesh.faces, mesh.faces)


def test_triangle_soup_is_welded_and_watertight() -> None:
    mesh = trimesh.creation.icosphere(3, radius=10.0)
    soup = trimesh.Trimesh(
        mesh.vertices[mesh.faces].reshape(-1, 3), np.arange(len(mesh.faces) * 3).reshape(-1, 3), process=False
    )
    seen_by_check = check_mesh(soup)  # the check welds identical positions (texture seams, soups)
    assert seen_by_check["watertight"] and seen_by_check["welded_vertices"] > 0
    result = repair_mesh(soup)
    assert step(result, "merge_vertices")["merged"] == len(soup.vertices) - len(mesh.vertices)
    report = check_mesh(result.mesh)
    assert report["watertight"] and report["printable"]


def test_winding_made_consistent_and_outward() -> None:
    mesh = figurine()
    faces = mesh.faces.copy()
    faces[::3] = faces[::3, ::-1]
    result = repair_mesh(trimesh.Trimesh(mesh.vertices, faces, process=False))
    assert step(result, "orient_faces")["flipped"] > 0
    report = check_mesh(result.mesh)
    assert report["winding_consistent"] and report["printable"]
    assert report["volume_mm3"] == pytest.approx(mesh.volume, abs=1e-3)
    inside_out = trimesh.Trimesh(mesh.vertices, mesh.faces[:, ::-1], process=False)
    assert repair_mesh(inside_out).mesh.volume > 0


def test_small_hole_filled_within_tolerance() -> None:
    mesh = trimesh.creation.icosphere(4, radius=10.0)
    holed = trimesh.Trimesh(mesh.vertices, np.delete(mesh.faces, [10, 11, 12, 700], axis=0), process=False)
    result = repair_mesh(holed, tolerance_mm=0.5)
    filled = step(result, "fill_holes")
    assert filled["holes_filled"] == filled["holes_found"] >= 2
    assert result.max_displacement_mm <= 0.5
    assert check_mesh(result.mesh)["watertight"]
    assert result.mesh.volume == pytest.approx(mesh.volume, rel=1e-3)


def test_hole_beyond_tolerance_is_refused() -> None:
    mesh = trimesh.creation.icosphere(4, radius=10.0)
    holed = trimesh.Trimesh(mesh.vertices, np.delete(mesh.faces, [10, 11, 12], axis=0), process=False)
    result = repair_mesh(holed, tolerance_mm=0.01)
    filled = step(result, "fill_holes")
    assert filled["holes_refused"] and filled["holes_filled"] < filled["holes_found"]
    assert result.max_displacement_mm <= 0.01


def test_degenerate_and_duplicate_faces_dropped() -> None:
    mesh = with_sliver(trimesh.creation.icosphere(2, radius=10.0))
    doubled = trimesh.Trimesh(mesh.vertices, np.vstack([mesh.faces, mesh.faces[:5]]), process=False)
    result = repair_mesh(doubled)
    assert step(result, "drop_degenerate_faces")["removed"] == 1
    assert step(result, "drop_duplicate_faces")["removed"] == 5
    assert result.max_displacement_mm == 0


def test_tiny_floating_shell_dropped_but_attached_detail_kept() -> None:
    import manifold3d as m3

    speck = to_trimesh(m3.Manifold.sphere(0.4, 12).translate((40, 0, 60)))
    earring = to_trimesh(m3.Manifold.sphere(0.8, 12).translate((9.2, 0, 88)))  # cuts into the head
    result = repair_mesh(concatenate(figurine(), speck, earring))
    dropped = step(result, "drop_tiny_shells")
    assert dropped["removed_shells"] == 1 and dropped["removed_faces"] == len(speck.faces)
    assert result.mesh.bounds[1][0] < 30


def test_vertex_colours_follow_the_repair() -> None:
    mesh = trimesh.creation.icosphere(2, radius=10.0)
    soup = trimesh.Trimesh(
        mesh.vertices[mesh.faces].reshape(-1, 3), np.arange(len(mesh.faces) * 3).reshape(-1, 3), process=False
    )
    colors = np.tile([10, 20, 250, 255], (len(soup.vertices), 1)).astype(np.uint8)
    soup.visual = trimesh.visual.ColorVisuals(soup, vertex_colors=colors)
    result = repair_mesh(soup)
    assert result.mesh.visual.kind == "vertex"
    assert (np.asarray(result.mesh.visual.vertex_colors)[:, 2] == 250).all()


def test_report_is_json_ready() -> None:
    import json

    report = repair_mesh(figurine()).report()
    assert json.loads(json.dumps(report))["tolerance_mm"] == 0.1


def test_merge_beyond_tolerance_is_refused() -> None:
    mesh = trimesh.creation.icosphere(2, radius=10.0)
    soup = trimesh.Trimesh(
        mesh.vertices[mesh.faces].reshape(-1, 3), np.arange(len(mesh.faces) * 3).reshape(-1, 3), process=False
    )
    soup.vertices += np.random.default_rng(0).normal(scale=0.02, size=soup.vertices.shape)
    result = repair_mesh(soup, merge_mm=0.2, tolerance_mm=0.1)
    merge = step(result, "merge_vertices")
    assert merge["changed"] is False and "refused" in merge
    assert len(result.mesh.vertices) == len(soup.vertices)
    accepted = repair_mesh(soup, merge_mm=0.2, tolerance_mm=0.5)
    assert step(accepted, "merge_vertices")["merged"] > 0
    assert accepted.max_displacement_mm <= 0.5


def test_repair_of_nothing_but_collapsed_faces_does_not_crash() -> None:
    mesh = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 1, 2], [0, 0, 1]], process=False)
    result = repair_mesh(mesh)
    assert len(result.mesh.faces) == 0 and step(result, "drop_degenerate_faces")["removed"] == 2


def test_repair_keeps_tiny_units() -> None:
    mesh = trimesh.creation.box()
    tiny = trimesh.Trimesh(mesh.vertices * 1e-9, mesh.faces, process=False)
    assert len(repair_mesh(tiny).mesh.faces) == 12
