"""Mesh upload to storage: streamed + hashed on the way (studio.storage.save_streaming) against the
obvious alternative (read the whole upload, hash it, write it). Peak Python memory (tracemalloc) and time.

    .venv/bin/python bench/revision_upload_bench.py [SIZE_MB]
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}})
django.setup()

from django.core.files import File  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402

from studio.storage import save_streaming  # noqa: E402


def measure(label: str, work) -> tuple[str, float, float, str]:
    """Time without tracing (it slows allocation-heavy code), then peak memory with tracemalloc."""
    started = time.perf_counter()
    digest = work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return label, seconds, peak / 2**20, digest


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "upload.stl"
        with open(source, "wb") as handle:  # random bytes, so no page is a shared zero page
            block = hashlib.sha256(b"seed").digest() * (2**20 // 32)
            for i in range(size_mb):
                handle.write(block[i % 32 :] + block[: i % 32])
        storage = FileSystemStorage(location=str(Path(tmp) / "media"))

        def streamed() -> str:
            with open(source, "rb") as handle:
                _, digest, _ = save_streaming(
                    "meshes/streamed.stl", File(handle, name="upload.stl"), max_bytes=2**40, storage=storage
                )
            return digest

        def whole() -> str:
            data = source.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            storage.save("meshes/whole.stl", ContentFile(data))
            return digest

        rows = [
            measure("streamed, hashed on the way (ours)", streamed),
            measure("read whole, hash, write (alt.)", whole),
        ]
    print(f"upload of {size_mb} MB")
    print(f"{'method':<38} {'seconds':>8} {'peak MB':>9}  sha256")
    for label, seconds, peak, digest in rows:
        print(f"{label:<38} {seconds:8.2f} {peak:9.1f}  {digest[:16]}…")
    assert rows[0][3] == rows[1][3], "the two methods disagree on the SHA-256"


if __name__ == "__main__":
    main()
