"""`manage.py check_mesh`: exit codes, one-line errors, JSON keys."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kits.mesh.checks import DEFAULT_BUILD_VOLUMES_MM
from printing.models import Printer, PrinterStatus
from revisions.checking import build_volumes
from tests.kits.mesh.meshes import box, figurine
from tests.kits.mesh.test_checks import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db  # the command holds meshes to the printers' build volumes


def call(*args: str) -> tuple[int, str]:
    """Run the command in-process: (exit code, stdout)."""
    out = io.StringIO()
    try:
        call_command("check_mesh", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check_mesh", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def volumes_checked(report: dict) -> list[list[float]]:
    """The build volumes the exceeds_build_volume issue held the mesh to."""
    found = next(i for i in report["issues"] if i["code"] == "exceeds_build_volume")
    return [v["build_volume_mm"] for v in found["build_volumes"]]


@pytest.fixture(scope="module")
def clean_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cmd") / "figurine.stl"
    figurine().export(path)
    return path


def test_printable_mesh_exits_0_with_json(clean_path: Path) -> None:
    code, stdout = call(str(clean_path), "--height-mm", "150", "--json")
    assert code == 0
    report = json.loads(stdout)
    assert CONTRACT_KEYS <= report.keys()
    assert report["printable"] is True and report["issues"] == []
    assert abs(report["bbox_mm"][1][2] - report["bbox_mm"][0][2] - 150) < 1e-6


def test_human_report(clean_path: Path) -> None:
    code, stdout = call(str(clean_path))
    assert code == 0
    assert "PRINTABLE" in stdout and "triangles" in stdout


def test_not_printable_exits_1(tmp_path: Path) -> None:
    mesh = figurine()
    mesh.faces = mesh.faces[3:]
    path = tmp_path / "open.ply"
    mesh.export(path)
    code, stdout = call(str(path), "--json")
    assert code == 1
    report = json.loads(stdout)
    assert report["printable"] is False
    assert "not_watertight" in {i["code"] for i in report["issues"]}
    code, stdout = call(str(path))
    assert code == 1 and "not_watertight" in stdout and "where:" in stdout


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"hello world"])
def test_unreadable_exits_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.stl"
    path.write_bytes(content)
    code, _stdout = call(str(path))
    assert code == 2


def test_unreadable_from_the_shell_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.stl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    done = run(str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "unreadable" in done.stderr or "empty" in done.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, stdout = call(str(tmp_path / "missing.obj"), "--json")
    assert code == 2
    assert json.loads(stdout)["issues"][0]["code"] == "unreadable"


@pytest.mark.parametrize(("content", "code"), [(b"", "empty"), (b"hello world", "unreadable")])
def test_unreadable_json_still_has_every_contract_key(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.stl"
    path.write_bytes(content)
    exit_code, stdout = call(str(path), "--json")
    report = json.loads(stdout)
    assert exit_code == 2 and CONTRACT_KEYS <= report.keys()
    assert report["printable"] is False and report["triangles"] is None
    assert [(i["code"], i["severity"]) for i in report["issues"]] == [(code, "error")]


def test_build_volumes_fall_back_to_defaults_without_database(tmp_path: Path) -> None:
    path = tmp_path / "tall.stl"
    box(extents=(50.0, 50.0, 600.0), center=(0.0, 0.0, 300.0)).export(path)
    no_tables = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    done = run(str(path), "--json", env=no_tables)
    assert done.returncode == 1, done.stderr
    assert volumes_checked(json.loads(done.stdout)) == [list(map(float, v)) for v in DEFAULT_BUILD_VOLUMES_MM]


def test_build_volumes_come_from_printers_not_offline(clean_path: Path) -> None:
    Printer.objects.update(status=PrinterStatus.OFFLINE)  # the seeded printers leave the fleet
    Printer.objects.create(
        name="meshkit-test-resting",
        model="t",
        build_x_mm=120,
        build_y_mm=110,
        build_z_mm=100,
        status=PrinterStatus.MAINTENANCE,
    )
    Printer.objects.create(
        name="meshkit-test-small",
        model="t",
        build_x_mm=100,
        build_y_mm=90,
        build_z_mm=80,
        status=PrinterStatus.AVAILABLE,
    )
    Printer.objects.create(
        name="meshkit-test-offline",
        model="t",
        build_x_mm=999,
        build_y_mm=999,
        build_z_mm=999,
        status=PrinterStatus.OFFLINE,
    )
    assert build_volumes() == [(100.0, 90.0, 80.0), (120.0, 110.0, 100.0)]
    code, stdout = call(str(clean_path), "--height-mm", "150", "--json")
    assert code == 1  # fits the default volumes, not these printers
    assert volumes_checked(json.loads(stdout)) == [[100.0, 90.0, 80.0], [120.0, 110.0, 100.0]]


def test_wall_limits_come_from_the_settings(tmp_path: Path, settings) -> None:
    path = tmp_path / "sheet.stl"
    box(extents=(30.0, 0.8, 20.0), center=(0.0, 0.0, 10.0)).export(path)
    code, stdout = call(str(path), "--json")
    assert code == 0 and "thin_walls" in {i["code"] for i in json.loads(stdout)["issues"]}
    settings.MESH_FRAGILE_WALL_MM = 0.9
    code, stdout = call(str(path), "--json")
    assert code == 1 and "fragile_parts" in {i["code"] for i in json.loads(stdout)["issues"]}
