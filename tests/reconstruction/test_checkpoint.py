import json

import numpy as np
import torch

from reconstruction.core.pipeline import reconstruct
from reconstruction.core.types import PhotoInput

from .drawing import person_photo


class SphereNet(torch.nn.Module):
    """Tiny image-to-occupancy model: a sphere whose radius follows the image's mean brightness."""

    def __init__(self, size: int = 24):
        super().__init__()
        c = (torch.arange(size, dtype=torch.float32) + 0.5) / size - 0.5
        z, y, x = torch.meshgrid(c, c, c, indexing="ij")
        self.register_buffer("dist", torch.sqrt(x * x + y * y + z * z))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        radius = 0.25 + 0.1 * image.mean()
        return torch.sigmoid((radius - self.dist) * 40.0)[None, None]


class WrongShapeNet(torch.nn.Module):
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image[:, :1, :5, :7]


def save(module: torch.nn.Module, path, config: dict | None = None):
    scripted = torch.jit.script(module)
    extra = {"figurine.json": json.dumps(config)} if config is not None else {}
    torch.jit.save(scripted, str(path), _extra_files=extra)
    return path


def test_checkpoint_backend_loads_and_builds_the_mesh(tmp_path):
    path = save(SphereNet(), tmp_path / "sphere.pt", {"input_size": 64, "channels": 3, "output": "occupancy"})
    result = reconstruct(
        [PhotoInput(person_photo(), "front")],
        backend="checkpoint",
        checkpoint_path=path,
        triangle_budget=2000,
    )
    assert result.report["backend"] == "checkpoint" and result.report["backend_fallback_reason"] is None
    mesh = result.mesh
    assert mesh.is_watertight
    # a sphere, not a person: as deep and wide as it is tall
    ex = mesh.extents
    assert abs(ex[0] - ex[2]) < 0.1 * ex[2] and abs(ex[1] - ex[2]) < 0.1 * ex[2]


def test_bad_checkpoint_falls_back_to_builtin_with_reason(tmp_path, caplog):
    path = save(WrongShapeNet(), tmp_path / "bad.pt", {"input_size": 32})
    with caplog.at_level("WARNING"):
        result = reconstruct(
            [PhotoInput(person_photo(), "front")],
            backend="checkpoint",
            checkpoint_path=path,
            triangle_budget=2000,
        )
    assert result.report["backend"] == "builtin"
    assert "output shape" in result.report["backend_fallback_reason"]
    assert "falls back" in caplog.text
    assert result.mesh.is_watertight

    missing = reconstruct(
        [PhotoInput(person_photo(), "front")],
        backend="checkpoint",
        checkpoint_path=tmp_path / "nope.pt",
        triangle_budget=2000,
    )
    assert (
        missing.report["backend"] == "builtin"
        and "does not exist" in missing.report["backend_fallback_reason"]
    )

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a model")
    broken = reconstruct(
        [PhotoInput(person_photo(), "front")],
        backend="checkpoint",
        checkpoint_path=garbage,
        triangle_budget=2000,
    )
    assert (
        broken.report["backend"] == "builtin"
        and "could not be loaded" in broken.report["backend_fallback_reason"]
    )


def test_checkpoint_sdf_output_and_mask_channel(tmp_path):
    class SdfNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.sphere = SphereNet(16)

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            assert image.shape[1] == 4
            return (self.sphere.dist - 0.3 + 0.0 * image.mean())[None]

    path = save(SdfNet(), tmp_path / "sdf.pt", {"input_size": 48, "channels": 4, "output": "sdf"})
    result = reconstruct(
        [PhotoInput(person_photo(), "front")],
        backend="checkpoint",
        checkpoint_path=path,
        triangle_budget=2000,
    )
    assert result.report["backend"] == "checkpoint"
    assert result.mesh.is_watertight
    assert np.ptp(result.mesh.vertices[:, 0]) > 0.8 * result.mesh.extents[2]
