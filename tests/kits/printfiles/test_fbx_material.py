"""The FBX print/game file carries a material whose diffuse colour is the embedded palette texture.

Structure as our reader sees it here; what Blender makes of it is in test_blender_import.py.
"""

from __future__ import annotations

import io

import numpy as np
import trimesh
from PIL import Image

from kits.printfiles.fbx import MATERIAL_ID, TEXTURE_ID, VIDEO_ID, parse_fbx, read_fbx_mesh, write_fbx


def _coloured_sphere():
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=10.0)
    colors = np.tile([230, 20, 20, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    colors[mesh.vertices[:, 0] > 0] = [20, 40, 200, 255]
    return mesh, colors


def _objects_and_connections(path):
    _version, nodes = parse_fbx(path.read_bytes())
    objects = next(n for n in nodes if n.name == "Objects")
    links = [
        tuple(v for _c, v in c.props) for c in next(n for n in nodes if n.name == "Connections").children
    ]
    return nodes, objects, links


def test_coloured_fbx_has_a_lambert_material_with_the_palette_texture(tmp_path):
    mesh, colors = _coloured_sphere()
    path = tmp_path / "s.fbx"
    write_fbx(path, mesh.vertices, mesh.faces, colors)
    nodes, objects, links = _objects_and_connections(path)
    model_id = objects.find("Model").props[0][1]
    material = objects.find("Material")
    assert material.props[0][1] == MATERIAL_ID and material.find("ShadingModel").props[0][1] == "lambert"
    assert ("OO", MATERIAL_ID, model_id) in links
    assert ("OP", TEXTURE_ID, MATERIAL_ID, "DiffuseColor") in links and ("OO", VIDEO_ID, TEXTURE_ID) in links
    geometry = objects.find("Geometry")
    layer_material = geometry.find("LayerElementMaterial")
    assert layer_material.find("MappingInformationType").props[0][1] == "AllSame"
    assert list(layer_material.find("Materials").props[0][1]) == [0]
    layer_types = {e.find("Type").props[0][1] for e in geometry.find("Layer").find_all("LayerElement")}
    assert layer_types == {"LayerElementMaterial", "LayerElementColor", "LayerElementUV"}
    # the embedded PNG holds the face colours; each corner's UV samples its face's colour
    image = np.asarray(
        Image.open(io.BytesIO(objects.find("Video").find("Content").props[0][1])).convert("RGB")
    )
    uv_layer = geometry.find("LayerElementUV")
    uv = np.asarray(uv_layer.find("UV").props[0][1]).reshape(-1, 2)[
        np.asarray(uv_layer.find("UVIndex").props[0][1])
    ]
    h, w = image.shape[:2]
    texel = image[((1 - uv[:, 1]) * h).astype(int).clip(0, h - 1), (uv[:, 0] * w).astype(int).clip(0, w - 1)]
    face_mean = np.rint(colors[mesh.faces][:, :, :3].astype(float).mean(axis=1)).astype(np.uint8)
    np.testing.assert_array_equal(texel.reshape(-1, 3, 3)[:, 0], face_mean)
    definitions = next(n for n in nodes if n.name == "Definitions")
    assert {"Material", "Texture", "Video"} <= {o.props[0][1] for o in definitions.find_all("ObjectType")}
    # the studio's own reader still reads the mesh and its vertex colours
    vertices, faces, read_colors = read_fbx_mesh(path)
    assert len(vertices) == len(mesh.vertices) and len(faces) == len(mesh.faces)
    np.testing.assert_array_equal(np.rint(read_colors[:, :3] * 255).astype(np.uint8), colors[:, :3])


def test_uncoloured_fbx_still_has_a_grey_material_and_no_texture(tmp_path):
    mesh, _colors = _coloured_sphere()
    path = tmp_path / "g.fbx"
    write_fbx(path, mesh.vertices, mesh.faces, None)
    _nodes, objects, links = _objects_and_connections(path)
    assert objects.find("Material") is not None and objects.find("Texture") is None
    assert ("OO", MATERIAL_ID, objects.find("Model").props[0][1]) in links
    vertices, faces, colors = read_fbx_mesh(path)
    assert len(faces) == len(mesh.faces) and colors is None
