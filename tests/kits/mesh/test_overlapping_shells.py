"""Shells that pass through each other are self-intersections (an error, DESIGN section 5); shells apart
or nested without touching are not.

Decision: the check reports interpenetrating shells (``self_intersections``, naming the shells) rather
than unioning them itself; the print export unions only the base it adds. A shell wholly inside another
without touching it prints fused into the body: ``multiple_shells`` (warning, enclosed), printable.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from kits.mesh.checks import check_mesh


def _stl(tmp_path, *meshes):
    path = tmp_path / "shells.stl"
    trimesh.util.concatenate(list(meshes)).export(path)
    return path


def _sphere(radius, centre, subdivisions=3):
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    sphere.apply_translation(centre)
    return sphere


def _codes(report):
    return {i["code"] for i in report["issues"]}


@pytest.mark.parametrize(
    "offset",
    [(12.0, 0.0, 0.0), (11.3, 0.7, 0.4)],  # mirror-symmetric tessellations cross edge on edge; a general case
)
def test_two_interpenetrating_spheres_are_self_intersecting_and_not_printable(tmp_path, offset):
    report = check_mesh(_stl(tmp_path, _sphere(10, (0, 0, 10)), _sphere(10, np.add((0, 0, 10), offset))))
    assert report["shells"] == 2 and report["watertight"]
    assert report["self_intersecting_faces"] > 0 and report["printable"] is False
    issue = next(i for i in report["issues"] if i["code"] == "self_intersections")
    assert issue["severity"] == "error" and issue["intersecting_shell_pairs"] == 1
    assert "pass through each other" in issue["message"] and "union" in issue["message"]


def test_two_separate_spheres_are_two_shells_and_printable(tmp_path):
    report = check_mesh(_stl(tmp_path, _sphere(10, (0, 0, 10)), _sphere(10, (25, 0, 10))))
    assert report["shells"] == 2 and report["self_intersecting_faces"] == 0
    assert "self_intersections" not in _codes(report) and "floating_parts" not in _codes(report)
    assert report["printable"] is True and "multiple_shells" in _codes(report)


def test_a_sphere_nested_inside_another_without_touching_warns_and_stays_printable(tmp_path):
    report = check_mesh(_stl(tmp_path, _sphere(10, (0, 0, 10)), _sphere(4, (0, 0, 10))))
    assert report["shells"] == 2 and report["self_intersecting_faces"] == 0
    assert report["printable"] is True
    (issue,) = [i for i in report["issues"] if i["code"] == "multiple_shells"]
    assert issue["severity"] == "warning" and issue["enclosed"] == 1 and "inside the body" in issue["message"]


def test_one_clean_sphere_has_no_self_intersection(tmp_path):
    report = check_mesh(_stl(tmp_path, _sphere(10, (0, 0, 10), subdivisions=5)))
    assert report["shells"] == 1 and report["self_intersecting_faces"] == 0 and report["printable"] is True
