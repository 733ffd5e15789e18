"""SHA-256 of files, streamed: the one digest the studio locks approvals, reprints and downloads to."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

CHUNK_BYTES = 1 << 20


def stream_sha256(handle: IO[bytes], chunk_bytes: int = CHUNK_BYTES) -> tuple[str, int]:
    """SHA-256 hex digest and size of what is left to read in an open binary file."""
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(chunk_bytes):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_sha256(path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> str:
    """SHA-256 hex digest of a file on disk, streamed in chunks."""
    with open(path, "rb") as handle:
        return stream_sha256(handle, chunk_bytes)[0]
