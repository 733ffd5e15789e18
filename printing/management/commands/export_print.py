"""``python manage.py export_print MESH --height-mm H --format FMT [--base auto|always|never] --out PATH``.

A thin layer over :func:`kits.printfiles.export_print`, held to :func:`revisions.checking.mesh_check_limits`
(walls from the settings, the printers' build volumes). The verdict is the one of ``check_mesh`` on the
written file (``printable`` and ``issues``, the same codes): exit 0 when the print file is written and
printable, 1 when it was written but is not (open surface, fragile walls, self-intersections, too big
for every printer...; tipping over only warns, as in ``check_mesh``), 2 on an unreadable mesh or bad
arguments (one line, no traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kits.mesh.io import MeshLoadError, load_mesh
from kits.printfiles import BASE_MODES, FORMATS, ExportError, export_print
from revisions.checking import mesh_check_limits


class Command(BaseCommand):
    help = "Write a print file: scaled to the ordered height (base included), Z up, standing on z = 0."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mesh", help="GLB/glTF/OBJ/STL/PLY/3MF/OFF file")
        parser.add_argument("--height-mm", type=float, required=True, help="figurine height, base included")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--base", default="auto", choices=BASE_MODES)
        parser.add_argument(
            "--out", required=True, help="output file (OBJ also writes .mtl and .png beside it)"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options) -> None:
        out = Path(options["out"])
        if options["height_mm"] <= 0 or options["height_mm"] != options["height_mm"]:
            raise CommandError(
                f"--height-mm must be a positive number, not {options['height_mm']}", returncode=2
            )
        if not out.parent.is_dir():
            raise CommandError(f"output folder {str(out.parent)!r} does not exist", returncode=2)
        try:
            loaded = load_mesh(options["mesh"])
        except MeshLoadError as exc:
            raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from None
        try:
            report = export_print(
                loaded.mesh,
                height_mm=options["height_mm"],
                fmt=options["fmt"],
                base=options["base"],
                out_path=out,
                check_limits=mesh_check_limits().check_kwargs(),
            )
        except ExportError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}", returncode=2) from None
        report["source"] = {"path": str(options["mesh"]), "sha256": loaded.sha256, "format": loaded.format}
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            base = "with base" if report["base_added"] else "no base"
            self.stdout.write(
                f"{report['format'].upper()} {report['path']}: {report['height_mm']:g} mm tall ({base}: "
                f"{report['base_reason']}), {report['triangles']} triangles, "
                f"volume {report['volume_mm3'] if report['volume_mm3'] is not None else 'n/a'} mm3, "
                f"sha256 {report['sha256'][:16]}..."
            )
            self.stdout.write("PRINTABLE" if report["printable"] else "NOT PRINTABLE")
            for issue in report["issues"]:
                self.stdout.write(f"  [{issue['severity']}] {issue['code']}: {issue['message']}")
            for warning in report["warnings"]:
                self.stdout.write(f"warning: {warning}")
        if not report["printable"]:
            sys.exit(1)
