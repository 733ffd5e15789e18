"""What a sculptor's mesh upload must pass before anything is stored (400, no file, no round).

The content must be a mesh format the studio reads, and :func:`kits.mesh.preflight.mesh_preflight`
must find nothing the check task could never pass: zip bombs and DOCTYPE/ENTITY declarations in 3MF,
external glTF/GLB buffers and images, a GLB shorter than its header says, and (for files up to the
preflight's parse bound) NaN/infinite coordinates and faces that point at vertices that do not exist.
The rest (printability, thickness, the previews) is the check task's.
"""

from __future__ import annotations

from typing import Any

from kits.mesh.io import DEFAULT_MAX_FACES
from kits.mesh.preflight import PREFLIGHT_PARSE_BYTES, MeshRefused, mesh_preflight
from kits.mesh.sniff import HEAD_BYTES, sniff_head
from studio.errors import ApplicationError

#: Uploads up to this size are parsed before they are stored; larger ones only get the header checks.
PARSE_MAX_BYTES = PREFLIGHT_PARSE_BYTES


class MeshUploadRefused(ApplicationError):
    """A mesh upload refused before it was stored (HTTP 400); ``extra.issue`` names why."""

    code = "mesh_refused"


def refuse_unusable_mesh(file: Any, name: str, size: int | None, *, max_bytes: int) -> None:
    """Raise :class:`MeshUploadRefused` for an upload that is no mesh or could never pass its checks.

    ``file`` is the uploaded file (its spooled temporary path is read when it has one); it is left at
    its start for the streaming save.
    """
    if not size or not hasattr(file, "seek"):
        return
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if sniff_head(head, size) is None:
        raise MeshUploadRefused(
            f"{name} is not a mesh file the studio reads (GLB, OBJ, STL, PLY or 3MF).",
            extra={"field": "mesh", "issue": "unreadable"},
        )
    spooled = getattr(file, "temporary_file_path", None)
    try:
        mesh_preflight(
            spooled() if spooled else file,
            filename=name,
            size=size,
            max_bytes=max_bytes,
            max_faces=DEFAULT_MAX_FACES,
            parse_max_bytes=PARSE_MAX_BYTES,
        )
    except MeshRefused as exc:
        raise MeshUploadRefused(exc.message, extra={"field": "mesh", "issue": exc.code}) from None
    finally:
        file.seek(0)
