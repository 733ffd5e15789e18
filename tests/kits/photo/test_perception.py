"""kits.photo.perception on real photographs: the learned path (mediapipe's bundled models), the
classical fallback (learned=False, and the package missing), and photos where no model finds anyone."""

from __future__ import annotations

import os
import signal
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from kits.photo import perception as perception_kit
from kits.photo.perception import Face, Perception, Pose, learned_available, perceive

from .images import figure_photo, subject_mask
from .real_photos import ASTRONAUT_FLAG, ASTRONAUT_SHUTTLE, astronaut, chelsea, coffee, two_astronauts

needs_models = pytest.mark.skipif(
    not learned_available(), reason="mediapipe (with its bundled models) not installed"
)


def share(mask: np.ndarray, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return float(mask[max(0, y0) : y1, max(0, x0) : x1].mean())


@pytest.fixture
def without_mediapipe(monkeypatch):
    """The package missing: ``import mediapipe`` fails (as on a machine without the wheel)."""
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    perception_kit.learned_available.cache_clear()
    yield
    perception_kit.learned_available.cache_clear()


# --------------------------------------------------------------------------- the learned path


@needs_models
def test_astronaut_one_face_a_person_and_the_mask_covers_her_not_the_room():
    result = perceive(astronaut())
    assert isinstance(result, Perception)
    assert result.backend == "mediapipe" and result.subject == "person"
    assert result.mask_method == "pose_segmentation"
    assert len(result.faces) == 1
    face = result.faces[0]
    assert isinstance(face, Face) and face.score > 0.5
    assert face.landmarks is not None and face.landmarks.shape == (468, 3)
    # The mesh lies on the face: its points fall inside the face box (grown by a quarter).
    x0, y0, x1, y1 = face.box
    gx, gy = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
    inside = (
        (face.landmarks[:, 0] > x0 - gx)
        & (face.landmarks[:, 0] < x1 + gx)
        & (face.landmarks[:, 1] > y0 - gy)
        & (face.landmarks[:, 1] < y1 + gy)
    )
    assert inside.mean() > 0.95
    assert len(result.poses) == 1
    pose = result.poses[0]
    assert isinstance(pose, Pose) and pose.landmarks.shape == (33, 4) and pose.world.shape == (33, 3)
    nose = pose.landmarks[0, :2]
    assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1  # the pose's nose is in the face box
    # The person, not the room: the face is subject, the flag and the shuttle model are not.
    assert result.mask.shape == (512, 512) and result.mask.dtype == bool
    assert share(result.mask, face.box) > 0.85
    assert share(result.mask, ASTRONAUT_FLAG) < 0.05
    assert share(result.mask, ASTRONAUT_SHUTTLE) < 0.05
    assert 0.25 < result.mask.mean() < 0.6


@needs_models
def test_two_people_two_faces_two_poses():
    result = perceive(two_astronauts())
    assert len(result.faces) == 2
    assert len(result.poses) == 2
    left, right = sorted(result.faces, key=lambda f: f.box[0])
    assert left.box[2] < 256 < right.box[0]  # one face in each half


@needs_models
def test_pet_path_cat_on_a_rug_is_found():
    result = perceive(chelsea(), subject="pet")
    assert result.backend == "mediapipe" and result.subject == "pet" and result.mask_method == "grabcut"
    assert result.poses == ()
    # The cat's face (eyes and nose, the middle of the photo) is subject; the frame is not all subject.
    assert share(result.mask, (160, 60, 330, 220)) > 0.8
    assert 0.2 < result.mask.mean() < 0.8


@needs_models
def test_model_finds_nothing_coffee_uses_grabcut():
    result = perceive(coffee())
    assert result.backend == "mediapipe"
    assert result.faces == () and result.poses == ()
    assert result.subject is None and result.mask_method == "grabcut"
    # The cup in the middle is the subject found.
    assert result.mask[200, 300] and 0.1 < result.mask.mean() < 0.8


@needs_models
def test_blank_wall_has_no_subject():
    result = perceive(np.full((480, 640, 3), 205, np.uint8))
    assert result.faces == () and result.poses == ()
    assert not result.mask.any() and result.confidence == 0.0


@needs_models
def test_floor_shadow_is_backdrop_for_a_pet():
    # A dark, furry "pet" (textured) standing on a light backdrop with a soft grey shadow beside it.
    rng = np.random.default_rng(3)
    img = np.full((480, 640, 3), (225, 228, 232), np.float64) + rng.normal(0, 1.5, (480, 640, 3))
    yy, xx = np.mgrid[0:480, 0:640]
    body = ((xx - 300) / 150.0) ** 2 + ((yy - 300) / 90.0) ** 2 < 1.0
    fur = np.array([150, 95, 50]) + rng.normal(0, 18, (480, 640, 1))
    img[body] = fur[body]
    shadow = (((xx - 380) / 220.0) ** 2 + ((yy - 400) / 30.0) ** 2 < 1.0) & ~body
    img[shadow] *= 0.7
    rgb = np.clip(img, 0, 255).astype(np.uint8)
    result = perceive(rgb, subject="pet")
    assert share(result.mask, (200, 250, 400, 350)) > 0.9  # the body
    assert result.mask[shadow].mean() < 0.1  # the shadow is not subject


@needs_models
def test_alpha_cutout_wins_and_faces_still_found():
    rgb = np.asarray(figure_photo(), dtype=np.uint8)
    alpha = (subject_mask() * 255).astype(np.uint8)
    result = perceive(np.dstack([rgb, alpha]))
    assert result.mask_method == "backdrop" and result.classical is not None
    assert result.classical.source == "alpha"
    assert np.array_equal(result.mask, result.classical.mask)
    assert len(result.faces) == 1 and result.subject == "person"


@needs_models
def test_only_bundled_models_no_download(monkeypatch):
    """The solutions are built from the wheel's own files: a download attempt would fail the test."""
    from mediapipe.python.solutions import download_utils

    from kits.photo.perception import models

    def refuse(*args, **kwargs):
        raise AssertionError(f"mediapipe tried to download {args}")

    monkeypatch.setattr(download_utils, "download_oss_model", refuse)
    assert models.POSE_MODEL_COMPLEXITY == 1
    with models._LOCK:
        saved = dict(models._SOLUTIONS)
        models._SOLUTIONS.clear()
    try:
        result = perceive(astronaut())
        assert len(result.faces) == 1 and len(result.poses) == 1
    finally:
        with models._LOCK:
            models._SOLUTIONS.update(saved)


@needs_models
def test_concurrent_calls_agree():
    rgb = astronaut()
    expected = perceive(rgb)
    results: list[Perception] = []
    threads = [threading.Thread(target=lambda: results.append(perceive(rgb))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for got in results:
        assert len(got.faces) == 1 and np.allclose(got.faces[0].box, expected.faces[0].box)
        assert np.array_equal(got.mask, expected.mask)


@needs_models
def test_large_photo_coordinates_in_its_own_pixels():
    small = astronaut()
    big = np.asarray(Image.fromarray(small).resize((2048, 2048), Image.Resampling.LANCZOS))
    a, b = perceive(small), perceive(big)
    assert b.mask.shape == (2048, 2048)
    assert np.allclose(np.array(b.faces[0].box) / 4.0, a.faces[0].box, atol=6.0)
    assert np.allclose(b.poses[0].landmarks[0, :2] / 4.0, a.poses[0].landmarks[0, :2], atol=6.0)


# --------------------------------------------------------------------------- the classical fallback


def test_learned_false_is_the_classical_backdrop_segmentation():
    rgb = np.asarray(figure_photo(), dtype=np.uint8)
    result = perceive(rgb, subject="person", learned=False)
    assert result.backend == "classical" and result.mask_method == "backdrop"
    assert result.subject == "person"  # what was asked
    assert result.faces == () and result.poses == ()
    truth = subject_mask()
    iou = (result.mask & truth).sum() / (result.mask | truth).sum()
    assert iou > 0.9


def test_package_missing_falls_back(without_mediapipe):
    assert learned_available() is False
    result = perceive(astronaut())
    assert result.backend == "classical" and result.mask_method == "backdrop"
    assert result.faces == () and result.poses == () and result.subject is None
    # Asking for the learned backend without the package still answers, classically.
    assert perceive(astronaut(), learned=True).backend == "classical"


def test_cv2_missing_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    perception_kit.learned_available.cache_clear()
    try:
        assert learned_available() is False
        assert perceive(coffee()).backend == "classical"
    finally:
        perception_kit.learned_available.cache_clear()


@pytest.mark.parametrize("shape", [(2, 2, 3), (10, 400, 3), (15, 15, 4)])
def test_thumbnails_find_nothing(shape):
    result = perceive(np.full(shape, 120, np.uint8))
    assert result.mask.shape == shape[:2] and not result.mask.any()
    assert result.faces == () and result.confidence == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="subject"):
        perceive(coffee(), subject="cat")
    with pytest.raises(ValueError, match="HxWx3"):
        perceive(np.zeros((10, 10, 5), np.uint8))


@needs_models
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_child_forked_after_the_models_ran_answers_classically():
    """MediaPipe does not survive fork(): such a child must neither hang nor crash, but fall back."""
    rgb = astronaut()
    assert perceive(rgb).backend == "mediapipe"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        signal.alarm(60)
        try:
            os._exit(0 if perceive(rgb).backend == "classical" else 3)
        except BaseException:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert perceive(rgb).backend == "mediapipe"  # the parent still has its models
