"""Photo quality report: a clean photo passes; each defect gives its issue code."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from kits.photo import (
    ERROR_CODES,
    ISSUE_CODES,
    PHOTO_GUIDANCE,
    PHOTO_KINDS,
    PhotoRejected,
    assess_photo,
    exit_code,
    format_report,
    open_photo,
    rejection_report,
)

from .images import (
    blurred,
    brightened,
    cluttered_photo,
    darkened,
    encode,
    figure_photo,
    flattened,
)

REQUIRED_KEYS = {
    "width",
    "height",
    "kind",
    "subject_fraction",
    "issues",
    "acceptable",
    "sharpness",
    "brightness",
    "contrast",
}


def codes(report: dict) -> set[str]:
    return {issue["code"] for issue in report["issues"]}


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return figure_photo()


def _check_issue_shape(report: dict) -> None:
    for issue in report["issues"]:
        assert issue["code"] in ISSUE_CODES
        assert issue["severity"] == ("error" if issue["code"] in ERROR_CODES else "warning")
        assert isinstance(issue["message"], str) and len(issue["message"]) > 20
        assert isinstance(issue["advice"], str) and len(issue["advice"]) > 20
    assert report["acceptable"] == (not any(i["severity"] == "error" for i in report["issues"]))
    json.dumps(report)  # JSON-ready


@pytest.mark.parametrize("kind", PHOTO_KINDS)
def test_clean_photo_has_no_issues(clean, kind):
    report = assess_photo(clean, kind=kind)
    assert report["issues"] == []
    assert report["acceptable"] is True
    assert REQUIRED_KEYS <= set(report)
    assert (report["width"], report["height"], report["kind"]) == (600, 800, kind)
    assert 0.15 < report["subject_fraction"] < 0.3
    assert report["subject_count"] == 1 and report["subject_found"]


def test_clean_photo_through_intake_as_jpeg_has_no_issues(clean):
    report = assess_photo(open_photo(encode(clean, "JPEG", quality=90)), kind="full_body")
    assert report["issues"] == []


def test_clean_bust_may_touch_the_bottom(clean):
    bust = figure_photo(figures=[(0.5, 0.15, 1.3)])
    report = assess_photo(bust, kind="front")
    assert report["subject_edges"] == ["bottom"]
    assert report["issues"] == []
    # ...but a full-body photo cut like that is reported.
    assert "subject_cropped" in codes(assess_photo(bust, kind="full_body"))


def test_too_small(clean):
    report = assess_photo(clean.resize((300, 400), Image.Resampling.LANCZOS))
    assert "too_small" in codes(report)
    assert report["acceptable"] is False
    issue = next(i for i in report["issues"] if i["code"] == "too_small")
    assert issue["severity"] == "error" and "300 x 400" in issue["message"]
    _check_issue_shape(report)


@pytest.mark.parametrize("radius", [4, 6])
def test_blurry(clean, radius):
    sharp = assess_photo(clean)
    report = assess_photo(blurred(clean, radius))
    assert codes(report) == {"blurry"}
    assert report["acceptable"] is False
    assert report["sharpness"] < sharp["sharpness"] / 20
    _check_issue_shape(report)


def test_blur_judged_at_a_normalised_scale():
    big = figure_photo(1200, 1600, seed=2)
    assert "blurry" not in codes(assess_photo(big))
    assert "blurry" in codes(assess_photo(blurred(big, 8)))


def test_too_dark(clean):
    report = assess_photo(darkened(clean))
    assert "too_dark" in codes(report)
    assert "blurry" not in codes(report)  # dim but in focus
    assert report["acceptable"] is False
    _check_issue_shape(report)


def test_too_bright(clean):
    report = assess_photo(brightened(clean))
    assert "too_bright" in codes(report)
    assert report["acceptable"] is True  # a warning: advice, not a block
    _check_issue_shape(report)


def test_low_contrast(clean):
    report = assess_photo(flattened(clean))
    assert codes(report) == {"low_contrast"}
    assert report["acceptable"] is True
    _check_issue_shape(report)


def test_cluttered_background():
    report = assess_photo(cluttered_photo())
    assert "cluttered_background" in codes(report)
    issue = next(i for i in report["issues"] if i["code"] == "cluttered_background")
    assert issue["severity"] == "warning" and "plain" in issue["advice"]
    _check_issue_shape(report)


def test_subject_too_small():
    report = assess_photo(figure_photo(figures=[(0.5, 0.6, 0.25)]))
    assert codes(report) == {"subject_too_small"}
    assert report["subject_fraction"] < 0.05
    assert report["acceptable"] is False
    _check_issue_shape(report)


def test_no_subject_at_all():
    report = assess_photo(Image.new("RGB", (640, 480), (200, 205, 210)))
    assert "subject_too_small" in codes(report)
    assert report["subject_fraction"] == 0.0
    assert report["acceptable"] is False


@pytest.mark.parametrize(
    ("figures", "kind", "edge", "words"),
    [
        ([(0.5, 0.3, 0.84)], "full_body", "bottom", "feet"),
        ([(0.5, -0.06, 0.84)], "front", "top", "head"),
        ([(0.12, 0.08, 0.84)], "side", "left", "left"),
    ],
    ids=["feet", "head", "side"],
)
def test_subject_cropped(figures, kind, edge, words):
    report = assess_photo(figure_photo(figures=figures), kind=kind)
    assert "subject_cropped" in codes(report)
    issue = next(i for i in report["issues"] if i["code"] == "subject_cropped")
    assert edge in issue["edges"]
    assert issue["severity"] == "warning"
    assert words in issue["message"]
    _check_issue_shape(report)


@pytest.mark.parametrize(
    ("figures", "kind"),
    [([(0.05, 0.08, 0.84)], "side"), ([(0.5, 0.15, 2.0)], "front")],
    ids=["half-out", "close-bust"],
)
def test_subject_covering_the_border_is_not_blocked(figures, kind):
    # The subject covers much of the frame's border; the background model is fitted on the border
    # pixels that look like background, so the subject is still found, and nothing blocks the photo
    # (a subject the segmentation did miss would be "unknown", not "no subject").
    report = assess_photo(figure_photo(figures=figures), kind=kind)
    assert report["subject_found"] is True and report["subject_confidence"] >= 0.5
    assert "subject_too_small" not in codes(report)
    assert report["acceptable"] is True


def test_advice_is_specific_to_the_kind(clean):
    cut = figure_photo(figures=[(0.5, 0.3, 0.84)])
    full = next(i for i in assess_photo(cut, kind="full_body")["issues"] if i["code"] == "subject_cropped")
    assert "feet" in full["message"] and "shoes" in full["advice"]
    blurry_side = assess_photo(blurred(clean, 5), kind="side")["issues"][0]
    assert "side profile" in blurry_side["advice"]
    blurry_front = assess_photo(blurred(clean, 5), kind="front")["issues"][0]
    assert "front photo" in blurry_front["advice"]


def test_multiple_subjects():
    two = figure_photo(figures=[(0.28, 0.1, 0.8), (0.72, 0.12, 0.78)])
    report = assess_photo(two)
    assert codes(report) == {"multiple_subjects"}
    issue = report["issues"][0]
    assert (issue["subjects"], issue["expected"]) == (2, 1)
    # A couple photo is fine when two people are expected.
    assert assess_photo(two, expected_subjects=2)["issues"] == []
    _check_issue_shape(report)


def test_alpha_cutout_uses_alpha():
    rgb = np.asarray(figure_photo(), dtype=np.uint8)
    alpha = np.zeros(rgb.shape[:2], np.uint8)
    alpha[50:750, 150:450] = 255
    rgba = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    report = assess_photo(rgba)
    assert report["subject_source"] == "alpha"
    assert report["subject_fraction"] == pytest.approx(700 * 300 / (600 * 800), abs=0.01)


def test_width_height_after_exif_orientation(clean):
    exif = Image.Exif()
    exif[0x0112] = 8
    photo = open_photo(encode(clean, "JPEG", exif=exif))
    report = assess_photo(photo)
    assert (report["width"], report["height"]) == (800, 600)


def test_numpy_input_and_bad_arguments(clean):
    report = assess_photo(np.asarray(clean), kind="side")
    assert report["issues"] == []
    with pytest.raises(ValueError):
        assess_photo(clean, kind="selfie")
    with pytest.raises(ValueError):
        assess_photo(clean, expected_subjects=0)


def test_rejection_report_shape():
    with pytest.raises(PhotoRejected) as info:
        open_photo(b"not a photo")
    report = rejection_report(info.value, kind="front")
    assert report["acceptable"] is False
    assert [i["code"] for i in report["issues"]] == ["unreadable"]
    assert report["issues"][0]["severity"] == "error"
    assert {"width", "height", "kind", "subject_fraction", "issues"} <= set(report)


def test_guidance_for_every_kind():
    assert set(PHOTO_GUIDANCE) == set(PHOTO_KINDS)
    for entry in PHOTO_GUIDANCE.values():
        assert entry["title"] and entry["summary"] and len(entry["tips"]) >= 3
    assert "feet" in " ".join(PHOTO_GUIDANCE["full_body"]["tips"]).lower()


@pytest.mark.parametrize("size", [(1, 1), (1, 1000), (12, 12), (4000, 3)])
def test_thumbnails_and_slivers_are_only_too_small(size):
    report = assess_photo(Image.new("RGB", size, (120, 60, 30)))
    assert [i["code"] for i in report["issues"]] == ["too_small"]
    assert report["acceptable"] is False
    assert (report["width"], report["height"]) == size
    json.dumps(report)
    assert "too_small" in format_report(report)


def test_format_report_reads_like_a_report(clean):
    text = format_report(assess_photo(blurred(clean, 5), kind="side"), name="me.jpg")
    assert text.startswith("me.jpg: side profile, 600 x 800 px")
    assert "NOT usable" in text
    assert "ERROR blurry" in text and "how to fix:" in text
    assert exit_code(assess_photo(clean)) == 0
    assert exit_code(assess_photo(blurred(clean, 5))) == 1
    assert exit_code(rejection_report(PhotoRejected("too_large", "big"))) == 2
