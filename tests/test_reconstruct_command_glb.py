"""`reconstruct --out X.glb` writes a GLB the rest of the studio reads standing (glTF is metres, Y up), and
the Khronos glTF validator finds no error in it (revision 0 is stored by the same writer, kits.mesh.gltf).

Lives at the top of tests/ because tests/reconstruction/ is another helper's area; it crosses the
reconstruction command and the print toolkit's loader.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from kits.mesh import load_mesh
from tests.gltf_validator import NODE, assert_valid, glb_parts, primitive
from tests.reconstruction.drawing import person_photo


@pytest.mark.django_db  # check_mesh holds the mesh to the printers' build volumes
def test_reconstructed_glb_stands_in_the_studio_loader(tmp_path, capsys):
    front = tmp_path / "front.png"
    Image.fromarray(person_photo()).save(front)
    glb, ply = tmp_path / "base.glb", tmp_path / "base.ply"
    for out in (glb, ply):
        call_command(
            "reconstruct",
            str(front),
            "--out",
            str(out),
            "--height-mm",
            "100",
            "--triangles",
            "3000",
            "--json",
        )
    capsys.readouterr()
    from_glb, from_ply = load_mesh(glb).mesh, load_mesh(ply).mesh
    # the same figurine, 100 mm tall along Z from z = 0, whichever format it went through
    assert abs(from_glb.extents[2] - 100.0) < 0.05
    assert abs(from_glb.bounds[0][2]) < 0.05
    assert np.allclose(from_glb.bounds, from_ply.bounds, atol=0.05)
    # in the file itself: metres, Y up (0.1 tall), linear colours; no validator error
    document, _binary = glb_parts(glb)
    attributes = primitive(document)["attributes"]
    position = document["accessors"][attributes["POSITION"]]
    assert position["max"][1] - position["min"][1] == pytest.approx(0.1, abs=5e-5)
    assert "COLOR_0" in attributes
    if NODE:
        assert_valid(glb)

    call_command("check_mesh", str(glb), "--json")
    report = json.loads(capsys.readouterr().out)
    assert abs(report["size_mm"][2] - 100.0) < 0.05


@pytest.mark.parametrize(
    "arguments",
    [
        ["--height-mm", "-5"],
        ["--height-mm", "nan"],
        ["--triangles", "10"],
        ["--backend", "nope"],
        ["--device", "tpu"],
    ],
)
def test_bad_argument_values_exit_2(tmp_path, arguments):
    front = tmp_path / "front.png"
    Image.fromarray(person_photo()).save(front)
    with pytest.raises(CommandError) as caught:
        call_command("reconstruct", str(front), "--out", str(tmp_path / "o.glb"), *arguments)
    assert caught.value.returncode == 2 and not (tmp_path / "o.glb").exists()
