"""What the customer's order page shows of the digital files: per item, its downloads and where they stand.

``downloads_by_item(item_ids)`` answers, in two queries whatever the number of items,
``{item_id: {"downloads": [{format, url, bytes, sha256, triangles}], "downloads_status": ...}}`` where
``downloads_status`` is ``none`` (not approved), ``making`` (approved, the files are on the way), ``ready``
or ``failed`` (the studio has been told and makes them again). Only files made from the approved SHA-256
are listed, in the order of :data:`kits.printfiles.digital.DIGITAL_FORMATS`.
"""

from __future__ import annotations

from django.urls import reverse

from digital.models import DigitalFile, DigitalFilesJob
from kits.printfiles.digital import DIGITAL_FORMATS
from revisions.models import Approval
from studio.jobs import JobStatus
from studio.signed_urls import signed_path

FAILED = (JobStatus.FAILED, JobStatus.ERRORED)

#: format -> (button label, what it is for, in the customer's words); the portal's "Your 3D files".
FORMAT_WORDS: dict[str, tuple[str, str]] = {
    "glb": ("GLB", "For the web and AR on Android, and most 3D apps: full colour, real size."),
    "glb_game": (
        "Game-ready GLB",
        "For games (Unity, Unreal, Godot, Roblox…): fewer triangles, colours kept.",
    ),
    "obj": ("OBJ (zip)", "For Blender and other 3D software: the model, its colours and texture, Y up."),
    "fbx": ("FBX", "For Blender, Maya and game pipelines: the model with its colours."),
    "stl": ("STL", "For printing at home: your figurine's size in millimetres, no colour."),
    "usdz": ("USDZ", "For iPhone and iPad: open it to place your figurine in your room (AR)."),
}


def download_url(digital_file: DigitalFile) -> str:
    """The file's signed download URL (for the order's customer and staff, until it expires)."""
    return signed_path(reverse("digital-file", args=[digital_file.pk]))


def downloads_by_item(item_ids) -> dict[int, dict]:
    ids = list(item_ids)
    approved = dict(Approval.objects.filter(item_id__in=ids).values_list("item_id", "sha256"))
    files: dict[int, list[DigitalFile]] = {item_id: [] for item_id in ids}
    for row in DigitalFile.objects.filter(item_id__in=approved):
        if row.source_sha256 == approved[row.item_id]:
            files[row.item_id].append(row)
    latest: dict[int, str] = {}
    for item_id, status in (
        DigitalFilesJob.objects.filter(item_id__in=approved)
        .order_by("created_at", "pk")
        .values_list("item_id", "status")
    ):
        latest[item_id] = status
    rank = {fmt: index for index, fmt in enumerate(DIGITAL_FORMATS)}
    out: dict[int, dict] = {}
    for item_id in ids:
        rows = sorted(files[item_id], key=lambda row: rank.get(row.format, len(rank)))
        job_status = latest.get(item_id)
        if item_id not in approved:
            status = "none"
        elif job_status in (JobStatus.PENDING, JobStatus.RUNNING) or job_status is None:
            status = "making"
        elif job_status in FAILED:
            status = "failed"
        else:
            status = "ready" if len(rows) == len(DIGITAL_FORMATS) else "making"
        ready = status == "ready"
        out[item_id] = {
            "downloads_status": status,
            "downloads": [
                {
                    "format": row.format,
                    "url": download_url(row),
                    "bytes": row.bytes,
                    "sha256": row.sha256,
                    "triangles": row.triangles,
                    "label": FORMAT_WORDS.get(row.format, (row.format, ""))[0],
                    "use": FORMAT_WORDS.get(row.format, (row.format, ""))[1],
                }
                for row in rows
            ]
            if ready
            else [],
        }
    return out
