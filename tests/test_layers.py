"""The house's layers: apps depend one way, kits import no Django, no import hides inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("studio", "kits", "orders", "revisions", "reconstruction", "printing", "digital", "glue")


def _late_cross_imports() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                        names = [node.module]
                    elif isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    else:
                        continue
                    for name in names:
                        head = name.split(".")[0]
                        if head in PACKAGES and head != package:
                            found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_no_import_of_another_package_hides_inside_a_function():
    assert _late_cross_imports() == []


def test_import_contracts_hold():
    """import-linter's contracts (pyproject.toml): the layers, and the pure kits free of Django."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
