"""Safe loading: every format, colours, and every hostile file refused cleanly."""

from __future__ import annotations

import builtins
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from kits.hashing import file_sha256
from kits.mesh import MeshLoadError, load_mesh
from kits.mesh.gltf import glb_bytes
from tests.kits.mesh.meshes import box, figurine

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def colored() -> trimesh.Trimesh:
    mesh = trimesh.creation.icosphere(2, radius=10.0)
    mesh = trimesh.Trimesh(mesh.vertices + [0, 0, 10], mesh.faces, process=False)
    colors = np.zeros((len(mesh.vertices), 4), dtype=np.uint8)
    colors[:, 0] = 200
    colors[:, 1] = (np.arange(len(colors)) % 7) * 30
    colors[:, 3] = 255
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


@pytest.mark.parametrize("ext", ["stl", "ply", "obj", "off", "3mf", "glb"])
def test_every_format_loads_with_the_same_geometry(
    tmp_path: Path, colored: trimesh.Trimesh, ext: str
) -> None:
    path = tmp_path / f"mesh.{ext}"
    colored.export(path)
    loaded = load_mesh(path)
    assert len(loaded.mesh.faces) == len(colored.faces)
    assert len(loaded.mesh.vertices) == len(colored.vertices)
    assert loaded.mesh.is_watertight
    assert loaded.issues == []
    assert loaded.size_bytes == path.stat().st_size
    assert loaded.sha256 == file_sha256(path)
    if ext != "glb":  # glTF is Y up: the loader turns it to the studio's Z up
        np.testing.assert_allclose(loaded.mesh.bounds, colored.bounds, atol=1e-4)


def test_ascii_stl_and_embedded_gltf(tmp_path: Path) -> None:
    mesh = box()
    ascii_path = tmp_path / "box.stl"
    ascii_path.write_text(trimesh.exchange.stl.export_stl_ascii(mesh))
    loaded = load_mesh(ascii_path)
    assert loaded.format == "stl_ascii" and len(loaded.mesh.faces) == 12 and loaded.mesh.is_watertight
    files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(mesh), embed_buffers=True)
    gltf_path = tmp_path / "box.gltf"
    gltf_path.write_bytes(files["model.gltf"])
    loaded = load_mesh(gltf_path)
    assert loaded.format == "gltf" and len(loaded.mesh.faces) == 12


def test_gltf_metres_y_up_become_millimetres_z_up(tmp_path: Path) -> None:
    # a sculptor's GLB as any glTF tool writes it: metres, Y up (here 30 mm tall, 2 mm wide, 4 mm deep)
    tall_in_y = box(extents=(0.002, 0.030, 0.004), center=(0, 0.015, 0))
    path = tmp_path / "tall.glb"
    path.write_bytes(trimesh.exchange.gltf.export_glb(trimesh.Scene(tall_in_y)))
    mesh = load_mesh(path).mesh
    np.testing.assert_allclose(np.ptp(mesh.vertices, axis=0), [2, 4, 30], atol=1e-5)
    assert mesh.vertices[:, 2].min() == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("ext", ["ply", "obj", "glb"])
def test_vertex_colours_survive(tmp_path: Path, colored: trimesh.Trimesh, ext: str) -> None:
    path = tmp_path / f"c.{ext}"
    if ext == "glb":  # the studio's writer: glTF's COLOR_0 is linear (trimesh's writer puts sRGB bytes there)
        path.write_bytes(glb_bytes(colored))
    else:
        colored.export(path)
    loaded = load_mesh(path)
    assert loaded.has_color
    assert loaded.mesh.visual.kind == "vertex"
    got = np.asarray(loaded.mesh.visual.vertex_colors)[:, :3].astype(int)
    want = np.asarray(colored.visual.vertex_colors)[:, :3].astype(int)
    # vertex order is kept by every format here
    assert np.abs(got - want).max() <= 2


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "really_a_ply.stl"
    box().export(path, file_type="ply")
    assert load_mesh(path).format == "ply"


def test_texture_colour_is_baked_to_vertex_colours(tmp_path: Path) -> None:
    mesh = box()
    uv = np.tile([[0.25, 0.25]], (len(mesh.vertices), 1))
    image = Image.new("RGB", (8, 8), (10, 200, 30))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=image)
    path = tmp_path / "textured.glb"
    path.write_bytes(trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh)))
    loaded = load_mesh(path)
    assert loaded.has_color
    colors = np.asarray(loaded.mesh.visual.vertex_colors)
    assert abs(int(colors[:, 1].mean()) - 200) < 10


# ------------------------------------------------------------------------------------ hostile files
def _refused(path: Path, code: str = "unreadable") -> MeshLoadError:
    with pytest.raises(MeshLoadError) as info:
        load_mesh(path)
    assert info.value.code == code
    assert "\n" not in info.value.message and info.value.message
    return info.value


def test_lying_binary_stl_header(tmp_path: Path) -> None:
    data = bytearray(box().export(file_type="stl"))
    data[80:84] = struct.pack("<I", 400_000_000)
    path = tmp_path / "liar.stl"
    path.write_bytes(bytes(data))
    err = _refused(path)
    assert "400000000" in err.message


def test_zip_bomb_3mf(tmp_path: Path) -> None:
    path = tmp_path / "bomb.3mf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b"<model>" + b" " * (60 * 1024 * 1024) + b"</model>")
    err = _refused(path)
    assert "zip bomb" in err.message or "limit" in err.message


def test_zip_member_sizes_that_lie_are_caught_while_inflating(tmp_path: Path) -> None:
    path = tmp_path / "small.3mf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", os.urandom(300_000))
    with pytest.raises(MeshLoadError) as info:
        load_mesh(path, max_unpacked_bytes=100_000)
    assert info.value.code == "unreadable"


@pytest.mark.parametrize("uri", ["/etc/passwd", "file:///etc/passwd", "http://example.com/b.bin", "../x.bin"])
def test_gltf_with_external_buffer_is_refused(tmp_path: Path, uri: str) -> None:
    files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(box()), embed_buffers=True)
    header = json.loads(files["model.gltf"])
    header["buffers"][0]["uri"] = uri
    path = tmp_path / "external.gltf"
    path.write_text(json.dumps(header))
    err = _refused(path)
    assert "external" in err.message


class _OpenSpy:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.real = builtins.open

    def __call__(self, file, *args, **kwargs):  # noqa: ANN001
        self.paths.append(str(file))
        return self.real(file, *args, **kwargs)


def test_obj_mtllib_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.mtl"
    secret.write_text("newmtl x\nKd 1 0 0\n")
    path = tmp_path / "sneaky.obj"
    path.write_text(
        f"mtllib /etc/passwd\nmtllib {secret}\nusemtl x\n"
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 2 3 4\nf 3 1 4\n"
    )
    spy = _OpenSpy()
    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    loaded = load_mesh(path)
    assert len(loaded.mesh.faces) == 4
    assert not loaded.has_color
    assert any("mtllib" in note for note in loaded.notes)
    assert all("passwd" not in p and "secret" not in p for p in spy.paths)


def test_nan_coordinates_are_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "nan.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 1\nv 0 0 inf\nf 1 2 3\nf 1 3 4\nf 1 2 5\n")
    loaded = load_mesh(path)
    codes = [(i["code"], i.get("kind")) for i in loaded.issues]
    assert ("invalid_coordinates", "non_finite") in codes
    assert np.isfinite(loaded.mesh.vertices).all()
    assert len(loaded.mesh.faces) == 1


def test_out_of_range_indices_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "range.off"
    path.write_text("OFF\n4 3 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0 1 7\n3 0 2 -5\n")
    loaded = load_mesh(path)
    issue = next(i for i in loaded.issues if i.get("kind") == "index_out_of_range")
    assert issue["count"] == 2 and issue["severity"] == "error"
    assert len(loaded.mesh.faces) == 1


def test_only_bad_faces_means_empty(tmp_path: Path) -> None:
    path = tmp_path / "allbad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n")
    _refused(path, "empty")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.stl"
    path.write_bytes(b"")
    _refused(path, "empty")


def test_mesh_without_triangles(tmp_path: Path) -> None:
    path = tmp_path / "points.obj"
    path.write_text("v 0 0 0\nv 1 0 0\n")
    _refused(path, "empty")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.glb"
    path.write_bytes(np.random.default_rng(1).bytes(10_000))
    _refused(path)


def test_png_named_stl(tmp_path: Path) -> None:
    path = tmp_path / "photo.stl"
    Image.new("RGB", (16, 16), (255, 0, 0)).save(path, format="PNG")
    err = _refused(path)
    assert "PNG" in err.message


def test_truncated_glb_and_bad_json(tmp_path: Path) -> None:
    data = trimesh.exchange.gltf.export_glb(trimesh.Scene(box()))
    path = tmp_path / "cut.glb"
    path.write_bytes(data[:60])
    _refused(path)
    path = tmp_path / "bad.gltf"
    path.write_text('{"asset": {"version": "2.0"}, "meshes": [')
    _refused(path)


def test_declared_counts_beyond_the_file(tmp_path: Path) -> None:
    ply = tmp_path / "huge.ply"
    ply.write_bytes(
        b"ply\nformat binary_little_endian 1.0\nelement vertex 900000000\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\n"
        b"end_header\n" + b"\x00" * 64
    )
    _refused(ply)
    off = tmp_path / "huge.off"
    off.write_text("OFF\n50000000 90000000 0\n0 0 0\n")
    _refused(off)


def test_size_and_face_caps(tmp_path: Path) -> None:
    path = tmp_path / "fig.stl"
    figurine().export(path)
    with pytest.raises(MeshLoadError):
        load_mesh(path, max_bytes=1000)
    with pytest.raises(MeshLoadError):
        load_mesh(path, max_faces=100)


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.stl")


def _write_3mf(
    path: Path, mesh: trimesh.Trimesh, colors: np.ndarray | None, unit: str = "millimeter"
) -> None:
    rows = ["<?xml version='1.0' encoding='UTF-8'?>"]
    rows.append(
        f'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" '
        'xmlns:m="http://schemas.microsoft.com/3dmanufacturing/material/2015/02"><resources>'
    )
    if colors is not None:
        rows.append('<m:colorgroup id="1">')
        rows += [f'<m:color color="#{r:02X}{g:02X}{b:02X}FF"/>' for r, g, b in colors]
        rows.append("</m:colorgroup>")
    rows.append('<object id="2" type="model"><mesh><vertices>')
    rows += [f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in mesh.vertices]
    rows.append("</vertices><triangles>")
    for a, b, c in mesh.faces:
        extra = f' pid="1" p1="{a}" p2="{b}" p3="{c}"' if colors is not None else ""
        rows.append(f'<triangle v1="{a}" v2="{b}" v3="{c}"{extra}/>')
    rows.append('</triangles></mesh></object></resources><build><item objectid="2"/></build></model>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", "".join(rows))


def test_3mf_colour_groups_become_vertex_colours(tmp_path: Path) -> None:
    mesh = box()
    colors = np.array([[255, 0, 0], [0, 255, 0]] * 4, dtype=np.uint8)
    path = tmp_path / "colour.3mf"
    _write_3mf(path, mesh, colors)
    loaded = load_mesh(path)
    assert loaded.has_color and loaded.mesh.is_watertight
    np.testing.assert_array_equal(np.asarray(loaded.mesh.visual.vertex_colors)[:, :3], colors)


def test_3mf_units_are_converted_to_mm(tmp_path: Path) -> None:
    mesh = box(extents=(0.01, 0.02, 0.03), center=(0, 0, 0.015))
    path = tmp_path / "metres.3mf"
    _write_3mf(path, mesh, None, unit="meter")
    np.testing.assert_allclose(np.ptp(load_mesh(path).mesh.vertices, axis=0), [10, 20, 30], atol=1e-9)


def test_3mf_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.3mf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "3D/3dmodel.model",
            '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><model>&b;</model>',
        )
    _refused(path)


def test_polygons_are_triangulated(tmp_path: Path) -> None:
    obj = tmp_path / "quads.obj"
    obj.write_text(
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"
        "f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf -5 -8 -4 -1\n"
    )
    loaded = load_mesh(obj)
    assert len(loaded.mesh.faces) == 12 and loaded.mesh.is_watertight and loaded.mesh.is_winding_consistent
    off = tmp_path / "quads.off"
    off.write_text(
        "OFF\n8 6 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 0 1\n1 0 1\n1 1 1\n0 1 1\n"
        "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 1 2 6 5\n4 2 3 7 6\n4 3 0 4 7\n"
    )
    loaded = load_mesh(off)
    assert len(loaded.mesh.faces) == 12 and loaded.mesh.is_watertight
    ply = tmp_path / "quads.ply"
    trimesh.Trimesh(loaded.mesh.vertices, loaded.mesh.faces).export(ply)
    assert load_mesh(ply).mesh.is_watertight


def test_ply_texture_comment_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = box()
    lines = [
        "ply",
        "format ascii 1.0",
        "comment TextureFile /etc/passwd",
        f"element vertex {len(mesh.vertices)}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(mesh.faces)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    lines += [f"{x} {y} {z}" for x, y, z in mesh.vertices]
    lines += [f"3 {a} {b} {c}" for a, b, c in mesh.faces]
    path = tmp_path / "texture.ply"
    path.write_text("\n".join(lines) + "\n")
    spy = _OpenSpy()
    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    loaded = load_mesh(path)
    assert len(loaded.mesh.faces) == 12
    assert all("passwd" not in p for p in spy.paths)


def test_gltf_external_image_is_ignored_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = box()
    uv = np.tile([[0.5, 0.5]], (len(mesh.vertices), 1))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (4, 4), (9, 9, 9)))
    files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(mesh), embed_buffers=True)
    header = json.loads(files["model.gltf"])
    for image in header.get("images", []):
        image.pop("bufferView", None)
        image["uri"] = "/etc/passwd"
    path = tmp_path / "image.gltf"
    path.write_text(json.dumps(header))
    spy = _OpenSpy()
    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    loaded = load_mesh(path)
    assert len(loaded.mesh.faces) == 12
    assert any("texture" in note for note in loaded.notes)
    assert all("passwd" not in p for p in spy.paths)


def test_sniff_head_agrees_with_the_whole_file_sniff() -> None:
    """An upload's first bytes and its size name the same format as the whole file (or none)."""
    import io as _io

    import trimesh

    from kits.mesh.sniff import HEAD_BYTES, sniff_format, sniff_head

    sphere = trimesh.creation.icosphere(subdivisions=6)  # binary STL of ~4 MB: longer than the head
    for file_type in ("stl", "ply", "glb", "obj", "off"):
        buffer = _io.BytesIO()
        sphere.export(buffer, file_type=file_type)
        data = buffer.getvalue()
        assert sniff_head(data[:HEAD_BYTES], len(data)) == sniff_format(data) is not None
    stl = _io.BytesIO()
    sphere.export(stl, file_type="stl")
    data = stl.getvalue()
    assert sniff_head(data[:HEAD_BYTES], len(data) + 7) is None  # the header count no longer fits the size
    noise = bytes(range(256)) * 4096
    assert sniff_head(noise[:HEAD_BYTES], len(noise)) is None
    assert sniff_head(b"\x00" * HEAD_BYTES, 1 << 26) is None
