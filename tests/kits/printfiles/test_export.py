"""Print exports: every format re-loads at the ordered height on z = 0, colour survives, bases when due."""

from __future__ import annotations

import struct
import zipfile

import numpy as np
import pytest
import trimesh

from kits.mesh import load_mesh
from kits.mesh.axes import gltf_to_studio
from kits.printfiles import ExportError, export_print, read_3mf, read_fbx_mesh, read_wrl
from kits.printfiles.fbx import HEAD_MAGIC, parse_fbx
from tests.kits.shapes import BLUE, RED, colours_by_side, leaning_cylinder, two_colour_block

HEIGHT = 120.0


def _check_placement(vertices: np.ndarray, height: float = HEIGHT) -> None:
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    assert lo[2] == pytest.approx(0.0, abs=1e-3)
    assert hi[2] - lo[2] == pytest.approx(height, rel=1e-4)
    assert (lo[0] + hi[0]) / 2 == pytest.approx(0.0, abs=1e-3)
    assert (lo[1] + hi[1]) / 2 == pytest.approx(0.0, abs=1e-3)


def _assert_red_right_blue_left(vertices: np.ndarray, colors: np.ndarray) -> None:
    width = float(np.ptp(vertices[:, 0]))
    right, left = colours_by_side(vertices, colors, width)
    assert right.tolist() == [RED[:3].tolist()]
    assert left.tolist() == [BLUE[:3].tolist()]


@pytest.mark.parametrize("fmt", ["stl", "obj", "ply", "glb", "3mf"])
def test_format_reloads_with_trimesh_at_height_on_z0(tmp_path, fmt):
    out = tmp_path / f"figure.{fmt}"
    report = export_print(two_colour_block(), height_mm=HEIGHT, fmt=fmt, base="never", out_path=out)
    loaded = trimesh.load(out, force="mesh")
    vertices = gltf_to_studio(loaded.vertices) if fmt == "glb" else loaded.vertices
    _check_placement(vertices)
    assert len(loaded.faces) == report["triangles"]
    assert report["height_mm"] == pytest.approx(HEIGHT)
    assert report["bbox_mm"][2] == pytest.approx(HEIGHT)
    assert report["scale"] == pytest.approx(HEIGHT / 40.0)
    assert report["sha256"] == report["files"][0]["sha256"] and len(report["sha256"]) == 64
    assert report["volume_mm3"] == pytest.approx(20 * 12 * 40 * 3.0**3, rel=1e-6)


@pytest.mark.parametrize("fmt", ["ply", "obj"])  # GLB: its linear COLOR_0 in the test below
def test_two_colours_survive_trimesh_reload(tmp_path, fmt):
    out = tmp_path / f"figure.{fmt}"
    export_print(two_colour_block(), height_mm=HEIGHT, fmt=fmt, base="never", out_path=out)
    loaded = trimesh.load(out, force="mesh")
    if fmt == "obj":  # colour comes back from the palette texture, one flat colour per face
        assert loaded.visual.kind == "texture"
        colors = loaded.visual.to_color().vertex_colors
        centers = loaded.triangles_center
        width = float(np.ptp(loaded.vertices[:, 0]))
        face_colors = colors[loaded.faces].reshape(-1, 3, 4)[:, 0, :3]
        assert np.unique(face_colors[centers[:, 0] > width / 4], axis=0).tolist() == [RED[:3].tolist()]
        assert np.unique(face_colors[centers[:, 0] < -width / 4], axis=0).tolist() == [BLUE[:3].tolist()]
        assert (tmp_path / "figure.mtl").read_text().count("map_Kd figure.png") == 1
    else:
        _assert_red_right_blue_left(loaded.vertices, loaded.visual.vertex_colors)


def test_glb_is_metres_y_up_for_viewers_and_loads_back_standing(tmp_path):
    out = tmp_path / "figure.glb"
    export_print(two_colour_block(), height_mm=HEIGHT, fmt="glb", base="never", out_path=out)
    raw = trimesh.load(out, force="mesh")
    assert np.ptp(raw.vertices[:, 1]) == pytest.approx(HEIGHT / 1000)  # glTF: metres, Y up
    assert raw.vertices[:, 1].min() == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(gltf_to_studio(raw.vertices), load_mesh(out).mesh.vertices, atol=1e-4)
    back = load_mesh(out).mesh  # the studio's loader: mm, Z up, sRGB colours again
    _check_placement(back.vertices)
    _assert_red_right_blue_left(back.vertices, back.visual.vertex_colors)


def test_obj_also_carries_vertex_colours(tmp_path):
    out = tmp_path / "figure.obj"
    export_print(two_colour_block(), height_mm=HEIGHT, fmt="obj", base="never", out_path=out)
    rows = [line.split() for line in out.read_text().splitlines() if line.startswith("v ")]
    data = np.array([[float(v) for v in row[1:]] for row in rows])
    assert data.shape[1] == 6
    _assert_red_right_blue_left(data[:, :3], np.rint(data[:, 3:] * 255).astype(np.uint8))


def test_3mf_has_colour_group_and_per_corner_colours(tmp_path):
    out = tmp_path / "figure.3mf"
    report = export_print(two_colour_block(), height_mm=HEIGHT, fmt="3mf", base="never", out_path=out)
    with zipfile.ZipFile(out) as archive:
        model = archive.read("3D/3dmodel.model").decode()
    assert 'unit="millimeter"' in model and "<m:colorgroup" in model
    vertices, faces, corner = read_3mf(out)
    assert len(faces) == report["triangles"]
    _check_placement(vertices)
    per_vertex = np.zeros((len(vertices), 4), dtype=np.uint8)
    per_vertex[faces.ravel()] = corner.reshape(-1, 4)
    _assert_red_right_blue_left(vertices, per_vertex)


def test_wrl_is_vrml2_with_colour_per_vertex(tmp_path):
    out = tmp_path / "figure.wrl"
    report = export_print(two_colour_block(), height_mm=HEIGHT, fmt="wrl", base="never", out_path=out)
    text = out.read_text()
    assert text.startswith("#VRML V2.0 utf8") and "colorPerVertex TRUE" in text
    vertices, faces, colors = read_wrl(out)
    assert len(vertices) == report["vertices"] and len(faces) == report["triangles"]
    _check_placement(vertices)
    _assert_red_right_blue_left(vertices, np.rint(colors * 255).astype(np.uint8))


def test_fbx_binary_parses_with_counts_and_colours(tmp_path):
    out = tmp_path / "figure.fbx"
    report = export_print(two_colour_block(), height_mm=HEIGHT, fmt="fbx", base="never", out_path=out)
    data = out.read_bytes()
    assert data.startswith(HEAD_MAGIC) and struct.unpack_from("<I", data, 23)[0] == 7400
    version, nodes = parse_fbx(data)
    names = [n.name for n in nodes]
    assert version == 7400
    assert {"FBXHeaderExtension", "GlobalSettings", "Objects", "Connections"} <= set(names)
    geometry = next(n for n in nodes if n.name == "Objects").find("Geometry")
    polygon_index = geometry.find("PolygonVertexIndex").props[0][1]
    assert (polygon_index[2::3] < 0).all() and (polygon_index[0::3] >= 0).all()
    vertices, faces, colors = read_fbx_mesh(out)
    assert len(vertices) == report["vertices"] and len(faces) == report["triangles"]
    _check_placement(vertices)
    _assert_red_right_blue_left(vertices, np.rint(colors * 255).astype(np.uint8))
    connections = next(n for n in nodes if n.name == "Connections").find_all("C")
    # geometry -> model -> root, material -> model, texture -> material's DiffuseColor, video -> texture
    assert len(connections) == 5


def test_stl_has_no_colour_and_report_says_so(tmp_path):
    report = export_print(
        two_colour_block(), height_mm=HEIGHT, fmt="stl", base="never", out_path=tmp_path / "a.stl"
    )
    assert report["colors"] is False


def test_base_always_is_unioned_watertight_and_counts_in_the_height(tmp_path):
    out = tmp_path / "based.ply"
    report = export_print(two_colour_block(), height_mm=HEIGHT, fmt="ply", base="always", out_path=out)
    assert report["base_added"] and report["base"]["union"] == "manifold"
    loaded = trimesh.load(out, force="mesh")
    _check_placement(loaded.vertices)
    assert loaded.is_watertight and report["watertight"]
    thickness, radius = report["base"]["thickness_mm"], report["base"]["radius_mm"]
    assert 2.0 <= thickness <= 5.0
    bottom = loaded.vertices[loaded.vertices[:, 2] < 1e-6]
    assert np.linalg.norm(bottom[:, :2], axis=1).max() == pytest.approx(radius, rel=1e-3)
    # the base is wider than the block's footprint (half-diagonal of 20 x 12 mm at scale)
    assert radius > np.hypot(10, 6) * report["scale"]
    base_colours = loaded.visual.vertex_colors[loaded.vertices[:, 2] < 1e-6][:, :3]
    assert np.unique(base_colours, axis=0).tolist() == [list(report["base"]["rgba"][:3])]
    assert report["stable"]


def test_base_auto_is_added_to_a_figure_that_would_tip(tmp_path):
    report = export_print(
        leaning_cylinder(), height_mm=100, fmt="stl", base="auto", out_path=tmp_path / "a.stl"
    )
    assert report["stable_before"] is False
    assert report["base_added"] is True and "tip" in report["base_reason"]
    assert report["stable"] is True
    loaded = trimesh.load(tmp_path / "a.stl", force="mesh")
    _check_placement(loaded.vertices, 100)
    assert loaded.is_watertight


def test_base_auto_not_added_to_a_stable_figure(tmp_path):
    report = export_print(
        two_colour_block(), height_mm=HEIGHT, fmt="stl", base="auto", out_path=tmp_path / "a.stl"
    )
    assert report["base_added"] is False and report["base"] is None
    assert report["stable"] is True


def test_base_never_leaves_a_tipping_figure_alone_and_warns(tmp_path):
    report = export_print(
        leaning_cylinder(), height_mm=100, fmt="stl", base="never", out_path=tmp_path / "a.stl"
    )
    assert report["base_added"] is False and report["stable"] is False
    assert any("tip" in w for w in report["warnings"])
    assert report["triangles"] == len(leaning_cylinder().faces)


def test_open_figure_gets_an_overlapping_base_shell(tmp_path):
    mesh = two_colour_block()
    mesh.update_faces(np.arange(len(mesh.faces)) != 5)  # punch a hole
    report = export_print(mesh, height_mm=HEIGHT, fmt="stl", base="always", out_path=tmp_path / "a.stl")
    assert report["base"]["union"] == "concatenated" and report["warnings"]
    _check_placement(trimesh.load(tmp_path / "a.stl", force="mesh").vertices)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "dwg"}, "unknown format"),
        ({"height_mm": -5}, "positive"),
        ({"height_mm": float("nan")}, "positive"),
        ({"base": "sometimes"}, "base must be"),
        ({"height_mm": 6}, "too small"),
    ],
)
def test_bad_arguments_raise_export_error(tmp_path, kwargs, message):
    arguments = {"height_mm": HEIGHT, "fmt": "stl", "base": "always", "out_path": tmp_path / "a.stl"} | kwargs
    with pytest.raises(ExportError, match=message):
        export_print(two_colour_block(), **arguments)


def test_flat_and_empty_meshes_are_refused(tmp_path):
    flat = trimesh.Trimesh(vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]], process=False)
    with pytest.raises(ExportError, match="flat"):
        export_print(flat, height_mm=HEIGHT, fmt="stl", out_path=tmp_path / "a.stl")
    with pytest.raises(ExportError, match="no triangles"):
        export_print(trimesh.Trimesh(), height_mm=HEIGHT, fmt="stl", out_path=tmp_path / "a.stl")


def test_textured_input_exports_its_colours(tmp_path):
    """A mesh that arrives with a texture (here our own OBJ + palette PNG) keeps its colours in a PLY."""
    export_print(two_colour_block(), height_mm=HEIGHT, fmt="obj", base="never", out_path=tmp_path / "a.obj")
    textured = trimesh.load(tmp_path / "a.obj", force="mesh")
    assert textured.visual.kind == "texture"
    export_print(textured, height_mm=HEIGHT, fmt="ply", base="never", out_path=tmp_path / "b.ply")
    loaded = trimesh.load(tmp_path / "b.ply", force="mesh")
    width = float(np.ptp(loaded.vertices[:, 0]))
    right = loaded.visual.vertex_colors[loaded.vertices[:, 0] > width / 4][:, :3]
    assert np.unique(right, axis=0).tolist() == [RED[:3].tolist()]
