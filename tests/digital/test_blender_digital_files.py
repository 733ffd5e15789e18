"""Blender (``bpy`` in ``.venv-blender``, run in a subprocess like tests/kits/printfiles/test_blender_import.py)
imports the customer's GLB, OBJ (from its zip), FBX and STL: one mesh, the recorded vertex and face counts,
the height (GLB/OBJ/FBX in metres, STL in millimetres), colours on GLB/OBJ/FBX, and the figure standing the
right way round: the mean of its vertices in Blender's world (Z up, facing -Y) is the studio's own."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from kits.mesh.io import load_mesh
from kits.printfiles.digital import write_digital_files
from tests.kits.printfiles.test_blender_import import BLENDER_PYTHON, blender_sees
from tests.kits.printfiles.test_digital_kit import RED, two_colour_figure

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not BLENDER_PYTHON.is_file(), reason=f"no Blender Python at {BLENDER_PYTHON}: run `make blender`"
    ),
]


def facing_figure() -> trimesh.Trimesh:
    """The two-colour figure with a nose on its face (-Y): its front is told apart from its back."""
    nose = trimesh.creation.box(extents=[4, 10, 4])
    nose.apply_translation([0, -12, 55])
    nose.visual.vertex_colors = np.tile([*RED, 255], (len(nose.vertices), 1))
    return trimesh.util.concatenate([two_colour_figure(subdivisions=3), nose])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("digital-blender")
    entries = write_digital_files(facing_figure(), height_mm=120.0, out_dir=folder, game_triangles=2000)
    by_format = {entry["format"]: entry for entry in entries}
    with zipfile.ZipFile(by_format["obj"]["path"]) as archive:
        archive.extractall(folder / "obj")
    by_format["obj"]["import_path"] = str(next((folder / "obj").glob("*.obj")))
    return by_format


@pytest.mark.parametrize(("fmt", "unit"), [("glb", 0.001), ("obj", 0.001), ("fbx", 0.001), ("stl", 1.0)])
def test_blender_imports_the_digital_file(files, fmt, unit):
    entry = files[fmt]
    seen = blender_sees(Path(entry.get("import_path", entry["path"])))
    assert seen["meshes"] == 1
    assert seen["faces"] == entry["triangles"] and seen["vertices"] == entry["vertices"]
    height = seen["bounds_max"][2] - seen["bounds_min"][2]
    assert height == pytest.approx(120.0 * unit, abs=0.1 * unit)  # standing up, at the ordered height
    assert seen["bounds_min"][2] == pytest.approx(0.0, abs=0.01 * unit)
    studio = load_mesh(files["stl"]["path"]).mesh.vertices  # the studio's placed mesh (mm, Z up, facing -Y)
    assert np.allclose(seen["mean"], studio.mean(axis=0) * unit, atol=0.05 * unit)  # not turned nor mirrored
    if fmt == "stl":
        assert seen["color_attributes"] == []
    else:
        assert seen["color_attributes"], seen
        assert [round(c * 255) for c in seen["first_colors"][0][:3]] in ([230, 20, 20], [20, 40, 200])
