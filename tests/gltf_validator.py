"""The Khronos glTF validator (npm ``gltf-validator``, installed by ``make validators``) and a GLB's own
accessors, for the tests that hold the studio's GLBs to glTF's rules.

``needs_node`` skips a test only where node itself is missing; with node present but the validator not
installed, :func:`validate` fails and says to run ``make validators``.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "validate_gltf.mjs"
PACKAGE = ROOT / "tools" / "node_modules" / "gltf-validator"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(
    NODE is None, reason="node is not installed: the Khronos glTF validator (npm gltf-validator) runs on node"
)

_DTYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def validate(path: str | Path) -> dict:
    """The validator's JSON report on ``path``."""
    assert PACKAGE.exists(), "the glTF validator is not installed: run `make validators`"
    done = subprocess.run([NODE, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=180)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def assert_valid(path: str | Path) -> dict:
    """Validate ``path`` and fail with the validator's error messages if it reports any."""
    report = validate(path)
    errors = [m for m in report["issues"]["messages"] if m["severity"] == 0]
    assert report["issues"]["numErrors"] == 0, errors
    return report


def glb_parts(path: str | Path) -> tuple[dict, bytes]:
    """A GLB's JSON document and its BIN chunk."""
    data = Path(path).read_bytes()
    json_length = struct.unpack_from("<I", data, 12)[0]
    document = json.loads(data[20 : 20 + json_length])
    start = 20 + json_length
    bin_length = struct.unpack_from("<I", data, start)[0]
    return document, data[start + 8 : start + 8 + bin_length]


def primitive(document: dict) -> dict:
    """The one primitive of the studio's GLBs."""
    (mesh,) = document["meshes"]
    (prim,) = mesh["primitives"]
    return prim


def accessor_values(document: dict, binary: bytes, index: int) -> np.ndarray:
    """An accessor's values as floats, normalised integers divided to 0-1 as glTF defines."""
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    dtype = np.dtype(_DTYPES[accessor["componentType"]]).newbyteorder("<")
    width = _WIDTH[accessor["type"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    raw = np.frombuffer(binary, dtype=dtype, count=accessor["count"] * width, offset=start)
    values = raw.reshape(accessor["count"], width).astype(np.float64)
    if accessor.get("normalized"):
        values /= float(np.iinfo(dtype).max)
    return values
