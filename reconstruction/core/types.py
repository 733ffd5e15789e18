"""Public data types of the reconstruction core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import trimesh

#: Photo kinds the studio accepts (DESIGN.md: front, side, back, full_body).
PHOTO_KINDS = ("front", "side", "back", "full_body")
#: Product lines (DESIGN.md section 1).
PRODUCT_LINES = ("solo", "couple", "pet", "bust", "family")
STYLES = ("realistic", "chibi")
BACKENDS = ("builtin", "checkpoint")
DEVICES = ("auto", "cpu", "cuda")


class ReconstructionError(ValueError):
    """The photos cannot give a base mesh (no front photo, no subject found, bad arguments)."""


class ProgressCallback(Protocol):
    def __call__(self, stage: str, percent: int) -> None: ...


@dataclass
class PhotoInput:
    """One customer photo: an EXIF-oriented ``HxWx3``/``HxWx4`` uint8 array, its kind and whose it is
    (``person``: 0-based, the order's ``person_index``; couples and families)."""

    image: np.ndarray
    kind: str = "front"
    person: int = 0


@dataclass
class ReconstructionResult:
    """The base mesh (millimetres, Z up, facing -Y, on z = 0, vertex colours) and a report."""

    mesh: trimesh.Trimesh
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def perception(self) -> str:
        """Which perception found the subjects: ``mediapipe``, ``classical`` or ``mixed``."""
        return str(self.report.get("perception", "classical"))

    @property
    def warnings(self) -> list[str]:
        """What the sculptor must know about the base mesh (a person without photos...)."""
        return list(self.report.get("warnings", []))
