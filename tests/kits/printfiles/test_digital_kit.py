"""The customer's digital files as their own tools read them: the glTF validator on both GLBs, USD's ARKit
compliance checker on the USDZ, the STL at the ordered height, the game GLB within its budget with its
colours, the OBJ zip in metres Y up (Blender's default), the FBX through our reader at the height."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from pxr import UsdUtils

from kits.mesh.io import load_mesh
from kits.printfiles import read_fbx_mesh
from kits.printfiles.digital import DIGITAL_FORMATS, write_digital_files
from kits.printfiles.usdz import read_usdz_mesh
from tests.gltf_validator import assert_valid, needs_node

RED, BLUE = (230, 20, 20), (20, 40, 200)


def two_colour_figure(subdivisions: int = 4) -> trimesh.Trimesh:
    """A capsule body and a sphere head (mm, Z up, standing on z = 0): red on its right (+x), blue on its left."""
    body = trimesh.creation.capsule(height=30.0, radius=8.0, count=[48, 48])
    body.apply_translation([0, 0, 23])
    head = trimesh.creation.icosphere(subdivisions=subdivisions, radius=9)
    head.apply_translation([0, 0, 55])
    mesh = trimesh.util.concatenate([body, head])
    colors = np.tile([*RED, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    colors[mesh.vertices[:, 0] < 0] = [*BLUE, 255]
    mesh.visual.vertex_colors = colors
    return mesh


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("digital")
    entries = write_digital_files(two_colour_figure(), height_mm=120.0, out_dir=folder, game_triangles=2000)
    return {entry["format"]: entry for entry in entries}


def _colours(rgba: np.ndarray) -> set[tuple[int, int, int]]:
    return {tuple(int(c) for c in row[:3]) for row in np.unique(np.asarray(rgba)[:, :3], axis=0)}


def test_six_files_with_their_facts(written):
    assert list(written) == list(DIGITAL_FORMATS)
    full = written["glb"]["triangles"]
    for fmt, entry in written.items():
        path = Path(entry["path"])
        assert path.stat().st_size == entry["bytes"] > 0
        assert len(entry["sha256"]) == 64
        assert entry["triangles"] == (full if fmt != "glb_game" else entry["triangles"])
    assert written["stl"]["colors"] is False and all(
        written[f]["colors"] for f in DIGITAL_FORMATS if f != "stl"
    )


@needs_node
@pytest.mark.parametrize("fmt", ["glb", "glb_game"])
def test_both_glbs_pass_the_gltf_validator_in_metres(written, fmt):
    report = assert_valid(written[fmt]["path"])
    assert report["issues"]["numErrors"] == 0
    loaded = load_mesh(written[fmt]["path"])  # back to mm, Z up
    assert np.ptp(loaded.mesh.vertices[:, 2]) == pytest.approx(120.0, abs=0.1)


def test_the_game_glb_is_within_its_budget_and_keeps_the_colours(written):
    entry = written["glb_game"]
    assert entry["triangles"] <= 2000 < written["glb"]["triangles"]
    loaded = load_mesh(entry["path"])
    assert len(loaded.mesh.faces) == entry["triangles"]
    colours = _colours(loaded.mesh.visual.vertex_colors)
    assert any(max(abs(a - b) for a, b in zip(c, RED, strict=True)) <= 1 for c in colours)
    assert any(max(abs(a - b) for a, b in zip(c, BLUE, strict=True)) <= 1 for c in colours)


@pytest.mark.filterwarnings("ignore:Use of UsdUtils.ComplianceChecker is deprecated:DeprecationWarning")
def test_the_usdz_passes_usd_arkit_compliance_in_metres_y_up(written):
    checker = UsdUtils.ComplianceChecker(arkit=True)
    checker.CheckCompliance(written["usdz"]["path"])
    assert checker.GetErrors() == [] and checker.GetFailedChecks() == []
    vertices, faces, meta = read_usdz_mesh(Path(written["usdz"]["path"]))
    assert meta["up_axis"] == "Y" and meta["meters_per_unit"] == 1.0 and meta["default_prim"] == "/Figurine"
    assert len(faces) == written["usdz"]["triangles"]
    assert np.ptp(vertices[:, 2]) == pytest.approx(120.0, abs=0.1)  # 0.12 m tall in AR
    with zipfile.ZipFile(written["usdz"]["path"]) as package:
        assert package.namelist()[0].endswith(".usdc") and "palette.png" in package.namelist()
    assert meta["display_colors"] is not None and len(meta["display_colors"]) == len(vertices)


def test_the_stl_is_at_the_ordered_height_in_millimetres(written):
    loaded = load_mesh(written["stl"]["path"])
    assert np.ptp(loaded.mesh.vertices[:, 2]) == pytest.approx(120.0, abs=0.1)
    assert loaded.mesh.vertices[:, 2].min() == pytest.approx(0.0, abs=1e-6)
    assert len(loaded.mesh.faces) == written["stl"]["triangles"] and not loaded.has_color


def test_the_obj_zip_is_metres_y_up_with_its_material_and_texture(written):
    with zipfile.ZipFile(written["obj"]["path"]) as archive:
        names = sorted(archive.namelist())
        obj_name = next(n for n in names if n.endswith(".obj"))
        assert [n.rsplit(".", 1)[1] for n in names] == ["mtl", "obj", "png"]
        text = archive.read(obj_name).decode()
    assert "metres, Y up" in text.splitlines()[0]
    rows = np.array(
        [[float(v) for v in line.split()[1:4]] for line in text.splitlines() if line.startswith("v ")]
    )
    assert np.ptp(rows[:, 1]) == pytest.approx(0.120, abs=1e-4)  # Y is up, in metres
    assert rows[:, 1].min() == pytest.approx(0.0, abs=1e-5)
    faces = sum(1 for line in text.splitlines() if line.startswith("f "))
    assert faces == written["obj"]["triangles"]
    assert "mtllib" in text and "usemtl" in text
    # the colour is in the file: the red right side (+x) is still red
    colours = {
        tuple(round(float(c) * 255) for c in line.split()[4:7])
        for line in text.splitlines()
        if line.startswith("v ")
    }
    assert RED in colours and BLUE in colours


def test_the_fbx_reads_back_at_the_ordered_height_with_colours(written):
    vertices, faces, colors = read_fbx_mesh(Path(written["fbx"]["path"]))
    assert len(faces) == written["fbx"]["triangles"]
    assert np.ptp(vertices[:, 2]) == pytest.approx(120.0, abs=0.1)
    assert colors is not None
