"""The limits the printability checks apply, built in one place: walls from the settings, build volumes
from the printers.

:func:`mesh_check_limits` serves every check of a mesh: the revision checks that gate a sculptor's upload
(``revisions.tasks.check_revision``), the print exports (``printing.services.print_files``, the
``export_print`` command) and the ``check_mesh`` command. Wall thicknesses come from the settings
``MESH_THIN_WALL_MM`` (warning below it) and ``MESH_FRAGILE_WALL_MM`` (error below it).

The printers belong to the print queue, above this app: at start-up it registers where the build volumes
come from (``register_build_volume_source`` in ``printing/hooks.py``: the Printer table). Without a
registered source, or when the sources find none, the mesh kit's defaults apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kits.mesh.checks import DEFAULT_BUILD_VOLUMES_MM, check_mesh

BuildVolume = tuple[float, float, float]
BuildVolumeSource = Callable[[], Iterable[Iterable[float]]]

#: Where build volumes (x, y, z in mm) come from; each source answers a list (empty when it knows none).
BUILD_VOLUME_SOURCES: list[BuildVolumeSource] = []


def register_build_volume_source(source: BuildVolumeSource) -> BuildVolumeSource:
    """Add a source of build volumes (once, however often it is registered)."""
    if source not in BUILD_VOLUME_SOURCES:
        BUILD_VOLUME_SOURCES.append(source)
    return source


@dataclass(frozen=True)
class MeshCheckLimits:
    """What a mesh is held to: walls (mm) and the build volumes it must fit one of (x, y, z mm)."""

    thin_wall_mm: float
    fragile_wall_mm: float
    build_volumes_mm: tuple[BuildVolume, ...]

    def check_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`kits.mesh.checks.check_mesh`."""
        return {
            "thin_wall_mm": self.thin_wall_mm,
            "fragile_wall_mm": self.fragile_wall_mm,
            "build_volumes_mm": list(self.build_volumes_mm),
        }


def build_volumes() -> list[BuildVolume]:
    """The registered sources' build volumes (each once, in order), else the kit's defaults."""
    found: list[BuildVolume] = []
    for source in BUILD_VOLUME_SOURCES:
        for volume in source():
            x, y, z = (float(v) for v in volume)
            if (x, y, z) not in found:
                found.append((x, y, z))
    return found or [(float(x), float(y), float(z)) for x, y, z in DEFAULT_BUILD_VOLUMES_MM]


def mesh_check_limits() -> MeshCheckLimits:
    """The limits of every printability check, from the settings and the registered build volumes."""
    return MeshCheckLimits(
        thin_wall_mm=float(settings.MESH_THIN_WALL_MM),
        fragile_wall_mm=float(settings.MESH_FRAGILE_WALL_MM),
        build_volumes_mm=tuple(build_volumes()),
    )


def check_printability(source: Any, *, height_mm: float | None = None) -> dict[str, Any]:
    """The studio's one printability verdict on a mesh (a path, ``LoadedMesh`` or trimesh): the kit's
    :func:`kits.mesh.checks.check_mesh` held to :func:`mesh_check_limits`. ``check_mesh`` and
    ``reconstruct`` (command and task) call it; ``export_print`` and the revision checks pass the same
    limits to the same kit function, so a mesh gets the same ``printable`` and issue codes everywhere."""
    return check_mesh(source, height_mm=height_mm, **mesh_check_limits().check_kwargs())


def verdict_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The verdict of a check report, short: printable, issues (code, severity, message), walls."""
    return {
        "printable": bool(report.get("printable")),
        "issues": [
            {"code": i["code"], "severity": i["severity"], "message": i["message"]}
            for i in report.get("issues", [])
        ],
        "min_wall_mm": report.get("min_wall_mm"),
        "thin_area_mm2": report.get("thin_area_mm2"),
        "shells": report.get("shells"),
        "self_intersecting_faces": report.get("self_intersecting_faces"),
    }
