"""The kernel's stored files (studio.storage): streamed saves, re-hashing, the hash check, local copies,
on disk storage and on object storage (no ``path()``)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

from kits.hashing import RunningSha256, bytes_sha256, file_sha256, stream_sha256
from studio.storage import (
    UploadTooLarge,
    local_copy,
    save_streaming,
    sha256_matches,
    stored_file_check,
    stored_sha256,
)
from tests.storages import ObjectStorage

DATA = os.urandom(3 * (1 << 20) + 123)  # a few chunks and a bit
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(params=["disk", "object"])
def storage(request, tmp_path) -> Storage:
    if request.param == "disk":
        return FileSystemStorage(location=str(tmp_path / "media"))
    return ObjectStorage()


def test_the_kit_digests_agree_with_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    running = RunningSha256()
    for start in range(0, len(DATA), 7777):
        running.update(DATA[start : start + 7777])
    assert running.hexdigest() == SHA and running.size == len(DATA)
    assert bytes_sha256(DATA) == file_sha256(path) == SHA
    assert stream_sha256(io.BytesIO(DATA)) == (SHA, len(DATA))


def test_save_streaming_hashes_on_the_way(storage: Storage) -> None:
    stored, sha256, size = save_streaming(
        "meshes/a.stl", File(io.BytesIO(DATA), name="a.stl"), max_bytes=10**9, storage=storage
    )
    assert (sha256, size) == (SHA, len(DATA))
    assert stored_sha256(stored, storage=storage) == (SHA, len(DATA))


def test_save_streaming_over_the_limit_keeps_nothing(storage: Storage) -> None:
    with pytest.raises(UploadTooLarge):
        save_streaming(
            "meshes/big.stl", File(io.BytesIO(DATA), name="big.stl"), max_bytes=1 << 20, storage=storage
        )
    assert not storage.exists("meshes/big.stl")


def test_stored_file_check(storage: Storage) -> None:
    name = storage.save("prints/a.3mf", ContentFile(DATA))
    good = stored_file_check(name, sha256=SHA, storage=storage)
    assert good.ok and not good.missing and good.found == SHA and good.size == len(DATA)
    assert good.matches(SHA) and not good.matches("0" * 64)

    changed = stored_file_check(name, sha256="0" * 64, storage=storage)
    assert not changed.ok and not changed.missing and changed.found == SHA

    storage.delete(name)
    gone = stored_file_check(name, sha256=SHA, storage=storage)
    assert gone.missing and not gone.ok and gone.found is None
    with pytest.raises(FileNotFoundError):
        stored_sha256(name, storage=storage)


def test_an_empty_record_matches_nothing() -> None:
    assert sha256_matches(SHA, SHA)
    assert not sha256_matches("", "") and not sha256_matches(None, "") and not sha256_matches(SHA, "")


def test_local_copy_on_disk_is_the_stored_file(tmp_path: Path) -> None:
    storage = FileSystemStorage(location=str(tmp_path / "media"))
    name = storage.save("meshes/a.glb", ContentFile(DATA))
    with local_copy(name, storage=storage) as path:
        assert path == Path(storage.path(name)) and path.read_bytes() == DATA
    assert Path(storage.path(name)).exists()


def test_local_copy_on_object_storage_is_a_temporary_copy_named_like_the_file() -> None:
    storage = ObjectStorage()
    name = storage.save("meshes/7/round.glb", ContentFile(DATA))
    with pytest.raises(NotImplementedError):
        storage.path(name)
    with local_copy(name, storage=storage) as path:
        assert path.name == "round.glb" and path.read_bytes() == DATA
    assert not path.exists() and not path.parent.exists()


def test_local_copy_of_a_missing_file(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError), local_copy("meshes/none.glb", storage=storage) as path:
        path.read_bytes()


def test_local_copy_lets_the_blocks_errors_through(storage: Storage) -> None:
    name = storage.save("meshes/a.stl", ContentFile(DATA))
    with pytest.raises(NotImplementedError, match="from the block"), local_copy(name, storage=storage):
        raise NotImplementedError("from the block")
