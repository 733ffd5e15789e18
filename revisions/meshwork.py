"""What the check task does to a revision's mesh, as plain Python over the mesh toolkit (no Django).

``process_revision_mesh(path, ...)`` loads the upload safely, runs the printability checks at the
item's height (held to the ``limits`` it is given: walls and build volumes, see ``revisions.checking``), writes the web GLB, the turntable renders and, when a previous round is given, the
difference from it (millimetre figures and a heatmap GLB). Unreadable files raise ``MeshLoadError``.

Axes and units: the studio's meshes are millimetres, Z up, facing -Y. glTF is metres and Y up by
specification; the toolkit's GLB writer (``kits.mesh.gltf.glb_bytes``) converts the browser files
written here (web GLB, heatmap GLB) to glTF ``(x, y, z) = studio (x, z, -y) / 1000`` and its loader
converts back when reading. The portal's viewer therefore shows the figurine standing, facing the camera,
and converts the positions of pins back to the studio's millimetres and axes (``toStudio`` in the page,
``kits.mesh.axes.gltf_to_studio`` here) before they are stored.

With the web GLB comes the round's AR file (``preview.usdz``, for iPhone Quick Look): the web GLB's mesh (so
AR shows what the viewer shows) scaled to the item's ordered height by :func:`kits.printfiles.usdz.write_ar_usdz`
(metres, ``metersPerUnit`` 1): the customer judges the real size on the table before approving.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from kits.mesh import LoadedMesh, MeshLoadError, load_mesh
from kits.mesh.checks import check_mesh
from kits.mesh.compare import compare_meshes
from kits.mesh.preview import make_web_glb
from kits.mesh.render import render_turntable
from kits.printfiles.placement import ExportError
from kits.printfiles.usdz import write_ar_usdz

TURNTABLE_VIEWS = 8
RENDER_SIZE = 512
WEB_MAX_TRIANGLES = 300_000
HEATMAP_MAX_TRIANGLES = 200_000

Progress = Callable[[str, int], None]


@dataclass
class MeshWork:
    """Everything the check task learned and wrote about one revision's mesh."""

    sha256: str
    format: str
    triangles: int
    vertices: int
    check_report: dict[str, Any]
    web_glb: Path
    web_report: dict[str, Any]
    renders: list[Path] = field(default_factory=list)
    diff_report: dict[str, Any] = field(default_factory=dict)
    heatmap_glb: Path | None = None
    ar_usdz: Path | None = None
    ar_report: dict[str, Any] = field(default_factory=dict)

    @property
    def printable(self) -> bool:
        return bool(self.check_report.get("printable"))

    @property
    def blocking_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.check_report.get("issues", []) if i.get("severity") == "error"]


# ------------------------------------------------------------------------------------------ checks, renders
def check_report(
    loaded: LoadedMesh, *, height_mm: float | None, limits: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The toolkit's printability report (DESIGN.md section 5 keys) at the item's height.

    ``limits``: keyword arguments of :func:`kits.mesh.checks.check_mesh` (``thin_wall_mm``,
    ``fragile_wall_mm``, ``build_volumes_mm``); the toolkit's defaults where left out.
    """
    report = dict(check_mesh(loaded, height_mm=height_mm, **(limits or {})))
    report.setdefault("format", loaded.format)
    return report


def render_views(
    mesh: trimesh.Trimesh, out_dir: Path, *, views: int = TURNTABLE_VIEWS, size: int = RENDER_SIZE
) -> list[Path]:
    """The turntable PNGs (view 0 from the front), by the toolkit's renderer."""
    return [Path(p) for p in render_turntable(mesh, out_dir, views=views, size=size)]


# ------------------------------------------------------------------------------------------ files
def write_web_glb(
    mesh: trimesh.Trimesh, out_path: Path, *, max_triangles: int, height_mm: float | None
) -> dict[str, Any]:
    """The browser GLB (glTF metres, Y up), decimated by the toolkit; deviation reported at the item's height."""
    report = make_web_glb(mesh, out_path, max_triangles=max_triangles, hausdorff_samples=20_000)
    height = float(np.ptp(mesh.vertices[:, 2])) if len(mesh.vertices) else 0.0
    if height_mm and height > 0:
        factor = height_mm / height
        report["hausdorff_mm"] = round(report.get("hausdorff_mm", 0.0) * factor, 4)
        report["mean_deviation_mm"] = round(report.get("mean_deviation_mm", 0.0) * factor, 5)
    report.pop("path", None)
    return report


def write_round_usdz(web_glb: Path, out_path: Path, *, height_mm: float | None) -> dict[str, Any]:
    """The round's AR USDZ from its web GLB (read back to studio mm), ``height_mm`` tall (the mesh's own
    height when None). A mesh the USDZ writer cannot take leaves the AR file out: ``{"error": ...}``."""
    mesh = load_mesh(web_glb).mesh
    own_height = float(np.ptp(mesh.vertices[:, 2])) if len(mesh.vertices) else 0.0
    try:
        report = write_ar_usdz(mesh, height_mm=float(height_mm or own_height), path=out_path)
    except (ExportError, OSError, RuntimeError, ValueError) as exc:  # pxr raises RuntimeError (Tf errors)
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}
    report.pop("path", None)
    return report


def compare_rounds(
    previous: trimesh.Trimesh, current: trimesh.Trimesh, heatmap_path: Path, *, height_mm: float | None
) -> dict[str, Any]:
    """Millimetre figures of the change since the previous round and the heatmap GLB (glTF metres, Y up),
    the same size and place as the round's web GLB so the viewer swaps one for the other."""
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "heatmap_full.glb"
        report = compare_meshes(previous, current, height_mm=height_mm, heatmap_path=raw)
        heat = load_mesh(raw).mesh  # the studio's loader: back to mm, Z up, sRGB
        heat.apply_scale(1.0 / float(report.get("scale") or 1.0))  # back to the mesh's own units
        make_web_glb(heat, heatmap_path, max_triangles=HEATMAP_MAX_TRIANGLES, hausdorff_samples=2_000)
    report["heatmap_path"] = None
    return report


def process_revision_mesh(
    path: str | Path,
    out_dir: str | Path,
    *,
    height_mm: float | None,
    previous_path: str | Path | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    render_size: int = RENDER_SIZE,
    limits: Mapping[str, Any] | None = None,
) -> MeshWork:
    """Load, check, and write the previews of one revision's mesh into ``out_dir``.

    Raises MeshLoadError when the file is unreadable or empty. A previous round that cannot be read
    any more only leaves the difference out (noted in ``diff_report["error"]``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    step = progress or (lambda stage, percent: None)
    step("loading", 5)
    loaded = load_mesh(path, **({"max_bytes": max_bytes} if max_bytes else {}))
    mesh = loaded.mesh
    step("checking", 15)
    report = check_report(loaded, height_mm=height_mm, limits=limits)
    step("web preview", 45)
    web_glb = out_dir / "preview.glb"
    web_report = write_web_glb(mesh, web_glb, max_triangles=WEB_MAX_TRIANGLES, height_mm=height_mm)
    step("AR file", 52)
    ar_usdz = out_dir / "preview.usdz"
    ar_report = write_round_usdz(web_glb, ar_usdz, height_mm=height_mm)
    step("renders", 60)
    render_dir = out_dir / "renders"
    if render_dir.exists():
        shutil.rmtree(render_dir)
    render_dir.mkdir()
    renders = render_views(mesh, render_dir, size=render_size)
    work = MeshWork(
        sha256=loaded.sha256,
        format=loaded.format,
        triangles=int(len(mesh.faces)),
        vertices=int(len(mesh.vertices)),
        check_report=report,
        web_glb=web_glb,
        web_report=web_report,
        renders=renders,
        ar_usdz=None if "error" in ar_report else ar_usdz,
        ar_report=ar_report,
    )
    if previous_path is not None:
        step("comparing", 80)
        try:
            previous = load_mesh(previous_path).mesh
            heatmap = out_dir / "heatmap.glb"
            work.diff_report = compare_rounds(previous, mesh, heatmap, height_mm=height_mm)
            work.heatmap_glb = heatmap
        except (MeshLoadError, ValueError) as exc:
            work.diff_report = {"error": getattr(exc, "message", str(exc))}
    step("storing", 95)
    return work
