"""VRML print files: the tray report counts real triangles, and 8-bit colours survive a VRML reader.

The tray WRL report used to count ``"-1"`` substrings, which also match negative coordinates; the colours
were written to 4 decimals, so MeshLab (which truncates ``c * 255``) read 20 as 19.
"""

from __future__ import annotations

import numpy as np
import pymeshlab
import pytest
import trimesh

from kits.printfiles import export_print, read_wrl
from kits.printfiles.tray_render import TraySource, build_tray_file, read_print_file
from kits.printfiles.vrml import count_triangles, vrml_color_components, write_wrl


def _sphere_sources(folder, count=3):
    """Print files of spheres centred on x = y = 0: half their coordinates are negative."""
    out, real = [], 0
    for i in range(count):
        sphere = trimesh.creation.icosphere(subdivisions=2 + i % 2, radius=10.0 + i)
        sphere.visual.vertex_colors = np.tile([20, 128, 230, 255], (len(sphere.vertices), 1))
        path = folder / f"s{i}.wrl"
        report = export_print(sphere, height_mm=20.0 + 2 * i, fmt="wrl", base="never", out_path=path)
        assert report["bbox_min_mm"][0] < 0 and report["bbox_min_mm"][1] < 0
        real += report["triangles"]
        w, d = report["bbox_mm"][:2]
        part = {"key": str(i), "x": 5.0 + 40 * i, "y": 5.0, "width": w, "depth": d, "rotated": False}
        out.append(TraySource(path, "wrl", part, report["bbox_min_mm"], report["bbox_max_mm"]))
    return out, real


def test_tray_wrl_reports_the_real_triangle_count_with_negative_coordinates(tmp_path):
    sources, real = _sphere_sources(tmp_path)
    text = sources[0].path.read_text()
    assert text.count("-1") > text.count(", -1,")  # negative coordinates hold "-1" substrings too
    report = build_tray_file(sources, tmp_path / "tray.wrl", fmt="wrl")
    assert report["method"] == "transforms"
    assert report["triangles"] == real == sum(len(read_wrl(s.path)[1]) for s in sources)
    # the tray file read back as one mesh by the reader of the tray's own parts
    assert count_triangles((tmp_path / "tray.wrl").read_text()) == real


@pytest.mark.parametrize(
    ("index_list", "expected"),
    [
        ("0, 1, 2, -1, 2, 3, 0, -1", 2),  # triangles
        ("0 1 2 3 -1 4 5 6 -1", 3),  # a quad is two triangles (fan), as read_wrl reads it
        ("0, 1, 2, -1, 3, 4, 5", 2),  # the last -1 is optional
        ("0, 1, -1, 2, 3, 4, -1", 1),  # a two-corner polygon is no triangle
        ("", 0),
    ],
)
def test_count_triangles_follows_the_index_tokens(index_list, expected):
    text = "#VRML V2.0 utf8\n# coordIndex [ 9 9 9 -1 ] in a comment\nShape { geometry IndexedFaceSet {\n"
    text += f"coord Coordinate {{ point [ -1 -1 -1, -1.5 -10 -1 ] }}\ncoordIndex [ {index_list} ]\n}} }}\n"
    assert count_triangles(text) == expected


def test_every_8_bit_value_survives_the_wrl_through_meshlab_and_our_reader(tmp_path):
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=10.0)
    values = np.arange(len(mesh.vertices)) % 256
    colors = np.column_stack(
        [values, (values + 20) % 256, np.full_like(values, 20), np.full_like(values, 255)]
    )
    colors = colors.astype(np.uint8)
    path = tmp_path / "c.wrl"
    write_wrl(path, mesh.vertices, mesh.faces, colors)

    meshset = pymeshlab.MeshSet()  # MeshLab's own VRML importer: it truncates c * 255
    meshset.load_new_mesh(str(path))
    read = meshset.current_mesh().vertex_color_matrix()[:, :3] * 255
    np.testing.assert_array_equal(np.rint(read).astype(int), colors[:, :3])
    np.testing.assert_array_equal(np.floor(read + 1e-9).astype(int), colors[:, :3])

    _v, _f, ours = read_wrl(path)
    assert np.floor(ours[values == 20][0] * 255)[0] == 20  # truncated: 20, not 19
    np.testing.assert_array_equal(read_print_file(path, "wrl")[2][:, :3], colors[:, :3])


def test_colour_components_stay_in_range_and_next_to_the_exact_value():
    components = vrml_color_components(np.column_stack([np.arange(256)] * 3))
    assert components[0, 0] == 0.0 and components[255, 0] == 1.0
    exact = np.arange(256) / 255.0
    assert (components[:, 0] >= exact).all() and (components[:, 0] - exact < 2e-6).all()
    assert (np.floor(components[:, 0].astype(np.float32) * np.float32(255)) == np.arange(256)).all()
