"""Import one file with Blender (``bpy``, run by the Blender venv's Python) and print what Blender sees.

``python blender_import.py FILE`` (FBX, STL, GLB or OBJ) prints one JSON line: meshes, vertices, faces,
dimensions, world bounds and mean vertex (Blender's units, Z up), colour attributes, and per material whether its node tree shows a colour attribute or an image.
Run by tests/kits/printfiles/test_blender_import.py; needs no Django and no studio import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy


def main(path: Path) -> dict:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    suffix = path.suffix.lower()
    if suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    elif suffix == ".stl":
        bpy.ops.wm.stl_import(filepath=str(path))
    elif suffix in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=str(path))
    elif suffix == ".obj":  # Blender's defaults: Forward -Z, Up Y
        bpy.ops.wm.obj_import(filepath=str(path))
    else:
        raise SystemExit(f"unsupported {suffix}")
    meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    out: dict = {"meshes": len(meshes)}
    if not meshes:
        return out
    obj = meshes[0]
    mesh = obj.data
    out["vertices"] = len(mesh.vertices)
    out["faces"] = len(mesh.polygons)
    out["dimensions"] = [round(v, 6) for v in obj.dimensions]
    world = [obj.matrix_world @ v.co for v in mesh.vertices]
    out["bounds_min"] = [round(min(p[i] for p in world), 6) for i in range(3)]
    out["bounds_max"] = [round(max(p[i] for p in world), 6) for i in range(3)]
    out["mean"] = [round(sum(p[i] for p in world) / max(1, len(world)), 6) for i in range(3)]
    out["color_attributes"] = [a.name for a in mesh.color_attributes]
    if mesh.color_attributes:
        attribute = mesh.color_attributes[0]
        out["color_domain"] = attribute.domain
        out["first_colors"] = [[round(c, 4) for c in d.color_srgb] for d in list(attribute.data)[:3]]
    materials = []
    for slot in obj.material_slots:
        material = slot.material
        if material is None:
            continue
        nodes = material.node_tree.nodes if material.node_tree else []
        entry: dict = {"name": material.name, "nodes": sorted({n.bl_idname for n in nodes})}
        for link in material.node_tree.links if material.node_tree else []:
            if link.to_socket.name == "Base Color" and link.from_node.bl_idname == "ShaderNodeTexImage":
                image = link.from_node.image
                pixels = list(image.pixels) if image is not None else []
                entry["base_color_image"] = {
                    "size": list(image.size) if image is not None else None,
                    "packed": bool(image is not None and image.packed_file),
                    "colorspace": image.colorspace_settings.name if image is not None else None,
                    "colors": sorted(
                        {tuple(round(c * 255) for c in pixels[i : i + 3]) for i in range(0, len(pixels), 4)}
                    )[:256],
                }
            elif link.to_socket.name == "Base Color":
                entry["base_color_from"] = link.from_node.bl_idname
        materials.append(entry)
    out["materials"] = materials
    return out


if __name__ == "__main__":
    print("BLENDER_JSON " + json.dumps(main(Path(sys.argv[1]))))
