"""USDZ for iOS Quick Look and AR (usd-core's ``pxr``): one textured mesh in metres, Y up, at the real size.

The stage follows USD's and ARKit's conventions: ``upAxis = "Y"``, ``metersPerUnit = 1`` (a 150 mm figurine
is 0.15 units tall, the size AR shows it on the table), a default prim ``/Figurine`` of kind ``component``
holding one ``UsdGeom.Mesh`` (triangles, no subdivision) turned from the studio's axes like glTF
(:data:`kits.mesh.axes.STUDIO_TO_GLTF`: facing +Z, the viewer). Colour is written twice: a vertex
``displayColor`` primvar (linear, as USD colours are) for tools that show it, and a ``UsdPreviewSurface``
material whose diffuse colour is a palette texture (the OBJ writer's palette, sRGB, read through a
face-varying ``st`` primvar), because Quick Look and RealityKit shade materials, not display colours.
The package is made by ``UsdUtils.CreateNewARKitUsdzPackage`` and passes
``UsdUtils.ComplianceChecker(arkit=True)`` (the suite checks it).

:func:`write_ar_usdz` is the one way a figurine becomes an AR file at its real size: placed like the customer's
digital files (:func:`kits.printfiles.placement.place_for_print`, no base: the figure alone scaled to the
ordered height, standing on the ground, centred), then written by :func:`write_usdz`. The portal's preview
of each round (``revisions``) uses it; ``kits.printfiles.digital`` places the approved design the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import trimesh
from pxr import Gf, Kind, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt

from kits.hashing import file_sha256
from kits.mesh.axes import studio_to_gltf
from kits.mesh.colors import face_colors_from_vertices, srgb_to_linear
from kits.printfiles.placement import place_for_print
from kits.printfiles.writers import palette_texture

PALETTE_NAME = "palette.png"


def write_usdz(path: Path, vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> list[Path]:
    """Write ``vertices`` (studio mm, Z up) and ``faces`` as an ARKit USDZ at ``path`` (metres, Y up)."""
    path = Path(path)
    points = studio_to_gltf(vertices).astype(np.float32)
    faces = np.asarray(faces, dtype=np.int32)
    with tempfile.TemporaryDirectory(prefix="usdz-") as folder:
        layer = Path(folder) / "figurine.usdc"
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        root = UsdGeom.Xform.Define(stage, "/Figurine")
        stage.SetDefaultPrim(root.GetPrim())
        Usd.ModelAPI(root.GetPrim()).SetKind(Kind.Tokens.component)

        mesh = UsdGeom.Mesh.Define(stage, "/Figurine/Mesh")
        mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
        mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, dtype=np.int32)))
        mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(faces.reshape(-1)))
        mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
        mesh.CreateDoubleSidedAttr(False)
        lo, hi = points.min(axis=0), points.max(axis=0)
        mesh.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, lo)), Gf.Vec3f(*map(float, hi))]))

        material = UsdShade.Material.Define(stage, "/Figurine/Materials/Resin")
        surface = UsdShade.Shader.Define(stage, "/Figurine/Materials/Resin/Surface")
        surface.CreateIdAttr("UsdPreviewSurface")
        surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.6)
        surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
        material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
        if colors is None:
            surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(0.8, 0.8, 0.8))
        else:
            linear = srgb_to_linear(colors)[:, :3].astype(np.float32)
            display = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
                "displayColor", Sdf.ValueTypeNames.Color3fArray, UsdGeom.Tokens.vertex
            )
            display.Set(Vt.Vec3fArray.FromNumpy(linear))
            image, uvs, face_entry = palette_texture(face_colors_from_vertices(faces, colors))
            image.save(Path(folder) / PALETTE_NAME, optimize=False)
            st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
                "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.faceVarying
            )
            st.Set(Vt.Vec2fArray.FromNumpy(np.repeat(uvs[face_entry], 3, axis=0).astype(np.float32)))
            reader = UsdShade.Shader.Define(stage, "/Figurine/Materials/Resin/StReader")
            reader.CreateIdAttr("UsdPrimvarReader_float2")
            reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
            reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
            texture = UsdShade.Shader.Define(stage, "/Figurine/Materials/Resin/Palette")
            texture.CreateIdAttr("UsdUVTexture")
            texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(f"./{PALETTE_NAME}"))
            texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
            texture.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("clamp")
            texture.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("clamp")
            texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
                reader.ConnectableAPI(), "result"
            )
            texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
            surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(
                texture.ConnectableAPI(), "rgb"
            )
        UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
        stage.GetRootLayer().Save()
        del stage
        if path.exists():
            path.unlink()
        if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(path)):
            raise OSError(f"usd-core could not write the USDZ package {path.name}")
    return [path]


def write_ar_usdz(mesh: trimesh.Trimesh, *, height_mm: float, path: Path) -> dict:
    """``mesh`` (studio mm, Z up, any size) as an ARKit USDZ at ``path``, ``height_mm`` tall in AR.

    Returns ``path, sha256, bytes, triangles, height_m`` (the stage's height in metres: ``height_mm``/1000).
    Raises :class:`kits.printfiles.placement.ExportError` for an empty, flat or non-finite mesh or a bad height.
    """
    path = Path(path)
    placement = place_for_print(mesh, height_mm=float(height_mm), base="never")
    vertices = np.asarray(placement.mesh.vertices, dtype=np.float64)
    faces = np.asarray(placement.mesh.faces, dtype=np.int64)
    write_usdz(path, vertices, faces, placement.colors)
    return {
        "path": str(path),
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "triangles": int(len(faces)),
        "height_m": round(float(np.ptp(vertices[:, 2])) / 1000.0, 6),
    }


def read_usdz_mesh(path: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """The USDZ's mesh as studio coordinates (mm, Z up), its triangles, and the stage's metadata
    (``up_axis``, ``meters_per_unit``, ``display_colors`` linear RGB or None)."""
    stage = Usd.Stage.Open(str(path))
    meshes = [UsdGeom.Mesh(p) for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)]
    if len(meshes) != 1:
        raise ValueError(f"{path.name} holds {len(meshes)} meshes, not one")
    mesh = meshes[0]
    metres = np.asarray(mesh.GetPointsAttr().Get(), dtype=np.float64) * UsdGeom.GetStageMetersPerUnit(stage)
    counts = np.asarray(mesh.GetFaceVertexCountsAttr().Get())
    if not (counts == 3).all():
        raise ValueError(f"{path.name} holds polygons other than triangles")
    faces = np.asarray(mesh.GetFaceVertexIndicesAttr().Get(), dtype=np.int64).reshape(-1, 3)
    x, y, z = metres[:, 0], metres[:, 1], metres[:, 2]
    studio = np.column_stack([x, -z, y]) * 1000.0
    display = UsdGeom.PrimvarsAPI(mesh).GetPrimvar("displayColor")
    colours = np.asarray(display.Get()) if display and display.HasValue() else None
    meta = {
        "up_axis": str(UsdGeom.GetStageUpAxis(stage)),
        "meters_per_unit": float(UsdGeom.GetStageMetersPerUnit(stage)),
        "display_colors": colours,
        "default_prim": str(stage.GetDefaultPrim().GetPath()),
    }
    return studio, faces, meta
