"""The learned models: MediaPipe's legacy ``solutions`` (``mediapipe==0.10.14``), imported lazily.

Only models bundled inside the wheel are used (``mediapipe/modules/**.tflite``): face detection
(short and full range), face mesh (468 landmarks, no refinement), pose (``model_complexity=1``, the
``pose_landmark_full`` model the wheel ships; 0 and 2 would be downloaded at run time) with its
segmentation mask, and selfie segmentation. A model whose file is missing is never constructed, so
nothing is ever downloaded.

The solution objects are built once per process and shared; MediaPipe graphs are not thread-safe,
so every call runs under one lock. A process forked after the models ran falls back to the classical
backend (MediaPipe does not survive fork); one forked before (a worker pool) builds its own.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MODEL_FILES",
    "POSE_MODEL_COMPLEXITY",
    "available",
    "detect_faces",
    "usable",
    "face_mesh",
    "pose",
    "selfie_mask",
]

#: The pose model shipped in the wheel (``pose_landmark_full.tflite``).
POSE_MODEL_COMPLEXITY = 1
#: The bundled model files each solution needs (relative to the ``mediapipe`` package).
MODEL_FILES: dict[str, tuple[str, ...]] = {
    "face_short": ("modules/face_detection/face_detection_short_range.tflite",),
    "face_full": ("modules/face_detection/face_detection_full_range_sparse.tflite",),
    "face_mesh": (
        "modules/face_detection/face_detection_short_range.tflite",
        "modules/face_landmark/face_landmark.tflite",
    ),
    "pose": (
        "modules/pose_detection/pose_detection.tflite",
        "modules/pose_landmark/pose_landmark_full.tflite",
    ),
    "selfie": ("modules/selfie_segmentation/selfie_segmentation.tflite",),
}

logger = logging.getLogger(__name__)

# protobuf 4 warns on every call of the legacy solutions API: silenced once here, for that message only
# (``warnings.catch_warnings`` per call would swap the process-wide filters under other threads).
warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype", category=UserWarning)

_LOCK = threading.RLock()
_SOLUTIONS: dict[str, Any] = {}
#: Set in a process forked from one that had built solutions: their graph threads did not survive the
#: fork (using them hangs) and building new ones there corrupts the heap, so such a child keeps to the
#: classical backend. A child forked before any model ran (a task worker pool) is not affected.
_FORKED_AFTER_USE = False


def _after_fork_in_child() -> None:
    global _LOCK, _FORKED_AFTER_USE
    _LOCK = threading.RLock()
    if _SOLUTIONS:
        _FORKED_AFTER_USE = True  # the inherited objects stay referenced: destroying them could hang


os.register_at_fork(after_in_child=_after_fork_in_child)


_WARNED = False


def usable() -> bool:
    """False in a process forked after the models ran (see ``_FORKED_AFTER_USE``); said once in the log,
    since the photo checks of such a process lose their face checks."""
    global _WARNED
    if _FORKED_AFTER_USE and not _WARNED:
        _WARNED = True
        logger.warning(
            "process %s was forked after MediaPipe ran: its photos are segmented classically, without the "
            "face and pose models (start workers before any photo is checked, e.g. no preload warm-up)",
            os.getpid(),
        )
    return not _FORKED_AFTER_USE


@cache
def _package_dir() -> Path | None:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _files_present(name: str) -> bool:
    root = _package_dir()
    return root is not None and all((root / rel).is_file() for rel in MODEL_FILES[name])


def available() -> bool:
    """MediaPipe and OpenCV import, and the bundled models are there (no download would happen)."""
    try:
        import cv2  # noqa: F401
        import mediapipe  # noqa: F401
        from mediapipe.python import solutions  # noqa: F401
    except Exception:  # noqa: BLE001 - a missing or broken wheel means: no learned backend
        return False
    return all(_files_present(name) for name in MODEL_FILES)


def _solution(name: str) -> Any:
    """The cached solution object ``name`` (built on first use; call under ``_LOCK``)."""
    if name in _SOLUTIONS:
        return _SOLUTIONS[name]
    if not _files_present(name):
        raise RuntimeError(f"the bundled MediaPipe model for {name} is missing")
    from mediapipe.python import solutions as mps

    if name == "face_short":
        obj = mps.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
    elif name == "face_full":
        obj = mps.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    elif name == "face_mesh":
        obj = mps.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=False, min_detection_confidence=0.3
        )
    elif name == "pose":
        obj = mps.pose.Pose(
            static_image_mode=True,
            model_complexity=POSE_MODEL_COMPLEXITY,
            enable_segmentation=True,
            min_detection_confidence=0.5,
        )
    elif name == "selfie":
        obj = mps.selfie_segmentation.SelfieSegmentation(model_selection=0)
    else:  # pragma: no cover - programming error
        raise KeyError(name)
    _SOLUTIONS[name] = obj
    return obj


def _process(name: str, rgb: np.ndarray) -> Any:
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    with _LOCK:
        return _solution(name).process(image)


def detect_faces(
    rgb: np.ndarray, *, model: str = "face_short"
) -> list[tuple[tuple[float, float, float, float], float]]:
    """Face boxes ``((x0, y0, x1, y1), score)`` in pixels of ``rgb``; ``model`` is face_short/face_full."""
    h, w = rgb.shape[:2]
    result = _process(model, rgb)
    out = []
    for det in result.detections or []:
        box = det.location_data.relative_bounding_box
        x0, y0 = box.xmin * w, box.ymin * h
        out.append(((x0, y0, x0 + box.width * w, y0 + box.height * h), float(det.score[0])))
    return out


def face_mesh(rgb: np.ndarray) -> np.ndarray | None:
    """468 landmarks ``(x, y, z)`` in pixels of ``rgb`` (z in the x scale) of its one face, or None."""
    h, w = rgb.shape[:2]
    result = _process("face_mesh", rgb)
    if not result.multi_face_landmarks:
        return None
    pts = result.multi_face_landmarks[0].landmark
    return np.array([(p.x * w, p.y * h, p.z * w) for p in pts], dtype=np.float64)


def pose(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """``(landmarks (33, 4) px + visibility, world (33, 3) metres, segmentation prob (h, w) or None)``."""
    h, w = rgb.shape[:2]
    result = _process("pose", rgb)
    if result.pose_landmarks is None:
        return None
    lm = np.array(
        [(p.x * w, p.y * h, p.z * w, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float64
    )
    if result.pose_world_landmarks is not None:
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float64)
    else:
        world = np.zeros((33, 3))
    seg = result.segmentation_mask
    prob = None if seg is None else np.asarray(seg, dtype=np.float32)
    return lm, world, prob


def selfie_mask(rgb: np.ndarray) -> np.ndarray:
    """Selfie segmentation: probability (h, w) that a pixel is a person."""
    result = _process("selfie", rgb)
    return np.asarray(result.segmentation_mask, dtype=np.float32)
