"""Shape backends behind one interface, chosen by name (``RECONSTRUCTION_BACKEND``).

- ``builtin``: weight-free; the rounded visual hull with a side photo, silhouette inflation with the
  product line's depth prior from the front alone.
- ``checkpoint``: a local TorchScript model mapping the front photo to an occupancy (or SDF) grid.
  Its contract, stored as the extra file ``figurine.json`` in the TorchScript archive (all keys
  optional)::

      {"input_size": 128, "channels": 3, "output": "occupancy" | "sdf", "level": 0.5}

  Input: ``(1, channels, S, S)`` float32 in [0, 1], the front photo cropped to a square of side 1.1 x
  the silhouette height centred on the silhouette (a 4th channel, when asked for, is the subject
  mask). Output: ``(D, D, D)``, ``(1, D, D, D)`` or ``(1, 1, D, D, D)`` indexed ``[z, y, x]`` over the
  same cube in the figure frame (z up from the cube's bottom, y from the front to the back, x to the
  image's right). Occupancy is inside above ``level``; an SDF is inside below ``level`` (default 0).
  The model is checked at load (shapes, finite values) and any failure falls back to ``builtin``
  with a logged reason.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from .shape import ShapeField, inflation_field, visual_hull_field
from .types import BACKENDS, ReconstructionError
from .views import RegisteredView

logger = logging.getLogger(__name__)

__all__ = ["ShapeBackend", "BuiltinBackend", "CheckpointBackend", "CheckpointError", "get_backend"]

CROP_MARGIN = 1.1


class ShapeBackend(Protocol):
    name: str

    def shape(
        self, views: list[RegisteredView], product_line: str, resolution: int, device: torch.device
    ) -> ShapeField: ...


class CheckpointError(RuntimeError):
    """The checkpoint cannot be used (missing, unloadable, wrong shapes, bad output)."""


@dataclass
class BuiltinBackend:
    """Weight-free shape from silhouettes."""

    name: str = "builtin"

    def shape(
        self, views: list[RegisteredView], product_line: str, resolution: int, device: torch.device
    ) -> ShapeField:
        if any(v.role == "side" and "shape" in v.uses for v in views):
            return visual_hull_field(views, resolution, device)
        return inflation_field(views[0], product_line, resolution, device, views)


@dataclass
class CheckpointBackend:
    """A local TorchScript image-to-grid model, validated at load."""

    path: Path
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    name: str = "checkpoint"
    input_size: int = 128
    channels: int = 3
    output: str = "occupancy"
    level: float = 0.5
    grid_size: int = 0
    model: torch.jit.ScriptModule | None = None

    @classmethod
    def load(cls, path: str | os.PathLike, device: torch.device) -> CheckpointBackend:
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"checkpoint {path} does not exist")
        extra = {"figurine.json": ""}
        try:
            model = torch.jit.load(str(path), map_location=device, _extra_files=extra)
        except Exception as exc:  # noqa: BLE001 - any load failure means "fall back"
            raise CheckpointError(f"checkpoint {path} could not be loaded: {exc}") from exc
        try:
            config = json.loads(extra["figurine.json"] or "{}")
        except ValueError as exc:
            raise CheckpointError(f"checkpoint {path}: figurine.json is not valid JSON") from exc
        backend = cls(path=path, device=device, model=model)
        backend.input_size = int(config.get("input_size", 128))
        backend.channels = int(config.get("channels", 3))
        backend.output = str(config.get("output", "occupancy"))
        backend.level = float(config.get("level", 0.5 if backend.output == "occupancy" else 0.0))
        if backend.output not in ("occupancy", "sdf"):
            raise CheckpointError(
                f"checkpoint {path}: output must be occupancy or sdf, not {backend.output!r}"
            )
        if backend.channels not in (3, 4) or not 16 <= backend.input_size <= 2048:
            raise CheckpointError(
                f"checkpoint {path}: unsupported input {backend.channels}x{backend.input_size}"
            )
        model.eval()
        probe = torch.zeros(1, backend.channels, backend.input_size, backend.input_size, device=device)
        grid = backend._run(probe)
        backend.grid_size = int(grid.shape[0])
        return backend

    def _run(self, batch: torch.Tensor) -> torch.Tensor:
        assert self.model is not None
        try:
            with torch.inference_mode():
                out = self.model(batch)
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError(
                f"checkpoint {self.path} failed on a {tuple(batch.shape)} input: {exc}"
            ) from exc
        if not isinstance(out, torch.Tensor):
            raise CheckpointError(f"checkpoint {self.path} returned {type(out).__name__}, not a tensor")
        grid = out
        while grid.dim() > 3 and grid.shape[0] == 1:
            grid = grid[0]
        if grid.dim() != 3 or len(set(grid.shape)) != 1 or not 8 <= grid.shape[0] <= 512:
            raise CheckpointError(
                f"checkpoint {self.path} output shape {tuple(out.shape)}; expected a cubic (D, D, D) grid, 8 <= D <= 512"
            )
        if not torch.isfinite(grid).all():
            raise CheckpointError(f"checkpoint {self.path} produced non-finite values")
        return grid.float()

    def _input(self, front: RegisteredView) -> torch.Tensor:
        side = CROP_MARGIN * front.height_px
        cy = (front.top + front.ground) / 2.0
        box = (front.centre_px - side / 2, cy - side / 2, front.centre_px + side / 2, cy + side / 2)
        rgb = Image.fromarray(front.image).crop(tuple(int(round(v)) for v in box))
        rgb = rgb.resize((self.input_size, self.input_size), Image.BILINEAR)
        arr = np.asarray(rgb, np.float32) / 255.0
        if self.channels == 4:
            m = Image.fromarray(front.mask.astype(np.uint8) * 255).crop(tuple(int(round(v)) for v in box))
            m = np.asarray(m.resize((self.input_size, self.input_size), Image.BILINEAR), np.float32) / 255.0
            arr = np.concatenate([arr, m[:, :, None]], axis=2)
        return torch.from_numpy(arr).permute(2, 0, 1)[None].to(self.device)

    def shape(
        self, views: list[RegisteredView], product_line: str, resolution: int, device: torch.device
    ) -> ShapeField:
        grid = self._run(self._input(views[0])).to(device)
        values = grid - self.level if self.output == "occupancy" else self.level - grid
        if not (values > 0).any():
            raise CheckpointError(f"checkpoint {self.path} predicted an empty shape")
        d = grid.shape[0]
        spacing = CROP_MARGIN / d
        half = CROP_MARGIN / 2
        origin = (-half + spacing / 2, -half + spacing / 2, 0.5 - half + spacing / 2)
        return ShapeField(values=values.clamp(-2.0, 2.0).contiguous(), origin=origin, spacing=spacing)


def get_backend(
    name: str, device: torch.device, checkpoint_path: str | os.PathLike | None = None
) -> tuple[ShapeBackend, str | None]:
    """The backend called ``name`` and, when it fell back to ``builtin``, the logged reason."""
    name = (name or "builtin").strip().lower()
    if name not in BACKENDS:
        raise ReconstructionError(
            f"unknown reconstruction backend {name!r}; expected one of {', '.join(BACKENDS)}"
        )
    if name == "builtin":
        return BuiltinBackend(), None
    path = checkpoint_path or os.environ.get("RECONSTRUCTION_CHECKPOINT", "")
    if not path:
        reason = "checkpoint backend chosen but no checkpoint path is configured (RECONSTRUCTION_CHECKPOINT)"
    else:
        try:
            return CheckpointBackend.load(path, device), None
        except CheckpointError as exc:
            reason = str(exc)
    logger.warning("reconstruction falls back to the builtin backend: %s", reason)
    return BuiltinBackend(), reason
