"""A storage like object storage (django-storages' S3): files only through ``open()``, no local path."""

from __future__ import annotations

import os

from django.core.files.storage import InMemoryStorage
from django.utils._os import safe_join

OBJECT_STORAGE = "tests.storages.ObjectStorage"


class ObjectStorage(InMemoryStorage):
    """Django's in-memory storage without ``path()``, as object storage has none."""

    def path(self, name: str) -> str:
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _relative_path(self, name: str) -> str:  # the in-memory tree's own bookkeeping, not a local path
        return os.path.relpath(safe_join(self.location, name), self.location)


def use_object_storage(settings) -> None:
    """Make the default storage (and every FileField on it) object storage for the test."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": OBJECT_STORAGE}}
