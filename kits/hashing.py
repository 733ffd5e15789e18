"""SHA-256 of files, streamed: the one digest the studio locks approvals, reprints and downloads to.

Everything that hashes goes through :class:`RunningSha256` (bytes fed in pieces, counted on the way):
a whole file (:func:`file_sha256`), an open handle (:func:`stream_sha256`), bytes in memory
(:func:`bytes_sha256`), and the storage layer's uploads as they stream (``studio.storage``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

CHUNK_BYTES = 1 << 20


class RunningSha256:
    """SHA-256 hex digest and size of bytes fed in pieces."""

    __slots__ = ("_digest", "size")

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self._digest.update(data)
        self.size += len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def stream_sha256(handle: IO[bytes], chunk_bytes: int = CHUNK_BYTES) -> tuple[str, int]:
    """SHA-256 hex digest and size of what is left to read in an open binary file."""
    running = RunningSha256()
    while chunk := handle.read(chunk_bytes):
        running.update(chunk)
    return running.hexdigest(), running.size


def bytes_sha256(data: bytes) -> str:
    """SHA-256 hex digest of bytes already in memory."""
    running = RunningSha256()
    running.update(data)
    return running.hexdigest()


def file_sha256(path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> str:
    """SHA-256 hex digest of a file on disk, streamed in chunks."""
    with open(path, "rb") as handle:
        return stream_sha256(handle, chunk_bytes)[0]
