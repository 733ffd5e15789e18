"""check_mesh: each issue code on a mesh with that defect, and no false alarm on a clean figurine."""

from __future__ import annotations

from pathlib import Path

import manifold3d as m3
import numpy as np
import pytest
import trimesh

from kits.mesh import load_mesh
from kits.mesh.checks import ALL_CODES, ERROR_CODES, check_mesh
from tests.kits.mesh.meshes import (
    box,
    capsule,
    concatenate,
    figurine,
    figurine_solid,
    to_trimesh,
    with_sliver,
)

CONTRACT_KEYS = {
    "triangles",
    "vertices",
    "watertight",
    "winding_consistent",
    "boundary_edges",
    "non_manifold_edges",
    "shells",
    "self_intersecting_faces",
    "degenerate_faces",
    "volume_mm3",
    "area_mm2",
    "bbox_mm",
    "min_wall_mm",
    "thin_area_mm2",
    "overhang_area_mm2",
    "stable",
    "printable",
    "issues",
}


def codes(report: dict) -> set[str]:
    return {issue["code"] for issue in report["issues"]}


def issue(report: dict, code: str) -> dict:
    return next(i for i in report["issues"] if i["code"] == code)


@pytest.fixture(scope="module")
def clean_report() -> dict:
    return check_mesh(figurine(), height_mm=150)


def test_clean_figurine_has_no_issue(clean_report: dict) -> None:
    assert CONTRACT_KEYS <= clean_report.keys()
    assert clean_report["issues"] == []
    assert clean_report["printable"] is True
    assert clean_report["watertight"] and clean_report["winding_consistent"]
    assert clean_report["shells"] == 1
    assert clean_report["self_intersecting_faces"] == 0
    assert clean_report["stable"] is True
    assert clean_report["min_wall_mm"] > 5


def test_measured_at_the_ordered_height(clean_report: dict) -> None:
    lo, hi = clean_report["bbox_mm"]
    assert hi[2] - lo[2] == pytest.approx(150, abs=1e-6)
    raw = check_mesh(figurine())
    scale = clean_report["scale"]
    assert clean_report["volume_mm3"] == pytest.approx(raw["volume_mm3"] * scale**3, rel=1e-6)
    assert clean_report["area_mm2"] == pytest.approx(raw["area_mm2"] * scale**2, rel=1e-6)


def test_volume_and_area_of_a_box() -> None:
    report = check_mesh(box((10, 20, 30), (0, 0, 15)))
    assert report["volume_mm3"] == pytest.approx(6000)
    assert report["area_mm2"] == pytest.approx(2 * (200 + 300 + 600))
    assert report["min_wall_mm"] == pytest.approx(10, abs=1e-3)
    assert report["overhang_area_mm2"] == 0  # its bottom rests on the plate


def test_every_issue_says_where() -> None:
    mesh = box()
    broken = trimesh.Trimesh(mesh.vertices, mesh.faces[1:], process=False)
    report = check_mesh(broken)
    found = issue(report, "not_watertight")
    assert found["severity"] == "error" and found["boundary_edges"] == 3 and found["holes"] == 1
    assert len(found["bbox_mm"]) == 2 and 1 <= len(found["sample_points_mm"]) <= 5


def test_not_watertight() -> None:
    mesh = figurine()
    report = check_mesh(trimesh.Trimesh(mesh.vertices, mesh.faces[5:], process=False))
    assert "not_watertight" in codes(report) and not report["printable"] and not report["watertight"]


def test_inconsistent_winding() -> None:
    mesh = figurine()
    faces = mesh.faces.copy()
    faces[:40] = faces[:40, ::-1]
    report = check_mesh(trimesh.Trimesh(mesh.vertices, faces, process=False))
    assert "inconsistent_winding" in codes(report)
    assert report["winding_consistent"] is False


def test_inside_out_counts_as_winding_error() -> None:
    mesh = box()
    report = check_mesh(trimesh.Trimesh(mesh.vertices, mesh.faces[:, ::-1], process=False))
    assert issue(report, "inconsistent_winding")["inside_out"] is True


def test_non_manifold() -> None:
    mesh = box()
    fin = np.array([[0.0, 0.0, 25.0]])
    a, b = mesh.faces[0][:2]
    vertices = np.vstack([mesh.vertices, fin])
    faces = np.vstack([mesh.faces, [[a, b, len(mesh.vertices)]]])
    report = check_mesh(trimesh.Trimesh(vertices, faces, process=False))
    assert "non_manifold" in codes(report) and report["non_manifold_edges"] >= 1


def test_self_intersections() -> None:
    report = check_mesh(concatenate(box(center=(0, 0, 5)), box(center=(4, 3, 7))))
    assert "self_intersections" in codes(report)
    assert report["self_intersecting_faces"] > 0
    assert "floating_parts" not in codes(report)
    assert "multiple_shells" in codes(report)


def test_degenerate_faces_warn_only() -> None:
    report = check_mesh(with_sliver(trimesh.creation.icosphere(2, radius=10.0)))
    assert report["watertight"]
    assert report["degenerate_faces"] == 1
    assert issue(report, "degenerate_faces")["severity"] == "warning"


def test_enclosed_shell_is_multiple_shells_not_floating() -> None:
    outer = to_trimesh(
        m3.Manifold.sphere(20, 48).translate((0, 0, 30)) + m3.Manifold.cylinder(12, 15, 15, 48)
    )
    inner = to_trimesh(m3.Manifold.sphere(4, 24).translate((0, 0, 30)))
    report = check_mesh(concatenate(outer, inner))
    assert report["shells"] == 2
    assert "multiple_shells" in codes(report) and "floating_parts" not in codes(report)
    assert issue(report, "multiple_shells")["enclosed"] == 1
    assert report["printable"]


def test_floating_part() -> None:
    speck = to_trimesh(m3.Manifold.sphere(2.0, 24).translate((40, 0, 60)))
    report = check_mesh(concatenate(figurine(), speck))
    found = issue(report, "floating_parts")
    assert found["severity"] == "error" and found["parts"] == 1
    lo, hi = found["bbox_mm"]
    assert lo[0] > 37 and hi[2] < 63


def test_separate_piece_on_the_plate_warns() -> None:
    report = check_mesh(concatenate(figurine(), box(center=(40, 0, 5))))
    assert "floating_parts" not in codes(report)
    assert issue(report, "multiple_shells")["separate"] == 1


def test_fragile_wire_is_found() -> None:
    wire = capsule((0, -9, 88), (22, -20, 88), 0.25)  # a 0.5 mm glasses arm out of the head
    report = check_mesh(to_trimesh(figurine_solid() + wire))
    found = issue(report, "fragile_parts")
    assert found["severity"] == "error"
    assert report["min_wall_mm"] < 0.6
    lo, hi = found["bbox_mm"]
    assert lo[0] > -1 and hi[0] > 15 and lo[2] > 86 and hi[2] < 90


def test_thin_wall_warns() -> None:
    sheet = m3.Manifold.cube((22, 0.8, 15)).translate((6, -9.0, 50))
    report = check_mesh(to_trimesh(figurine_solid() + sheet))
    assert "thin_walls" in codes(report) and "fragile_parts" not in codes(report)
    assert 0.7 < report["min_wall_mm"] < 0.9
    assert report["thin_area_mm2"] > 400
    assert report["printable"]


def test_thresholds_are_parameters() -> None:
    sheet = m3.Manifold.cube((22, 0.8, 15)).translate((6, -9.0, 50))
    report = check_mesh(to_trimesh(figurine_solid() + sheet), fragile_wall_mm=0.9, thin_wall_mm=1.2)
    assert "fragile_parts" in codes(report)


def test_tips_over_without_base() -> None:
    foot = m3.Manifold.cube((6, 6, 6)).translate((-3, -3, 0))
    arm = m3.Manifold.cube((60, 10, 10)).translate((-3, -5, 6))
    report = check_mesh(to_trimesh(foot + arm))
    found = issue(report, "tips_over")
    assert found["severity"] == "warning" and found["needs_base"] is True
    assert report["stable"] is False and report["needs_base"] is True
    assert report["printable"]


def test_exceeds_build_volume() -> None:
    report = check_mesh(figurine(), height_mm=150, build_volumes_mm=[(100, 100, 120)])
    assert "exceeds_build_volume" in codes(report)
    fits = check_mesh(figurine(), height_mm=150, build_volumes_mm=[(100, 100, 120), (200, 200, 200)])
    assert "exceeds_build_volume" not in codes(fits)


def test_too_many_triangles() -> None:
    report = check_mesh(figurine(), max_triangles=1000)
    assert issue(report, "too_many_triangles")["severity"] == "warning"


def test_invalid_coordinates_flow_into_the_report(tmp_path: Path) -> None:
    path = tmp_path / "nan.obj"
    mesh = box()
    lines = [f"v {x} {y} {z}" for x, y, z in mesh.vertices] + ["v nan 0 0"]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces] + ["f 1 2 9"]
    path.write_text("\n".join(lines) + "\n")
    report = check_mesh(load_mesh(path))
    assert "invalid_coordinates" in codes(report) and not report["printable"]


def test_raw_trimesh_with_nan_is_handled() -> None:
    mesh = box()
    vertices = mesh.vertices.copy()
    vertices[0] = np.nan
    report = check_mesh(trimesh.Trimesh(vertices, mesh.faces, process=False))
    assert "invalid_coordinates" in codes(report)


def test_severities_match_the_contract() -> None:
    assert ERROR_CODES == {
        "unreadable",
        "empty",
        "invalid_coordinates",
        "not_watertight",
        "inconsistent_winding",
        "non_manifold",
        "self_intersections",
        "floating_parts",
        "fragile_parts",
        "exceeds_build_volume",
    }
    assert len(ALL_CODES) == 15


def test_same_report_from_file_and_mesh(tmp_path: Path) -> None:
    path = tmp_path / "fig.ply"
    figurine().export(path)
    from_file = check_mesh(path, height_mm=120)
    from_mesh = check_mesh(figurine(), height_mm=120)
    for key in ("triangles", "volume_mm3", "area_mm2", "shells", "printable"):
        assert from_file[key] == from_mesh[key]


def test_vertices_split_at_texture_seams_are_not_holes() -> None:
    mesh = figurine()
    faces = mesh.faces.copy()
    vertices = np.vstack([mesh.vertices, mesh.vertices])  # second copy used by half the faces
    faces[::2] += len(mesh.vertices)
    report = check_mesh(trimesh.Trimesh(vertices, faces, process=False))
    assert report["watertight"] and report["issues"] == []
    assert report["welded_vertices"] == len(mesh.vertices)


@pytest.mark.parametrize(
    "vertices,faces",
    [
        ([[0, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 1, 2], [0, 1, 2]]),
        ([[0, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 0, 1], [1, 1, 1]]),
    ],
)
def test_only_collapsed_triangles_is_empty(vertices: list, faces: list) -> None:
    report = check_mesh(trimesh.Trimesh(vertices, faces, process=False), height_mm=100)
    assert "empty" in codes(report) and not report["printable"]


@pytest.mark.parametrize("factor", [1e-9, 1e9])
def test_extreme_units_are_measured_after_scaling(factor: float) -> None:
    mesh = box()
    scaled = trimesh.Trimesh(mesh.vertices * factor, mesh.faces, process=False)
    report = check_mesh(scaled, height_mm=100)
    assert report["printable"] and report["volume_mm3"] == pytest.approx(100**3, rel=1e-6)
