"""``python manage.py reconstruct PHOTO... --out MESH``: photos to a coloured, watertight base mesh.

The report carries the studio's one printability verdict on the written mesh (``printable``, ``issues``,
``min_wall_mm``...: :func:`revisions.checking.check_printability`, as ``check_mesh`` would judge the file):
exit 0 when printable, 1 when not (the mesh is still written; a base mesh with fragile parts says so),
2 on bad arguments or unreadable photos.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kits.mesh.gltf import glb_bytes
from kits.mesh.io import MeshLoadError, load_mesh
from kits.photo.intake import PhotoRejected, open_photo
from reconstruction.core.types import BACKENDS, DEVICES, PHOTO_KINDS, PRODUCT_LINES, STYLES
from revisions.checking import check_printability, verdict_summary

#: Argument ranges checked before any photo is read (a bad argument exits 2, as DESIGN asks).
HEIGHT_RANGE_MM = (10.0, 1000.0)
MIN_TRIANGLES = 500

MESH_SUFFIXES = (".ply", ".glb", ".obj", ".stl", ".off")


def _load_photo(path: str):
    """EXIF-oriented pixels of a photo through the studio's safe loader (exit 2 when unreadable)."""
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file", returncode=2)
    try:
        return open_photo(path).array
    except PhotoRejected as exc:
        raise CommandError(f"{path}: {exc}", returncode=2) from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc})", returncode=2) from exc


def _check_arguments(opts: dict) -> None:
    """Refuse out-of-range numbers and unknown backends/devices with exit 2 (one line)."""
    low, high = HEIGHT_RANGE_MM
    if not low <= opts["height_mm"] <= high:  # also refuses nan
        raise CommandError(f"--height-mm must be between {low:g} and {high:g}", returncode=2)
    if opts["triangles"] is not None and opts["triangles"] < MIN_TRIANGLES:
        raise CommandError(f"--triangles must be at least {MIN_TRIANGLES}", returncode=2)
    if opts["backend"] and opts["backend"] not in BACKENDS:
        raise CommandError(
            f"unknown backend {opts['backend']!r}; expected {', '.join(BACKENDS)}", returncode=2
        )
    if opts["device"] and opts["device"] not in DEVICES:
        raise CommandError(f"unknown device {opts['device']!r}; expected {', '.join(DEVICES)}", returncode=2)


class Command(BaseCommand):
    help = "Reconstruct a coloured, watertight base mesh (mm, Z up, facing -Y) from customer photos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("photos", nargs="+", metavar="PHOTO")
        parser.add_argument(
            "--out", required=True, help="output mesh (.ply keeps vertex colours; .glb, .obj)"
        )
        parser.add_argument(
            "--kinds", help="comma-separated kinds in photo order (default: front, then side...)"
        )
        parser.add_argument("--style", default="realistic", help="realistic | chibi")
        parser.add_argument("--product-line", default="solo", help=" | ".join(PRODUCT_LINES))
        parser.add_argument("--height-mm", type=float, default=150.0)
        parser.add_argument("--backend", default=None, help="builtin | checkpoint (default: settings)")
        parser.add_argument("--device", default=None, help="auto | cpu | cuda (default: settings)")
        parser.add_argument(
            "--checkpoint", default=None, help="TorchScript checkpoint for the checkpoint backend"
        )
        parser.add_argument("--triangles", type=int, default=None, help="triangle budget")
        parser.add_argument(
            "--persons",
            type=int,
            default=None,
            help="persons of a couple or family, one figure each (default: the highest --persons-of)",
        )
        parser.add_argument(
            "--persons-of",
            help="comma-separated person numbers (1-based) in photo order, for couples and families",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **opts) -> None:
        from reconstruction.core.pipeline import reconstruct
        from reconstruction.core.types import PhotoInput, ReconstructionError

        paths: list[str] = opts["photos"]
        out = Path(opts["out"])
        if out.suffix.lower() not in MESH_SUFFIXES:
            raise CommandError(f"--out must end in one of {', '.join(MESH_SUFFIXES)}", returncode=2)
        if opts["kinds"]:
            kinds = [k.strip() for k in opts["kinds"].split(",") if k.strip()]
            if len(kinds) != len(paths):
                raise CommandError(f"--kinds names {len(kinds)} kinds for {len(paths)} photos", returncode=2)
        else:
            kinds = ["front"] + ["side"] * (len(paths) - 1)
        bad = [k for k in kinds if k not in PHOTO_KINDS]
        if bad:
            raise CommandError(
                f"unknown photo kind {bad[0]!r}; expected {', '.join(PHOTO_KINDS)}", returncode=2
            )
        if opts["style"] not in STYLES:
            raise CommandError(f"unknown style {opts['style']!r}; expected {', '.join(STYLES)}", returncode=2)
        if opts["product_line"] not in PRODUCT_LINES:
            raise CommandError(
                f"unknown product line {opts['product_line']!r}; expected {', '.join(PRODUCT_LINES)}",
                returncode=2,
            )
        _check_arguments(opts)
        owners = [0] * len(paths)
        if opts["persons_of"]:
            try:
                owners = [int(n) - 1 for n in opts["persons_of"].split(",") if n.strip()]
            except ValueError:
                raise CommandError("--persons-of takes person numbers, e.g. 1,1,2,2", returncode=2) from None
            if len(owners) != len(paths) or min(owners) < 0:
                raise CommandError(
                    f"--persons-of needs one person number (1 or more) for each of the {len(paths)} photos",
                    returncode=2,
                )
        persons = opts["persons"] if opts["persons"] is not None else max(owners) + 1
        if not 1 <= persons <= 20 or max(owners) + 1 > persons:
            raise CommandError("--persons must be 1..20 and cover every number in --persons-of", returncode=2)
        photos = [
            PhotoInput(_load_photo(p), k, person=n) for p, k, n in zip(paths, kinds, owners, strict=True)
        ]
        budget = opts["triangles"] or getattr(settings, "RECONSTRUCTION_TRIANGLE_BUDGET", 200_000)
        try:
            result = reconstruct(
                photos,
                product_line=opts["product_line"],
                height_mm=opts["height_mm"],
                style=opts["style"],
                backend=opts["backend"] or getattr(settings, "RECONSTRUCTION_BACKEND", "builtin"),
                device=opts["device"] or getattr(settings, "RECONSTRUCTION_DEVICE", "auto"),
                checkpoint_path=opts["checkpoint"]
                or getattr(settings, "RECONSTRUCTION_CHECKPOINT", None)
                or None,
                triangle_budget=int(budget),
                persons=persons,
            )
        except ReconstructionError as exc:
            report = {"ok": False, "error": str(exc), "photos": paths}
            self._print(report, opts["json"], error=str(exc))
            sys.exit(1)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".glb":
            # glTF is metres, Y up: the studio's one GLB writer converts the mesh, so every reader and viewer
            # sees it standing at its real size (a raw trimesh export would lie on its back, 1000x too big).
            out.write_bytes(glb_bytes(result.mesh))
        else:
            result.mesh.export(out)
        # the one printability verdict, on the file as written (it stands at --height-mm already)
        try:
            check = verdict_summary(check_printability(load_mesh(out)))
        except MeshLoadError as exc:
            check = {"printable": False, "issues": [exc.as_issue()]}
        report = {"ok": True, "out": str(out), **result.report, **check}
        self._print(report, opts["json"])
        if not report["printable"]:
            sys.exit(1)

    def _print(self, report: dict, as_json: bool, error: str | None = None) -> None:
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        if error:
            self.stderr.write(f"reconstruction failed: {error}")
            return
        r = report
        views = ", ".join(
            f"{v['kind']}{' close-up' if v.get('close_up') else ''}"
            f" ({'+'.join(v.get('used_for', [])) or 'not used'})"
            for v in r["views"]
        )
        self.stdout.write(
            f"{r['out']}: {r['triangles']} triangles, {'watertight' if r['watertight'] else 'NOT watertight'}, "
            f"bbox {' x '.join(f'{v:.1f}' for v in r['bbox_mm'])} mm, {r['method']} from {views} "
            f"({r['backend']} on {r['device']}, {r['style']}; subjects found by {r.get('perception', 'classical')}) "
            f"in {r['seconds']:.1f} s"
        )
        for warning in r.get("warnings", []):
            self.stdout.write(f"warning: {warning}")
        if r.get("backend_fallback_reason"):
            self.stdout.write(f"fell back to builtin: {r['backend_fallback_reason']}")
        for note in r.get("notes", []):
            self.stdout.write(f"note: {note}")
        self.stdout.write("PRINTABLE" if r["printable"] else "NOT PRINTABLE (as the base mesh stands)")
        for issue in r.get("issues", []):
            self.stdout.write(f"  [{issue['severity']}] {issue['code']}: {issue['message']}")
