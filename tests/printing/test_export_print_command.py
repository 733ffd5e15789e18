"""``manage.py export_print``: exit 0 when written and printable (check_mesh's verdict on the file), 1 when
written but not printable, 2 on bad input."""

from __future__ import annotations

import json

import pytest
import trimesh
from django.core.management import call_command
from django.core.management.base import CommandError

from printing.models import Printer, PrinterStatus
from tests.kits.shapes import leaning_cylinder, two_colour_block

pytestmark = pytest.mark.django_db  # the export fits the printers' build volumes


@pytest.fixture
def block_ply(tmp_path):
    path = tmp_path / "block.ply"
    two_colour_block().export(path)
    return path


def test_writes_the_print_file_and_a_json_report(tmp_path, block_ply, capsys):
    out = tmp_path / "print.3mf"
    call_command(
        "export_print", str(block_ply), "--height-mm", "150", "--format", "3mf", "--out", str(out), "--json"
    )
    report = json.loads(capsys.readouterr().out)
    assert out.exists() and report["path"] == str(out)
    assert report["height_mm"] == pytest.approx(150) and report["colors"] is True
    assert report["source"]["format"] == "ply" and len(report["source"]["sha256"]) == 64
    assert trimesh.load(out, force="mesh").bounds[1][2] == pytest.approx(150, rel=1e-4)


def test_human_report_is_one_line_per_fact(tmp_path, block_ply, capsys):
    call_command(
        "export_print",
        str(block_ply),
        "--height-mm",
        "100",
        "--format",
        "stl",
        "--out",
        str(tmp_path / "a.stl"),
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("STL ") and "100 mm tall" in lines[0]


def test_unreadable_mesh_exits_2(tmp_path):
    bad = tmp_path / "bad.stl"
    bad.write_bytes(b"this is not a mesh at all" * 4)
    with pytest.raises(CommandError) as caught:
        call_command(
            "export_print",
            str(bad),
            "--height-mm",
            "100",
            "--format",
            "stl",
            "--out",
            str(tmp_path / "o.stl"),
        )
    assert caught.value.returncode == 2 and "unreadable" in str(caught.value)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--height-mm", "0", "--format", "stl"],
        ["--height-mm", "100", "--format", "stl", "--base", "never", "--out-missing"],
    ],
)
def test_bad_arguments_exit_2(tmp_path, block_ply, arguments):
    if "--out-missing" in arguments:
        arguments = arguments[:-1] + ["--out", str(tmp_path / "no" / "such" / "a.stl")]
    else:
        arguments = arguments + ["--out", str(tmp_path / "a.stl")]
    with pytest.raises(CommandError) as caught:
        call_command("export_print", str(block_ply), *arguments)
    assert caught.value.returncode == 2


def test_figure_that_would_tip_without_base_warns_as_check_mesh_does(tmp_path, capsys):
    """Tipping over is a warning (DESIGN section 5: tips_over warns): the one verdict, as check_mesh's."""
    path = tmp_path / "lean.stl"
    leaning_cylinder().export(path)
    call_command(
        "export_print",
        str(path),
        "--height-mm",
        "100",
        "--format",
        "stl",
        "--base",
        "never",
        "--out",
        str(tmp_path / "o.stl"),
        "--json",
    )
    report = json.loads(capsys.readouterr().out)
    assert report["printable"] is True and report["stable"] is False
    assert "tips_over" in {i["code"] for i in report["issues"] if i["severity"] == "warning"}
    assert any("tip over" in w for w in report["warnings"])


def _export_json(tmp_path, path, height: str, capsys) -> tuple[int, dict]:
    code = 0
    try:
        call_command(
            "export_print",
            str(path),
            "--height-mm",
            height,
            "--format",
            "stl",
            "--out",
            str(tmp_path / "o.stl"),
            "--json",
        )
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(capsys.readouterr().out)


def test_open_surface_is_written_but_exits_1(tmp_path, capsys):
    box = trimesh.creation.box(extents=(30, 20, 60))
    box.update_faces(list(range(1, len(box.faces))))  # one triangle missing: a hole
    path = tmp_path / "open.stl"
    box.export(path)
    code, report = _export_json(tmp_path, path, "100", capsys)
    assert code == 1 and (tmp_path / "o.stl").is_file()
    assert report["watertight"] is False and report["printable"] is False
    assert any("not closed" in w for w in report["warnings"])


def test_too_big_for_every_printer_exits_1(tmp_path, block_ply, capsys):
    code, report = _export_json(tmp_path, block_ply, "2000", capsys)
    assert code == 1 and report["fits_build_volume"] is False and report["printable"] is False
    assert any("build volume" in w for w in report["warnings"])
    code, report = _export_json(tmp_path, block_ply, "150", capsys)
    assert code == 0 and report["printable"] is True and report["fits_build_volume"] is True


def test_build_volumes_come_from_the_printer_table(tmp_path, block_ply, capsys):
    Printer.objects.update(status=PrinterStatus.OFFLINE)  # only a small printer is left in the fleet
    Printer.objects.create(name="export-small", model="t", build_x_mm=80, build_y_mm=80, build_z_mm=100)
    code, report = _export_json(tmp_path, block_ply, "150", capsys)  # fits the defaults, not this printer
    assert code == 1 and report["fits_build_volume"] is False and report["printable"] is False
    code, report = _export_json(tmp_path, block_ply, "90", capsys)
    assert code == 0 and report["fits_build_volume"] is True
