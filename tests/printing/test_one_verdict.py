"""One printability verdict: ``check_mesh``, ``export_print`` (on the file it writes), ``reconstruct`` and
the revision checks give the same mesh the same ``printable`` and the same issue codes, with the exit codes
of DESIGN section 5 (0 printable, 1 not).

A reconstructed base mesh used to export as ``printable: true`` (exit 0) while ``check_mesh`` on the
written file found ``fragile_parts`` (exit 1), and ``reconstruct`` said nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import trimesh
from django.core.management import call_command
from PIL import Image

from kits.mesh.io import load_mesh
from revisions.checking import check_printability, mesh_check_limits
from revisions.meshwork import check_report
from tests.kits.shapes import two_colour_block
from tests.reconstruction.drawing import person_photo
from tests.reconstruction.test_pipeline import side_photo

pytestmark = pytest.mark.django_db  # every command holds meshes to the printers' build volumes


def command(name: str, *args: str) -> tuple[int, dict]:
    """Run a command with --json in-process: (exit code, report)."""
    out = io.StringIO()
    code = 0
    try:
        call_command(name, *args, "--json", stdout=out)
    except SystemExit as exc:
        code = int(exc.code)
    return code, json.loads(out.getvalue())


def codes(report: dict) -> set[str]:
    return {issue["code"] for issue in report["issues"]}


def block_with_fin(fin_mm: float = 0.1) -> trimesh.Trimesh:
    """A block 20 x 20 x 30 mm with a fin ``fin_mm`` thick (10 x 10 mm) resting against its side."""
    body = trimesh.creation.box(extents=(20.0, 20.0, 30.0))
    body.apply_translation((0, 0, 15.0))
    fin = trimesh.creation.box(extents=(10.0, fin_mm, 10.0))
    fin.apply_translation((15.0, 0, 15.0))  # x 10..20: touching the body's +x face
    return trimesh.util.concatenate([body, fin])


def verdicts(tmp_path: Path, mesh_path: Path, height: str) -> dict[str, tuple[int, bool, set[str]]]:
    """(exit code, printable, issue codes) from check_mesh on the mesh at ``height``, export_print of it
    (base never: the file is the mesh), check_mesh on the written file, and the revision check."""
    out = tmp_path / "print.stl"
    found = {}
    code, report = command("check_mesh", str(mesh_path), "--height-mm", height)
    found["check_mesh"] = (code, report["printable"], codes(report))
    code, report = command(
        "export_print",
        str(mesh_path),
        "--height-mm",
        height,
        "--format",
        "stl",
        "--base",
        "never",
        "--out",
        str(out),
    )
    found["export_print"] = (code, report["printable"], codes(report))
    code, report = command("check_mesh", str(out))
    found["check_mesh on the print file"] = (code, report["printable"], codes(report))
    revision = check_report(
        load_mesh(mesh_path), height_mm=float(height), limits=mesh_check_limits().check_kwargs()
    )
    found["revision check"] = (0 if revision["printable"] else 1, revision["printable"], codes(revision))
    return found


def assert_one_verdict(found: dict[str, tuple[int, bool, set[str]]]) -> tuple[int, bool, set[str]]:
    first = next(iter(found.values()))
    for name, verdict in found.items():
        assert verdict == first, f"{name} says {verdict}, not {first}: {found}"
    code, printable, _codes = first
    assert code == (0 if printable else 1)
    return first


def test_a_fragile_fin_fails_everywhere_with_the_same_codes(tmp_path):
    path = tmp_path / "fin.stl"
    block_with_fin(0.1).export(path)
    code, printable, found = assert_one_verdict(verdicts(tmp_path, path, "30"))
    assert code == 1 and printable is False and "fragile_parts" in found


def test_a_solid_block_passes_everywhere(tmp_path):
    path = tmp_path / "block.ply"
    two_colour_block().export(path)
    code, printable, found = assert_one_verdict(verdicts(tmp_path, path, "40"))
    assert code == 0 and printable is True and not {"fragile_parts", "thin_walls"} & found


def test_a_reconstructed_base_mesh_gets_one_verdict_from_every_command_and_reports_its_own(tmp_path):
    front, side = tmp_path / "front.png", tmp_path / "side.jpg"
    Image.fromarray(person_photo()).save(front)
    Image.fromarray(side_photo()).save(side, quality=95)
    base = tmp_path / "base.ply"
    code, report = command(
        "reconstruct",
        str(front),
        str(side),
        "--out",
        str(base),
        "--height-mm",
        "150",
        "--triangles",
        "200000",
    )
    assert report["ok"] and report["watertight"]
    reconstructed = (code, report["printable"], codes(report))
    found = verdicts(tmp_path, base, "150")
    found["reconstruct"] = reconstructed
    _code, printable, issue_codes = assert_one_verdict(found)
    # the base mesh reports its own walls: the same figures check_mesh finds on it
    direct = check_printability(load_mesh(base))
    assert report["min_wall_mm"] == direct["min_wall_mm"] and report["printable"] == direct["printable"]
    # at this size the drawn person's base mesh has walls under 0.6 mm: every command says so, exit 1
    assert "fragile_parts" in issue_codes and printable is False and code == 1
    assert report["min_wall_mm"] < mesh_check_limits().fragile_wall_mm
