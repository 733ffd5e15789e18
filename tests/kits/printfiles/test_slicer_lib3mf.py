"""Our print files in the printers' own tools: PrusaSlicer's CLI (Debian's ``prusa-slicer``, ``make slicer``)
slices the STL and 3MF at the right size without errors; lib3mf (the 3MF consortium's library, PyPI
``lib3mf``) reads the 3MF with its colour group and per-corner colours.

Each test skips, saying why, only where its tool is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from kits.printfiles import export_print, read_3mf
from tests.kits.shapes import two_colour_block

PRUSA = shutil.which("prusa-slicer")
needs_prusa = pytest.mark.skipif(PRUSA is None, reason="prusa-slicer is not installed: run `make slicer`")
RED, BLUE = (230, 20, 20), (20, 40, 220)


def block_file(tmp_path, fmt: str, height: float = 40.0) -> dict:
    return export_print(
        two_colour_block(), height_mm=height, fmt=fmt, base="never", out_path=tmp_path / f"b.{fmt}"
    )


def prusa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PRUSA, *args], capture_output=True, text=True, timeout=300)


@needs_prusa
@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_prusaslicer_reads_our_print_file_at_its_size(tmp_path, fmt):
    report = block_file(tmp_path, fmt)
    done = prusa("--info", report["path"])
    assert done.returncode == 0, done.stderr[-2000:]
    info = dict(re.findall(r"^(\w+) = +(\S+)$", done.stdout, flags=re.MULTILINE))
    size = [float(info[f"size_{axis}"]) for axis in "xyz"]
    np.testing.assert_allclose(size, report["bbox_mm"], atol=0.1)
    assert info["manifold"] == "yes" and int(info["number_of_facets"]) == report["triangles"]
    assert float(info["volume"]) == pytest.approx(report["volume_mm3"], rel=1e-3)


@needs_prusa
@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_prusaslicer_slices_our_print_file_without_errors(tmp_path, fmt):
    report = block_file(tmp_path, fmt)
    gcode = tmp_path / "b.gcode"
    done = prusa(
        "--export-gcode", "--skirts", "0", "--center", "100,100", "--output", str(gcode), report["path"]
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "error" not in (done.stdout + done.stderr).lower().replace("error_", "")
    text = gcode.read_text()
    layers = [float(z) for z in re.findall(r"^;Z:([\d.]+)$", text, flags=re.MULTILINE)]
    assert layers and abs(layers[-1] - report["height_mm"]) <= 0.4  # the top layer at the file's height
    # the outer perimeters span the file's footprint (centred on 100, 100), within an extrusion width
    moves = np.array(
        [(float(x), float(y)) for x, y in re.findall(r"^G1 X([\d.]+) Y([\d.]+) E", text, flags=re.MULTILINE)]
    )
    span = moves.max(axis=0) - moves.min(axis=0)
    assert np.all(np.abs(span - np.array(report["bbox_mm"][:2])) <= 1.0), span


def test_lib3mf_reads_our_3mf_with_its_colour_group(tmp_path):
    lib3mf = pytest.importorskip("lib3mf", reason="lib3mf is not installed (pip install lib3mf)")
    report = block_file(tmp_path, "3mf")
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    reader = model.QueryReader("3mf")
    reader.ReadFromFile(report["path"])
    assert reader.GetWarningCount() == 0, [reader.GetWarning(i) for i in range(reader.GetWarningCount())]
    assert model.GetUnit() == lib3mf.ModelUnit.MilliMeter

    objects = model.GetMeshObjects()
    meshes = []
    while objects.MoveNext():
        meshes.append(objects.GetCurrentMeshObject())
    (mesh,) = meshes
    assert mesh.GetTriangleCount() == report["triangles"] and mesh.IsManifoldAndOriented()

    groups = model.GetColorGroups()
    palettes = {}
    while groups.MoveNext():
        group = groups.GetCurrentColorGroup()
        palettes[group.GetResourceID()] = {
            pid: (c.Red, c.Green, c.Blue) for pid in group.GetAllPropertyIDs() for c in [group.GetColor(pid)]
        }
    assert len(palettes) == 1 and set(next(iter(palettes.values())).values()) == {RED, BLUE}

    # per-corner colours as lib3mf resolves them == as our reader reads them
    properties = mesh.GetAllTriangleProperties()
    theirs = np.array([[palettes[p.ResourceID][pid] for pid in p.PropertyIDs] for p in properties])
    _vertices, _faces, ours = read_3mf(report["path"])
    ours = np.asarray(ours)
    ours = ours[..., :3] if ours.ndim == 3 else ours[_faces][..., :3]
    np.testing.assert_array_equal(theirs, ours)
