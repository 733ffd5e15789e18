"""Tray files (pure): every part's print file placed where the layout says, in 3MF objects, VRML or one mesh."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest
import trimesh
from lxml import etree

from kits.printfiles import export_print, read_wrl
from kits.printfiles.threemf import CORE_NS, MATERIAL_NS, MODEL_PATH
from kits.printfiles.tray_render import (
    TraySource,
    build_tray_file,
    part_transform,
    place_part,
    read_print_file,
)

BOXES = [((20.0, 10.0, 30.0), False, (10.0, 20.0)), ((30.0, 12.0, 40.0), True, (70.0, 20.0))]


def sources(folder, fmt):
    out = []
    for i, (extents, rotated, (x, y)) in enumerate(BOXES):
        box = trimesh.creation.box(extents=extents)
        box.apply_translation([3.0, -2.0, extents[2] / 2])  # the exporter re-centres it anyway
        box.visual.vertex_colors = np.tile([200, 60 + 100 * i, 50, 255], (len(box.vertices), 1))
        report = export_print(
            box, height_mm=extents[2], fmt=fmt, base="never", out_path=folder / f"p{i}.{fmt}"
        )
        w, d = report["bbox_mm"][:2]
        part = {
            "key": str(i),
            "x": x,
            "y": y,
            "width": d if rotated else w,
            "depth": w if rotated else d,
            "rotated": rotated,
        }
        out.append(
            TraySource(folder / f"p{i}.{fmt}", fmt, part, report["bbox_min_mm"], report["bbox_max_mm"])
        )
    return out


def expected_bounds(source):
    part, height = source.part, source.bbox_max[2] - source.bbox_min[2]
    return [[part["x"], part["y"], 0.0], [part["x"] + part["width"], part["y"] + part["depth"], height]]


def test_3mf_tray_holds_each_part_as_its_own_object_in_place(tmp_path):
    parts = sources(tmp_path, "3mf")
    report = build_tray_file(parts, tmp_path / "tray.3mf", fmt="3mf")
    assert report["method"] == "objects" and report["triangles"] == 24 and report["parts"] == ["0", "1"]
    scene = trimesh.load(tmp_path / "tray.3mf", force="scene")
    bounds = sorted(
        scene.geometry[geometry].copy().apply_transform(transform).bounds.tolist()
        for transform, geometry in (scene.graph[node] for node in scene.graph.nodes_geometry)
    )
    np.testing.assert_allclose(bounds, sorted(expected_bounds(s) for s in parts), atol=1e-3)
    # colours survive: each object points at its own colour group, ids are unique
    with zipfile.ZipFile(tmp_path / "tray.3mf") as archive:
        root = etree.fromstring(archive.read(MODEL_PATH))
    ns = {"c": CORE_NS, "m": MATERIAL_NS}
    groups = [g.get("id") for g in root.iterfind(".//m:colorgroup", ns)]
    objects = list(root.iterfind(".//c:object", ns))
    assert len(groups) == 2 and len(objects) == 2
    ids = groups + [o.get("id") for o in objects]
    assert len(set(ids)) == len(ids)
    for obj in objects:
        assert obj.get("pid") in groups
        assert {t.get("pid") for t in obj.iterfind(".//c:triangle", ns)} == {obj.get("pid")}
    items = list(root.iterfind(".//c:build/c:item", ns))
    assert sorted(i.get("partnumber") for i in items) == ["0", "1"]


def test_vrml_tray_wraps_each_part_in_a_transform(tmp_path):
    parts = sources(tmp_path, "wrl")
    report = build_tray_file(parts, tmp_path / "tray.wrl", fmt="wrl")
    assert report["method"] == "transforms"
    text = (tmp_path / "tray.wrl").read_text()
    assert (
        text.startswith("#VRML V2.0 utf8") and text.count("Transform {") == 2 and text.count("Shape {") == 2
    )
    for source, match in zip(
        parts,
        re.finditer(r"translation ([-\d.]+) ([-\d.]+) ([-\d.]+)\s+rotation 0 0 1 ([\d.]+)", text),
        strict=True,
    ):
        vertices, _, _ = read_wrl(source.path)
        angle = float(match.group(4))
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        moved = vertices.copy()
        moved[:, :2] = vertices[:, :2] @ rotation.T
        moved += [float(match.group(i)) for i in (1, 2, 3)]
        np.testing.assert_allclose([moved.min(axis=0), moved.max(axis=0)], expected_bounds(source), atol=1e-3)


def test_mixed_formats_become_one_coloured_mesh(tmp_path):
    parts = sources(tmp_path, "3mf")
    wrl = sources(tmp_path, "wrl")[1]
    report = build_tray_file([parts[0], wrl], tmp_path / "tray.ply", fmt="ply")
    assert report["method"] == "one mesh" and report["triangles"] == 24
    vertices, faces, colors = read_print_file(tmp_path / "tray.ply", "ply")
    np.testing.assert_allclose(
        [vertices.min(axis=0), vertices.max(axis=0)], [[10.0, 20.0, 0.0], [82.0, 50.0, 40.0]], atol=1e-3
    )
    assert colors is not None and {tuple(c) for c in colors[:, :3]} == {(200, 60, 50), (200, 160, 50)}


def test_part_transform_matches_place_part():
    rng = np.random.default_rng(3)
    vertices = rng.uniform([-20, -8, 0], [20, 8, 50], size=(200, 3))
    for rotated in (False, True):
        part = {"x": 100.0, "y": 40.0, "rotated": rotated}
        placed = place_part(vertices, part)
        turned, shift = part_transform(part, vertices.min(axis=0), vertices.max(axis=0))
        assert turned == rotated
        assert placed.min(axis=0)[:2] == pytest.approx([100.0, 40.0])
        assert np.ptp(placed[:, 0]) == pytest.approx(np.ptp(vertices[:, 1 if rotated else 0]))


def test_renumbering_never_renumbers_twice():
    from kits.printfiles.tray_render import _renumber

    body = b'<object id="4" pid="9" pindex="0">\n<triangle v1="0" pid="9" p1="4"/>\n<item\nobjectid="4"/>'
    assert _renumber(body, {4: 3, 9: 4}) == (
        b'<object id="3" pid="4" pindex="0">\n<triangle v1="0" pid="4" p1="4"/>\n<item\nobjectid="3"/>'
    )
