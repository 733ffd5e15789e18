"""The photo checks that see people and pets: faces, subject, face_not_visible, face_too_small,
multiple_subjects from faces and poses, subject_cropped from the pose; advice per subject."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kits.photo import ERROR_CODES, ISSUE_CODES, assess_photo, format_report, issue_text
from kits.photo.people import people_findings
from kits.photo.perception import learned_available, perceive

from .images import figure_photo
from .real_photos import astronaut, camera, chelsea, coffee, resized, small_face_astronaut, two_astronauts

needs_models = pytest.mark.skipif(
    not learned_available(), reason="mediapipe (with its bundled models) not installed"
)


def codes(report: dict) -> list[str]:
    return [issue["code"] for issue in report["issues"]]


def test_new_codes_and_severities():
    for code in ("face_not_visible", "face_too_small", "multiple_subjects", "subject_cropped"):
        assert code in ISSUE_CODES
    assert "face_not_visible" in ERROR_CODES
    assert "face_too_small" not in ERROR_CODES


@needs_models
def test_astronaut_in_a_busy_room_one_face_person_covered():
    report = assess_photo(astronaut())
    assert report["subject"] == "person" and report["faces"] == 1
    assert report["perception"] == "mediapipe" and report["mask_method"] == "pose_segmentation"
    assert report["subject_found"] is True
    assert 0.3 < report["subject_fraction"] < 0.6  # the person, not the room
    # The room behind her is busy (advice); nothing about faces or other people.
    assert codes(report) == ["cluttered_background"]
    assert report["acceptable"] is True
    assert assess_photo(astronaut(), subject_type="person")["issues"] == report["issues"]


@needs_models
def test_good_synthetic_photos_raise_nothing_new():
    clean = figure_photo()
    for kind in ("front", "side", "back", "full_body"):
        report = assess_photo(clean, kind=kind, subject_type="person")
        assert report["issues"] == [], kind
        assert report["faces"] == 1
    assert assess_photo(clean, kind="front", subject_type="person", bust=True)["issues"] == []


@needs_models
def test_two_faces_are_multiple_subjects():
    report = assess_photo(two_astronauts(), subject_type="person")
    assert report["faces"] == 2
    issue = next(i for i in report["issues"] if i["code"] == "multiple_subjects")
    assert (issue["subjects"], issue["expected"]) == (2, 1)
    assert "2 people" in issue["message"]
    couple = assess_photo(two_astronauts(), subject_type="person", expected_subjects=2)
    assert "multiple_subjects" not in codes(couple)


@needs_models
def test_face_too_small_is_a_warning_on_the_front_photo():
    photo = small_face_astronaut()
    report = assess_photo(photo)
    assert report["faces"] == 1 and report["face_width_px"] < 64
    assert "face_too_small" in codes(report) and "subject_too_small" not in codes(report)
    issue = next(i for i in report["issues"] if i["code"] == "face_too_small")
    assert issue["severity"] == "warning" and issue["min_face_width_px"] == 64
    assert "pixels across" in issue["message"]
    assert report["acceptable"] is True
    # A full-body photo has a small face by nature; the front photo carries it.
    assert "face_too_small" not in codes(assess_photo(photo, kind="full_body"))
    # The same photo at twice the resolution: enough pixels across the face.
    big = resized(photo, (1200, 1200))
    assert "face_too_small" not in codes(assess_photo(big))


@needs_models
def test_face_not_visible_on_a_persons_front_photo():
    no_face = resized(coffee(), (900, 600))
    report = assess_photo(no_face, subject_type="person")
    assert report["faces"] == 0 and report["subject"] == "person"
    issue = next(i for i in report["issues"] if i["code"] == "face_not_visible")
    assert issue["severity"] == "error" and report["acceptable"] is False
    # Not a face photo: the back, or a pet.
    assert "face_not_visible" not in codes(assess_photo(no_face, subject_type="person", kind="back"))
    assert "face_not_visible" not in codes(assess_photo(no_face, subject_type="pet"))
    # Not asked and nobody found: the subject is not known, nothing said about faces.
    unknown = assess_photo(no_face)
    assert unknown["subject"] is None and "face_not_visible" not in codes(unknown)


@needs_models
def test_face_not_visible_on_a_bust_full_body_photo():
    no_face = resized(coffee(), (900, 600))
    assert "face_not_visible" not in codes(assess_photo(no_face, subject_type="person", kind="full_body"))
    bust = assess_photo(no_face, subject_type="person", kind="full_body", bust=True)
    assert "face_not_visible" in codes(bust)


@needs_models
def test_feet_cut_off_from_the_pose():
    full = np.asarray(figure_photo())
    cut = np.asarray(figure_photo(figures=[(0.5, 0.22, 0.84)]))  # the shoes below the frame

    def findings(rgb):
        return people_findings(
            perceive(rgb),
            kind="full_body",
            bust=False,
            scale=1.0,
            shape=rgb.shape[:2],
            min_face_width_px=64,
            face_count_share=0.4,
        )

    assert findings(full).cropped == []
    assert findings(cut).cropped == ["bottom"]
    report = assess_photo(cut, kind="full_body")
    issue = next(i for i in report["issues"] if i["code"] == "subject_cropped")
    assert "bottom" in issue["edges"] and "feet" in issue["message"]
    # A real photo cut at the thighs, sent as a full-body photo.
    real = assess_photo(camera(), kind="full_body")
    assert "bottom" in next(i for i in real["issues"] if i["code"] == "subject_cropped")["edges"]
    # As a front photo the bottom may be cut.
    assert "subject_cropped" not in codes(assess_photo(cut, kind="front"))


@needs_models
def test_cat_on_a_rug_is_not_zero_percent():
    report = assess_photo(chelsea(), subject_type="pet")
    assert report["subject"] == "pet" and report["mask_method"] == "grabcut"
    assert report["subject_fraction"] > 0.2
    text = format_report(report, name="cat.jpg")
    assert "0% of the frame" not in text and "photo of: pet" in text
    assert "face_not_visible" not in codes(report)


@needs_models
def test_a_cat_with_no_subject_given_is_not_taken_for_a_person():
    """The full-range face detector finds a "face" (score ~0.5, no face mesh) on the cat at phone size:
    asked for nobody in particular, that alone does not make the photo a person's."""
    report = assess_photo(resized(chelsea(), (4032, 2688)), subject_type=None)
    assert report["subject"] is None and report["perception"] == "mediapipe"
    assert report["faces"] == 0 and report["mask_method"] == "grabcut"
    assert not {"subject_cropped", "face_not_visible", "multiple_subjects"} & set(codes(report))
    assert report["subject_fraction"] > 0.2


@needs_models
def test_a_pets_photo_is_not_searched_for_faces():
    report = assess_photo(chelsea(), subject_type="pet")
    assert report["faces"] is None and report["subject"] == "pet"


def test_the_learned_models_are_installed():
    """mediapipe is a dependency (pyproject.toml): a broken install must fail here, not skip the model
    tests quietly."""
    assert learned_available(), "mediapipe==0.10.14 with its bundled models is missing from the venv"


def test_classical_backend_does_not_judge_faces():
    report = assess_photo(astronaut(), subject_type="person", learned=False)
    assert report["perception"] == "classical" and report["faces"] is None
    assert report["subject"] == "person"
    assert not {"face_not_visible", "face_too_small"} & set(codes(report))
    assert "faces found: not looked for" in format_report(report)


def test_bad_subject_type():
    with pytest.raises(ValueError, match="subject"):
        assess_photo(Image.new("RGB", (640, 480)), subject_type="dog")


def test_advice_per_subject():
    _, person = issue_text("subject_cropped", "full_body", subject="person", edges=["bottom"])
    assert "hair" in person and "shoes" in person
    msg, pet = issue_text("subject_cropped", "full_body", subject="pet", edges=["bottom"])
    assert "pet" in msg and all(word in pet for word in ("ears", "paws", "tail", "collar"))
    _, small_pet = issue_text("subject_too_small", "front", subject="pet", subject_fraction=0.02)
    assert "ears" in small_pet and "paws" in small_pet
    msg, face = issue_text("face_not_visible", "front", subject="person")
    assert "face" in msg and "hair" in face
    for code in ISSUE_CODES:
        for subject in (None, "person", "pet"):
            message, advice = issue_text(code, "front", subject=subject)
            assert message and advice
