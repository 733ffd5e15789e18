"""`manage.py check_mesh`: exit codes, one-line errors, JSON keys."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kits.mesh.checks import DEFAULT_BUILD_VOLUMES_MM
from printing.management.commands.check_mesh import active_build_volumes
from tests.kits.mesh.meshes import figurine
from tests.kits.mesh.test_checks import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parents[2]


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


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check_mesh", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


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


def test_build_volumes_fall_back_to_defaults_without_database() -> None:
    volumes = active_build_volumes()
    assert volumes and all(len(v) == 3 for v in volumes)
    assert set(DEFAULT_BUILD_VOLUMES_MM) <= set(volumes) or volumes != []


@pytest.mark.django_db
def test_build_volumes_come_from_printers_in_service() -> None:
    from printing.models import Printer, PrinterStatus

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
    volumes = active_build_volumes()
    assert (100.0, 90.0, 80.0) in volumes
    assert (999.0, 999.0, 999.0) not in volumes
