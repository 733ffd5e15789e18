"""Every GLB the studio writes, held to glTF by the Khronos validator (npm ``gltf-validator``) and by its own
accessors: no validator errors, positions in metres and Y up (a 150 mm figurine is 0.15 tall in Y), COLOR_0
linear; and the studio's loader reads each one, and other tools' GLBs, back to millimetres, Z up, sRGB.

Revision 0 from reconstruction: tests/test_reconstruct_command_glb.py (it needs the Django command).
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from kits.mesh import load_mesh
from kits.mesh.axes import studio_to_gltf
from kits.mesh.colors import linear_to_srgb, srgb_to_linear
from kits.mesh.gltf import LINEAR_COLOR_ATTRIBUTE, colors_to_srgb, glb_bytes
from kits.mesh.preview import make_web_glb
from kits.printfiles import export_print
from revisions.meshwork import compare_rounds, write_web_glb
from tests.gltf_validator import accessor_values, assert_valid, glb_parts, needs_node, primitive
from tests.kits.mesh.meshes import figurine

HEIGHT_MM = 150.0
RED = (230, 20, 20)
RED_LINEAR = (0.791, 0.007, 0.007)
DARK = (30, 25, 20)


@pytest.fixture(scope="module")
def statue() -> trimesh.Trimesh:
    """A 150 mm figurine (mm, Z up, on z = 0, facing -Y): a red head over a dark body."""
    mesh = figurine()
    mesh.apply_scale(HEIGHT_MM / float(np.ptp(mesh.vertices[:, 2])))
    mesh.vertices[:, 2] -= mesh.vertices[:, 2].min()
    head = mesh.vertices[:, 2] > 0.8 * HEIGHT_MM
    colors = np.where(head[:, None], [*RED, 255], [*DARK, 255]).astype(np.uint8)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


def _metres_y_up(path, height_mm: float = HEIGHT_MM, *, within_mm: float = 0.01) -> dict:
    """The POSITION accessor's bounds are metres with Y up: ``height_mm`` / 1000 tall, standing on y = 0
    (within ``within_mm``)."""
    document, _binary = glb_parts(path)
    position = document["accessors"][primitive(document)["attributes"]["POSITION"]]
    low, high = np.array(position["min"]), np.array(position["max"])
    assert high[1] - low[1] == pytest.approx(height_mm / 1000, abs=within_mm / 1000)
    assert low[1] == pytest.approx(0.0, abs=within_mm / 1000)
    assert (high - low).max() < 1.0  # nothing is a metre long: not millimetres
    return document


def _linear_colours(path) -> np.ndarray:
    document, binary = glb_parts(path)
    attributes = primitive(document)["attributes"]
    accessor = document["accessors"][attributes["COLOR_0"]]
    assert accessor["componentType"] == 5123 and accessor["normalized"]  # normalised unsigned short
    return accessor_values(document, binary, attributes["COLOR_0"])


# ------------------------------------------------------------------------------------------------ writer
@needs_node
def test_the_writer_is_valid_metres_y_up_and_linear(tmp_path, statue):
    path = tmp_path / "figurine.glb"
    path.write_bytes(glb_bytes(statue))
    report = assert_valid(path)
    assert report["issues"]["numWarnings"] == 0
    assert report["info"]["totalTriangleCount"] == len(statue.faces)
    document, binary = glb_parts(path)
    positions = accessor_values(document, binary, primitive(document)["attributes"]["POSITION"])
    # studio (x, y, z) mm = glTF (x, -z, y) m x 1000: the figure faces +Z, glTF's viewer
    np.testing.assert_allclose(positions, studio_to_gltf(statue.vertices), atol=1e-7)
    np.testing.assert_allclose(positions[:, [0, 2, 1]] * [1, -1, 1] * 1000, statue.vertices, atol=1e-4)
    _metres_y_up(path)
    colours = _linear_colours(path)
    head = statue.vertices[:, 2] > 0.8 * HEIGHT_MM
    np.testing.assert_allclose(colours[head][:, :3], np.tile(RED_LINEAR, (head.sum(), 1)), atol=1e-3)
    assert np.all(colours[:, 3] == 1.0)


@needs_node
def test_a_written_red_reads_back_as_itself_through_the_loader(tmp_path, statue):
    path = tmp_path / "figurine.glb"
    path.write_bytes(glb_bytes(statue, include_normals=False))
    assert_valid(path)
    back = load_mesh(path)
    assert back.has_color and len(back.mesh.faces) == len(statue.faces)
    np.testing.assert_allclose(back.mesh.vertices, statue.vertices, atol=1e-4)  # mm, Z up again
    got = np.asarray(back.mesh.visual.vertex_colors, dtype=int)
    want = np.asarray(statue.visual.vertex_colors, dtype=int)
    assert np.abs(got - want).max() <= 1  # 230,20,20 and the dark 30,25,20 alike


def test_srgb_and_linear_are_inverse_on_every_byte():
    every = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 4, axis=1)
    assert (linear_to_srgb(srgb_to_linear(every)) == every).all()
    np.testing.assert_allclose(srgb_to_linear(np.array([*RED, 255], np.uint8)), [*RED_LINEAR, 1.0], atol=1e-3)
    # 16 bits keep the dark tones: quantised linear comes back as the same byte
    sixteen = np.rint(srgb_to_linear(every) * 65535) / 65535
    assert (linear_to_srgb(sixteen) == every).all()


# ------------------------------------------------------------------------------------------------ files
@needs_node
def test_web_preview_decimated_and_not(tmp_path, statue):
    decimated = tmp_path / "preview.glb"
    report = write_web_glb(statue, decimated, max_triangles=len(statue.faces) // 3, height_mm=HEIGHT_MM)
    assert report["triangles"] <= len(statue.faces) // 3
    assert_valid(decimated)
    _metres_y_up(decimated, within_mm=0.5)  # the collapse moves the top and bottom a little
    kept = np.unique(linear_to_srgb(_linear_colours(decimated))[:, :3], axis=0).tolist()
    assert sorted(kept) == sorted([list(RED), list(DARK)])  # colours carried over, linear in the file
    whole = tmp_path / "small.glb"
    make_web_glb(statue, whole, max_triangles=len(statue.faces) + 1, hausdorff_samples=0)
    assert_valid(whole)
    _metres_y_up(whole)


@needs_node
def test_heatmap(tmp_path, statue):
    current = statue.copy()
    bump = current.vertices[:, 2] > 0.85 * HEIGHT_MM
    current.vertices[bump, 1] -= 2.0  # the face pushed forward by 2 mm
    heatmap = tmp_path / "heatmap.glb"
    report = compare_rounds(statue, current, heatmap, height_mm=HEIGHT_MM)
    assert report["max_mm"] == pytest.approx(2.0, abs=0.2)
    assert_valid(heatmap)
    document = _metres_y_up(heatmap)
    assert "COLOR_0" in primitive(document)["attributes"]
    back = load_mesh(heatmap).mesh  # the same size and place as the round's preview: mm, Z up
    assert np.ptp(back.vertices[:, 2]) == pytest.approx(HEIGHT_MM, abs=1e-3)


@needs_node
@pytest.mark.parametrize("height_mm", [100.0, 150.0])
def test_print_glb(tmp_path, statue, height_mm):
    out = tmp_path / "print.glb"
    export_print(statue, height_mm=height_mm, fmt="glb", base="never", out_path=out)
    assert_valid(out)
    _metres_y_up(out, height_mm)
    back = load_mesh(out).mesh
    assert np.ptp(back.vertices[:, 2]) == pytest.approx(height_mm, abs=1e-3)
    head = back.vertices[:, 2] > 0.8 * height_mm
    assert np.abs(np.asarray(back.visual.vertex_colors)[head][:, :3].astype(int) - RED).max() <= 1


# ------------------------------------------------------------------------------------------------ reading
def test_a_glb_from_another_tool_is_metres_and_linear(tmp_path):
    """glTF means metres and linear COLOR_0, whoever wrote it: trimesh's own writer puts bytes as given
    into COLOR_0, so 230,20,20 there is the linear value 230/255 and reads as sRGB 244,79,79 (what Blender
    shows for it)."""
    mesh = trimesh.creation.box(extents=(0.02, 0.15, 0.01))  # metres, Y up: 150 mm tall
    mesh.visual = trimesh.visual.ColorVisuals(
        mesh, vertex_colors=np.tile([*RED, 255], (len(mesh.vertices), 1))
    )
    path = tmp_path / "sculptor.glb"
    path.write_bytes(trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh)))
    back = load_mesh(path).mesh
    np.testing.assert_allclose(np.ptp(back.vertices, axis=0), [20, 10, 150], atol=1e-4)
    assert np.unique(back.visual.vertex_colors, axis=0).tolist() == [[244, 79, 79, 255]]


def test_float_colour_0_is_read_as_linear():
    mesh = trimesh.creation.box()
    linear = np.tile([*RED_LINEAR, 1.0], (len(mesh.vertices), 1)).astype(np.float32)
    mesh.vertex_attributes[LINEAR_COLOR_ATTRIBUTE] = linear
    colors_to_srgb(mesh)
    got = np.asarray(mesh.visual.vertex_colors, dtype=int)
    assert np.abs(got - [*RED, 255]).max() <= 1
