"""Blender (``bpy``) imports our FBX and STL print files: one mesh, our counts, the height, colours shown.

``bpy`` pins numpy < 2, which the studio's venv does not take, so it lives in its own venv
(``make blender`` makes ``.venv-blender``; ``BLENDER_PYTHON`` points elsewhere). The import runs there, in a
subprocess, through ``blender_import.py``; without that Python the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

from kits.printfiles import export_print

ROOT = Path(__file__).resolve().parents[3]
BLENDER_PYTHON = Path(os.environ.get("BLENDER_PYTHON", ROOT / ".venv-blender" / "bin" / "python"))
SCRIPT = Path(__file__).with_name("blender_import.py")

pytestmark = pytest.mark.skipif(
    not BLENDER_PYTHON.is_file(), reason=f"no Blender Python at {BLENDER_PYTHON}: run `make blender`"
)


def blender_sees(path: Path) -> dict:
    done = subprocess.run(
        [str(BLENDER_PYTHON), str(SCRIPT), str(path)], capture_output=True, text=True, timeout=240
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BLENDER_JSON ")), None)
    assert done.returncode == 0 and line, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(line.removeprefix("BLENDER_JSON "))


def figure():
    """A capsule standing on z = 0: red on its right (+x), blue on its left."""
    mesh = trimesh.creation.capsule(height=30.0, radius=8.0, count=[16, 16])
    colors = np.tile([230, 20, 20, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    colors[mesh.vertices[:, 0] < 0] = [20, 40, 200, 255]
    mesh.visual.vertex_colors = colors
    return mesh


def test_blender_imports_our_fbx_with_counts_height_and_colour_in_the_material(tmp_path):
    out = tmp_path / "figure.fbx"
    report = export_print(figure(), height_mm=120.0, fmt="fbx", base="never", out_path=out)
    seen = blender_sees(out)
    assert seen["meshes"] == 1
    assert seen["vertices"] == report["vertices"] and seen["faces"] == report["triangles"]
    assert seen["dimensions"][2] == pytest.approx(0.120, abs=1e-4)  # metres in Blender: 120 mm tall
    assert seen["color_attributes"] == ["Col"] and seen["color_domain"] == "CORNER"
    (material,) = seen["materials"]
    image = material["base_color_image"]  # Blender's material view shows the palette texture
    assert image["packed"] and image["colorspace"] == "sRGB"
    assert [230, 20, 20] in image["colors"] and [20, 40, 200] in image["colors"]


def test_blender_imports_our_stl_in_millimetres(tmp_path):
    out = tmp_path / "figure.stl"
    report = export_print(figure(), height_mm=120.0, fmt="stl", base="never", out_path=out)
    seen = blender_sees(out)
    assert seen["meshes"] == 1 and seen["faces"] == report["triangles"]
    assert seen["vertices"] == report["vertices"]  # Blender merges the STL's corners back into vertices
    # Blender's STL importer takes the numbers as they are (its scene unit): 120 units = 120 mm
    assert seen["dimensions"][2] == pytest.approx(120.0, abs=0.01)
    assert seen["color_attributes"] == []
