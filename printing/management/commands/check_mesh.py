"""``python manage.py check_mesh PATH [--height-mm H] [--json]``: printability report of a mesh file.

A thin layer over :func:`revisions.checking.check_printability` (the kit's check held to the studio's limits,
:func:`revisions.checking.mesh_check_limits`: walls from the settings, build volumes of the printers that
are not offline, the kit's defaults when the Printer table cannot be read). Exit 0 when printable, 1 when not (after the
report), 2 with one line when the file cannot be read or holds no triangles.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kits.mesh.io import MeshLoadError, load_mesh
from revisions.checking import check_printability

#: The report's keys (DESIGN.md section 5); a file that cannot be read still answers all of them (null).
REPORT_KEYS = (
    "triangles",
    "vertices",
    "watertight",
    "winding_consistent",
    "boundary_edges",
    "non_manifold_edges",
    "shells",
    "self_intersecting_faces",
    "degenerate_faces",
    "volume_mm3",
    "area_mm2",
    "bbox_mm",
    "min_wall_mm",
    "thin_area_mm2",
    "overhang_area_mm2",
    "stable",
)


def unreadable_report(issue: dict[str, Any]) -> dict[str, Any]:
    """The JSON report of a file that could not be read: every key present, nothing measured."""
    return {**dict.fromkeys(REPORT_KEYS), "printable": False, "issues": [issue]}


def format_report(report: dict[str, Any], name: str) -> str:
    """The human-readable report."""
    verdict = "PRINTABLE" if report["printable"] else "NOT PRINTABLE"
    size = report.get("size_mm") or [0, 0, 0]
    lines = [
        f"{name}: {verdict}",
        f"  triangles {report['triangles']:,}  vertices {report['vertices']:,}  shells {report['shells']}",
        f"  size {size[0]:.1f} x {size[1]:.1f} x {size[2]:.1f} mm (scale {report.get('scale', 1.0):.4g})",
        f"  volume {report['volume_mm3']:.1f} mm3  area {report['area_mm2']:.1f} mm2"
        f"  overhang {report['overhang_area_mm2']:.1f} mm2",
        f"  watertight {report['watertight']}  winding consistent {report['winding_consistent']}"
        f"  boundary edges {report['boundary_edges']}  non-manifold edges {report['non_manifold_edges']}",
        f"  self-intersecting faces {report['self_intersecting_faces']}  degenerate faces "
        f"{report['degenerate_faces']}",
        "  min wall "
        + ("n/a" if report["min_wall_mm"] is None else f"{report['min_wall_mm']:.2f} mm")
        + f"  thin area {report['thin_area_mm2']:.1f} mm2",
        f"  stable {report['stable']}" + ("  (needs a base)" if report.get("needs_base") else ""),
    ]
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    if report["issues"]:
        lines.append("issues:")
    for issue in report["issues"]:
        lines.append(f"  [{issue['severity']}] {issue['code']}: {issue['message']}")
        if "bbox_mm" in issue:
            lo, hi = issue["bbox_mm"]
            lines.append(
                f"      where: x {lo[0]:.1f}..{hi[0]:.1f}  y {lo[1]:.1f}..{hi[1]:.1f}  z {lo[2]:.1f}..{hi[2]:.1f} mm"
            )
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Printability report of a GLB/glTF/OBJ/STL/PLY/3MF/OFF mesh (exit 0 printable, 1 not, 2 unreadable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="mesh file")
        parser.add_argument(
            "--height-mm", type=float, default=None, help="scale to this figurine height first"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        height = options.get("height_mm")
        if height is not None and not (0 < height < 10_000):
            raise CommandError("--height-mm must be a positive number of millimetres", returncode=2)
        try:
            loaded = load_mesh(options["path"])
        except MeshLoadError as exc:
            if options.get("json"):
                self.stdout.write(json.dumps(unreadable_report(exc.as_issue())))
            raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from None
        report = check_printability(loaded, height_mm=height)
        report["sha256"] = loaded.sha256
        hopeless = next((i for i in report["issues"] if i["code"] in ("empty", "unreadable")), None)
        if hopeless is not None:
            if options.get("json"):
                self.stdout.write(json.dumps(report))
            raise CommandError(f"{hopeless['code']}: {hopeless['message']}", returncode=2)
        if options.get("json"):
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(format_report(report, options["path"]))
        if not report["printable"]:
            sys.exit(1)
