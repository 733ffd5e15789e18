"""The AR file of a figurine at its real size: ``write_ar_usdz`` scales any mesh to the ordered height, metres,
Y up, standing on the ground, and USD's ARKit compliance checker passes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pxr import Usd, UsdGeom, UsdUtils

from kits.printfiles.placement import ExportError
from kits.printfiles.usdz import read_usdz_mesh, write_ar_usdz
from tests.kits.printfiles.test_digital_kit import two_colour_figure


@pytest.mark.filterwarnings("ignore:Use of UsdUtils.ComplianceChecker is deprecated:DeprecationWarning")
def test_a_mesh_of_any_size_is_written_at_the_ordered_height_in_metres(tmp_path):
    mesh = two_colour_figure(subdivisions=2)
    mesh.apply_scale(0.37)  # 23.7 of its own units tall: the AR file does not take the mesh's size
    report = write_ar_usdz(mesh, height_mm=150, path=tmp_path / "ar.usdz")
    path = Path(report["path"])
    checker = UsdUtils.ComplianceChecker(arkit=True)
    checker.CheckCompliance(str(path))
    assert checker.GetErrors() == [] and checker.GetFailedChecks() == []
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0 and UsdGeom.GetStageUpAxis(stage) == "Y"
    points = np.asarray(UsdGeom.Mesh(stage.GetPrimAtPath("/Figurine/Mesh")).GetPointsAttr().Get())
    assert np.ptp(points[:, 1]) == pytest.approx(0.150, abs=1e-4)  # 150 mm in AR, on the table
    assert points[:, 1].min() == pytest.approx(0.0, abs=1e-6)
    assert report["height_m"] == pytest.approx(0.150, abs=1e-4)
    assert report["bytes"] == path.stat().st_size and len(report["sha256"]) == 64
    _, faces, meta = read_usdz_mesh(path)
    assert len(faces) == report["triangles"] == len(mesh.faces) and meta["display_colors"] is not None


def test_a_flat_mesh_is_refused_clearly(tmp_path):
    mesh = two_colour_figure(subdivisions=1)
    mesh.vertices[:, 2] = 0.0
    with pytest.raises(ExportError, match="flat"):
        write_ar_usdz(mesh, height_mm=100, path=tmp_path / "flat.usdz")
    assert not (tmp_path / "flat.usdz").exists()
