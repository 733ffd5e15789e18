"""Stored files, one way each: stream an upload in while hashing it, re-hash what is stored, check a stored
file against the SHA-256 recorded for it, and get a local path to it.

Works on any Django storage: files on disk (``FileSystemStorage``, which has ``path()``) and object
storage (django-storages: no ``path()``, everything through ``open()``). A file is named either by its
storage name (in ``default_storage`` unless a storage is given) or by a ``FileField``'s value (its own
storage). Every digest comes from :mod:`kits.hashing`.

Uploads are never read whole into memory: Django's upload handlers spool large requests to a temporary
file, and the storage backend pulls the file through ``chunks()`` (FileSystemStorage) or ``read(n)``
(object storage), which :class:`HashingFile` hashes and counts on the way through.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile

from kits.hashing import CHUNK_BYTES, RunningSha256, stream_sha256
from studio.errors import StorageUnavailable

try:  # object storage (django-storages' S3 backend) fails with botocore's errors, not OSError
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - botocore comes with django-storages[s3]
    BotoCoreError = ClientError = OSError  # type: ignore[misc,assignment]

#: What a storage backend raises when it cannot be reached or refuses (disk full, bucket down...).
BACKEND_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)

UNAVAILABLE_MESSAGE = (
    "The studio's file storage is not reachable just now; nothing was saved. Try again in a moment."
)

StoredFile = str | FieldFile


def _is_missing(exc: BaseException) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, ClientError) and ClientError is not OSError:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}
    return False


@contextmanager
def storage_errors() -> Iterator[None]:
    """Backend failures as the studio's errors: a missing file is FileNotFoundError, anything else the
    backend raises (a bucket that does not answer, a full disk) is StorageUnavailable (HTTP 503)."""
    try:
        yield
    except BACKEND_ERRORS as exc:
        if _is_missing(exc):
            raise FileNotFoundError(str(exc)) from exc
        raise StorageUnavailable(UNAVAILABLE_MESSAGE) from exc


def is_local(storage: Storage | None = None) -> bool:
    """Whether the storage keeps files on this machine's disk (it has ``path()``)."""
    try:
        (storage or default_storage).path("probe")
    except NotImplementedError:
        return False
    return True


def open_stored(name: str, *, storage: Storage | None = None) -> IO[bytes]:
    """A stored file opened for reading; FileNotFoundError when it is gone, StorageUnavailable when the
    storage cannot be reached."""
    if not name:
        raise FileNotFoundError("no stored file")
    with storage_errors():
        return (storage or default_storage).open(name, "rb")


def save_stored(name: str, content: File, *, storage: Storage | None = None) -> str:
    """Save ``content`` under ``name`` (or a free name like it); returns the stored name.

    A storage that fails part-way leaves nothing behind and raises StorageUnavailable."""
    storage = storage or default_storage
    try:
        with storage_errors():
            return storage.save(name, content)
    except StorageUnavailable:
        _delete_quietly(name, storage)
        raise


def _delete_quietly(name: str, storage: Storage) -> None:
    try:
        if storage.exists(name):
            storage.delete(name)
    except BACKEND_ERRORS:  # the storage is down: there is nothing half-written it could keep either
        pass


def _locate(file: StoredFile, storage: Storage | None) -> tuple[Storage, str]:
    """The storage and name of a stored file given by name or by a FileField's value."""
    if isinstance(file, str):
        return storage or default_storage, file
    return storage or file.storage, file.name or ""


# ------------------------------------------------------------------------------------------ streaming in
class UploadTooLarge(Exception):
    """The upload passed the size limit while streaming."""


class HashingFile(File):
    """A read-once view of an upload that hashes and counts the bytes the storage pulls through it."""

    def __init__(self, source: IO[bytes] | Any, *, name: str, max_bytes: int) -> None:
        super().__init__(source, name=name)
        self.max_bytes = max_bytes
        self.running = RunningSha256()
        self.rewound = False

    @property
    def bytes_read(self) -> int:
        return self.running.size

    def _take(self, data: bytes) -> bytes:
        if self.running.size + len(data) > self.max_bytes:
            raise UploadTooLarge(f"the file is larger than {self.max_bytes} bytes")
        self.running.update(data)
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
        return self.running.hexdigest()


def save_streaming(
    name: str, source: IO[bytes] | Any, *, max_bytes: int, storage: Storage | None = None
) -> tuple[str, str, int]:
    """Stream ``source`` into storage under ``name``; returns (stored name, sha256, size).

    Raises UploadTooLarge (nothing stays stored) when the stream passes ``max_bytes``.
    """
    storage = storage or default_storage
    wrapped = HashingFile(source, name=name, max_bytes=max_bytes)
    try:
        stored = save_stored(name, wrapped, storage=storage)
    except UploadTooLarge:
        # FileSystemStorage removes its partial file when the write fails; be sure for any backend.
        _delete_quietly(name, storage)
        raise
    if wrapped.rewound or not wrapped.bytes_read:
        sha256, size = stored_sha256(stored, storage=storage)
    else:
        sha256, size = wrapped.sha256, wrapped.bytes_read
    return stored, sha256, size


# ------------------------------------------------------------------------------------------ hashes
def stored_sha256(file: StoredFile, *, storage: Storage | None = None) -> tuple[str, int]:
    """SHA-256 and size of a stored file, streamed in chunks. Raises FileNotFoundError when it is gone."""
    storage, name = _locate(file, storage)
    with open_stored(name, storage=storage) as handle, storage_errors():
        return stream_sha256(handle)


def sha256_matches(found: str | None, recorded: str) -> bool:
    """The rule: a recorded SHA-256 is matched only by the same digest (an empty record matches nothing)."""
    return bool(recorded) and found == recorded


@dataclass(frozen=True)
class StoredFileCheck:
    """What re-hashing a stored file found, against the SHA-256 recorded for it."""

    name: str
    recorded: str
    found: str | None  # None: the file is missing
    size: int | None = None

    @property
    def missing(self) -> bool:
        return self.found is None

    @property
    def ok(self) -> bool:
        return sha256_matches(self.found, self.recorded)

    def matches(self, recorded: str) -> bool:
        """Whether the bytes hashed match ``recorded`` (e.g. a record read again under a lock)."""
        return sha256_matches(self.found, recorded)


def stored_file_check(file: StoredFile, *, sha256: str, storage: Storage | None = None) -> StoredFileCheck:
    """Re-hash a stored file and hold it against ``sha256``: does it still match its recorded hash?"""
    storage, name = _locate(file, storage)
    try:
        found, size = stored_sha256(name, storage=storage)
    except FileNotFoundError:
        return StoredFileCheck(name=name, recorded=sha256, found=None)
    return StoredFileCheck(name=name, recorded=sha256, found=found, size=size)


# ------------------------------------------------------------------------------------------ local paths
@contextmanager
def local_copy(file: StoredFile, *, storage: Storage | None = None) -> Iterator[Path]:
    """A local path to a stored file while the block runs.

    On disk storage it is the stored file itself; on object storage (no ``path()``) a streamed copy,
    named like the file, in a temporary folder removed afterwards. FileNotFoundError when it is gone.
    """
    storage, name = _locate(file, storage)
    if not name:
        raise FileNotFoundError("no stored file")
    try:
        path: str | None = storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{name} is not in storage")
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="local-copy-") as folder:
        target = Path(folder) / Path(name).name
        with open_stored(name, storage=storage) as source, open(target, "wb") as out, storage_errors():
            shutil.copyfileobj(source, out, CHUNK_BYTES)
        yield target
