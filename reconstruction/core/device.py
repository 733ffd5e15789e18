"""Torch device selection (``RECONSTRUCTION_DEVICE``: auto | cpu | cuda)."""

from __future__ import annotations

import logging

import torch

from .types import DEVICES, ReconstructionError

logger = logging.getLogger(__name__)


def select_device(name: str = "auto") -> tuple[torch.device, str | None]:
    """The device to run on and, when the request could not be honoured, the reason.

    ``auto`` takes CUDA when present, else the CPU. ``cuda`` without a GPU falls back to the CPU with a
    logged reason rather than failing a worker.
    """
    name = (name or "auto").strip().lower()
    if name not in DEVICES:
        raise ReconstructionError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")
    if name == "cpu":
        return torch.device("cpu"), None
    if torch.cuda.is_available():
        return torch.device("cuda"), None
    if name == "cuda":
        reason = "RECONSTRUCTION_DEVICE=cuda but no CUDA device is available; using the CPU"
        logger.warning(reason)
        return torch.device("cpu"), reason
    return torch.device("cpu"), None
