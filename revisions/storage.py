"""What the revision rounds accept into storage, and where a round's uploaded file is stored. The streaming
itself (hashing on the way in, re-hashing, local copies) is the kernel's, in :mod:`studio.storage`."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.utils.text import get_valid_filename

#: The mesh formats a sculptor may upload as a round.
ALLOWED_EXTENSIONS = (".glb", ".obj", ".stl", ".ply", ".3mf")


def round_mesh_name(*, order_number: str, item_id: int, number: int, filename: str) -> str:
    """The storage name of a round's uploaded mesh: the round's own folder and a random token.

    ``meshes/<order>/<item>/r<number>/upload-<token>-<name>``: an earlier round's file is never
    reused or overwritten (another round number, another token), whatever the storage backend does with
    a name that exists; the ``upload-`` prefix keeps it apart from the previews the checks write into the
    same folder (``preview.glb``, ``heatmap.glb``, ``render-N.png``).
    """
    extension = Path(filename).suffix.lower()
    safe = get_valid_filename(Path(filename).name)[-100:] or f"mesh{extension}"
    return f"meshes/{order_number}/{item_id}/r{number}/upload-{uuid.uuid4().hex[:16]}-{safe}"
