"""The limits the revision checks hold an upload to: walls from the settings, build volumes from the printers."""

from __future__ import annotations

import manifold3d as m3
import numpy as np
import pytest

from kits.mesh.checks import DEFAULT_BUILD_VOLUMES_MM
from orders.models import ItemStatus
from printing.models import Printer, PrinterStatus
from revisions import checking
from revisions.models import Revision, RevisionStatus
from revisions.services import revision_upload
from revisions.tasks import check_revision
from tests.factories import ItemFactory, OrderFactory
from tests.kits.mesh.meshes import figurine_solid, mesh_bytes, sphere_figurine, to_trimesh
from tests.revisions.conftest import upload_file

pytestmark = pytest.mark.django_db

DEFAULTS = [(float(x), float(y), float(z)) for x, y, z in DEFAULT_BUILD_VOLUMES_MM]


def sheet_figurine_bytes() -> bytes:
    """A 100 mm figurine with a 0.8 mm sheet on its side: thin (under 1.0 mm), not fragile (over 0.6 mm)."""
    sheet = m3.Manifold.cube((22, 0.8, 15)).translate((6, -9.0, 50))
    mesh = to_trimesh(figurine_solid() + sheet)
    mesh.vertices[:, 2] -= mesh.vertices[:, 2].min()
    mesh.apply_scale(100.0 / float(np.ptp(mesh.vertices[:, 2])))
    return mesh_bytes(mesh)


def checked(data: bytes, *, height_mm: int, user) -> Revision:
    """Upload ``data`` as a new item's first round and run the real check task on it."""
    order = OrderFactory(status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=user, height_mm=height_mm)
    revision = revision_upload(item_id=item.pk, file=upload_file(data), user=user)
    check_revision(revision.pk)
    revision.refresh_from_db()
    return revision


def codes(revision: Revision) -> dict[str, str]:
    return {i["code"]: i["severity"] for i in revision.check_report["issues"]}


def only_printer(x: float, y: float, z: float) -> None:
    """The Printer table holds one small printer in the fleet (the seeded ones go offline)."""
    Printer.objects.update(status=PrinterStatus.OFFLINE)
    Printer.objects.create(name="small-1", model="t", build_x_mm=x, build_y_mm=y, build_z_mm=z)


def test_the_verdict_follows_the_wall_settings_on_the_same_upload(sculptor, enqueued, settings):
    data = sheet_figurine_bytes()
    default = checked(data, height_mm=100, user=sculptor)
    assert default.status == RevisionStatus.READY and codes(default).get("thin_walls") == "warning"
    assert 0.7 < default.check_report["min_wall_mm"] < 0.9

    settings.MESH_FRAGILE_WALL_MM = 0.9
    stricter = checked(data, height_mm=100, user=sculptor)
    assert stricter.sha256 == default.sha256
    assert stricter.status == RevisionStatus.REJECTED and codes(stricter).get("fragile_parts") == "error"

    settings.MESH_FRAGILE_WALL_MM, settings.MESH_THIN_WALL_MM = 0.3, 0.5
    laxer = checked(data, height_mm=100, user=sculptor)
    assert laxer.status == RevisionStatus.READY and not {"thin_walls", "fragile_parts"} & codes(laxer).keys()


def test_the_printer_table_reaches_the_revision_check(sculptor, enqueued):
    data = mesh_bytes(sphere_figurine())  # 150 mm tall at the item's height: fits the default volumes
    fits = checked(data, height_mm=150, user=sculptor)
    assert fits.status == RevisionStatus.READY and "exceeds_build_volume" not in codes(fits)

    only_printer(100, 100, 100)
    too_big = checked(data, height_mm=150, user=sculptor)
    assert too_big.status == RevisionStatus.REJECTED and codes(too_big)["exceeds_build_volume"] == "error"
    issue = next(i for i in too_big.check_report["issues"] if i["code"] == "exceeds_build_volume")
    assert [v["build_volume_mm"] for v in issue["build_volumes"]] == [[100.0, 100.0, 100.0]]


def test_without_a_registered_source_the_kit_defaults_apply(monkeypatch):
    monkeypatch.setattr(checking, "BUILD_VOLUME_SOURCES", [])
    assert checking.build_volumes() == DEFAULTS
    limits = checking.mesh_check_limits()
    assert limits.check_kwargs() == {
        "thin_wall_mm": 1.0,
        "fragile_wall_mm": 0.6,
        "build_volumes_mm": DEFAULTS,
    }


def test_sources_register_once_and_their_volumes_count_once(monkeypatch):
    monkeypatch.setattr(checking, "BUILD_VOLUME_SOURCES", [])

    def printers() -> list[tuple[int, int, int]]:
        return [(100, 90, 80), (120, 110, 100)]

    def spares() -> list[tuple[float, float, float]]:
        return [(120.0, 110.0, 100.0), (50.0, 50.0, 50.0)]

    for source in (printers, printers, spares):
        checking.register_build_volume_source(source)
    assert checking.BUILD_VOLUME_SOURCES == [printers, spares]
    assert checking.build_volumes() == [(100.0, 90.0, 80.0), (120.0, 110.0, 100.0), (50.0, 50.0, 50.0)]


def test_printing_registers_the_printer_table(settings):
    only_printer(100, 90, 80)
    Printer.objects.create(
        name="resting", model="t", build_x_mm=120, build_y_mm=110, build_z_mm=100, status="maintenance"
    )
    settings.MESH_THIN_WALL_MM = 1.5
    limits = checking.mesh_check_limits()
    assert limits.build_volumes_mm == ((100.0, 90.0, 80.0), (120.0, 110.0, 100.0))
    assert limits.thin_wall_mm == 1.5 and limits.fragile_wall_mm == 0.6
    Printer.objects.update(status=PrinterStatus.OFFLINE)  # no printer in the fleet: the defaults
    assert checking.build_volumes() == DEFAULTS
