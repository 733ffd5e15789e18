"""Streaming a mesh upload into storage while hashing it, and re-hashing a stored file.

Uploads are never read whole into memory: Django's upload handlers spool large requests to a temporary
file, and the storage backend pulls the file through ``chunks()`` (FileSystemStorage) or ``read(n)``
(object storage), which :class:`HashingFile` hashes and counts on the way through.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage

CHUNK_BYTES = 1 << 20
ALLOWED_EXTENSIONS = (".glb", ".obj", ".stl", ".ply", ".3mf")


class UploadTooLarge(Exception):
    """The upload passed the size limit while streaming."""


class HashingFile(File):
    """A read-once view of an upload that hashes and counts the bytes the storage pulls through it."""

    def __init__(self, source: IO[bytes] | Any, *, name: str, max_bytes: int) -> None:
        super().__init__(source, name=name)
        self.max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.bytes_read = 0
        self.rewound = False

    def _take(self, data: bytes) -> bytes:
        self.bytes_read += len(data)
        if self.bytes_read > self.max_bytes:
            raise UploadTooLarge(f"the file is larger than {self.max_bytes} bytes")
        self.digest.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._take(self.file.read(size))

    def chunks(self, chunk_size: int | None = None):
        if hasattr(self.file, "seek"):
            self.file.seek(0)
        while True:
            data = self.file.read(chunk_size or CHUNK_BYTES)
            if not data:
                break
            yield self._take(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.bytes_read:
            self.rewound = True  # the backend read twice: the running hash is not the file's
        return self.file.seek(offset, whence)

    @property
    def size(self) -> int:  # the backend may ask; the limit still holds while streaming
        return getattr(self.file, "size", None) or 0

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def stored_sha256(name: str, storage: Storage | None = None) -> tuple[str, int]:
    """SHA-256 and size of a stored file, streamed in chunks."""
    storage = storage or default_storage
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as handle:
        while data := handle.read(CHUNK_BYTES):
            digest.update(data)
            size += len(data)
    return digest.hexdigest(), size


def save_streaming(
    name: str, source: IO[bytes] | Any, *, max_bytes: int, storage: Storage | None = None
) -> tuple[str, str, int]:
    """Stream ``source`` into storage under ``name``; returns (stored name, sha256, size).

    Raises UploadTooLarge (nothing stays stored) when the stream passes ``max_bytes``.
    """
    storage = storage or default_storage
    wrapped = HashingFile(source, name=name, max_bytes=max_bytes)
    try:
        stored = storage.save(name, wrapped)
    except UploadTooLarge:
        # FileSystemStorage removes its partial file when the write fails; be sure for any backend.
        if storage.exists(name):
            storage.delete(name)
        raise
    if wrapped.rewound or not wrapped.bytes_read:
        sha256, size = stored_sha256(stored, storage)
    else:
        sha256, size = wrapped.sha256, wrapped.bytes_read
    return stored, sha256, size
