"""``manage.py check_photo``: exit codes 0/1/2, the JSON keys, one clear line for unreadable files."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

pytest.importorskip("django")

from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402

from kits.photo.perception import learned_available  # noqa: E402
from tests.kits.photo.images import blurred, encode, figure_photo  # noqa: E402

JSON_KEYS = {
    "width",
    "height",
    "kind",
    "subject",
    "faces",
    "subject_fraction",
    "issues",
    "acceptable",
    "format",
    "sha256",
}


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("check_photo", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    clean = figure_photo()
    paths = {
        "clean": folder / "clean.jpg",
        "blurry": folder / "blurry.png",
        "feet": folder / "feet.webp",
        "svg": folder / "fake.jpg",
        "truncated": folder / "cut.jpg",
    }
    paths["clean"].write_bytes(encode(clean, "JPEG"))
    paths["blurry"].write_bytes(encode(blurred(clean, 5), "PNG"))
    paths["feet"].write_bytes(encode(figure_photo(figures=[(0.5, 0.3, 0.84)]), "WEBP", quality=95))
    paths["svg"].write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    data = encode(clean, "JPEG")
    paths["truncated"].write_bytes(data[: len(data) // 2])
    # A real photograph with no face in it (scikit-image's coffee cup), large enough to be measured.
    coffee = pytest.importorskip("skimage.data").coffee()
    paths["no_face"] = folder / "cup.png"
    paths["no_face"].write_bytes(encode(Image.fromarray(coffee).resize((900, 600)), "PNG"))
    return paths


def test_clean_photo_exit_0(photos):
    code, out = run(str(photos["clean"]))
    assert code == 0
    assert "usable" in out and "no issues" in out


def test_clean_photo_json(photos):
    code, out = run(str(photos["clean"]), "--json", "--kind", "full_body")
    assert code == 0
    report = json.loads(out)
    assert JSON_KEYS <= set(report)
    assert (report["width"], report["height"], report["kind"]) == (600, 800, "full_body")
    assert report["format"] == "JPEG" and len(report["sha256"]) == 64
    assert report["issues"] == [] and report["acceptable"] is True


def test_blurry_photo_exit_1(photos):
    code, out = run(str(photos["blurry"]), "--json")
    assert code == 1
    report = json.loads(out)
    assert [i["code"] for i in report["issues"]] == ["blurry"]
    assert report["issues"][0]["severity"] == "error"
    code, out = run(str(photos["blurry"]))
    assert code == 1 and "ERROR blurry" in out and "how to fix" in out


def test_warning_only_exit_0(photos):
    code, out = run(str(photos["feet"]), "--kind", "full_body", "--json")
    assert code == 0
    report = json.loads(out)
    assert [i["code"] for i in report["issues"]] == ["subject_cropped"]
    assert report["issues"][0]["severity"] == "warning"
    # The same photo as a front photo: cutting at the bottom is fine there.
    code, out = run(str(photos["feet"]), "--kind", "front", "--json")
    assert code == 0 and json.loads(out)["issues"] == []


@pytest.mark.parametrize("name", ["svg", "truncated"])
def test_unreadable_exit_2_one_line(photos, name):
    with pytest.raises(CommandError) as info:
        call_command("check_photo", str(photos[name]), stdout=io.StringIO())
    assert info.value.returncode == 2
    message = str(info.value)
    assert "unreadable" in message and "\n" not in message


def test_unreadable_json_report_then_exit_2(photos):
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("check_photo", str(photos["svg"]), "--json", stdout=out)
    assert info.value.returncode == 2
    report = json.loads(out.getvalue())
    assert [i["code"] for i in report["issues"]] == ["unreadable"]


def test_missing_file_exit_2(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("check_photo", str(tmp_path / "nope.jpg"), stdout=io.StringIO())
    assert info.value.returncode == 2


@pytest.mark.parametrize("value", ["cat", "PERSON", ""])
def test_bad_subject_exit_2(photos, value):
    with pytest.raises(CommandError) as info:
        call_command("check_photo", str(photos["clean"]), "--subject", value, stdout=io.StringIO())
    assert info.value.returncode == 2
    assert "--subject must be one of person, pet" in str(info.value)


def test_subject_and_faces_in_the_report(photos):
    code, out = run(str(photos["clean"]), "--json", "--subject", "pet")
    assert code == 0
    assert json.loads(out)["subject"] == "pet"
    code, out = run(str(photos["clean"]), "--json")
    report = json.loads(out)
    if learned_available():
        assert (report["subject"], report["faces"]) == ("person", 1)
    else:
        assert (report["subject"], report["faces"]) == (None, None)
    code, out = run(str(photos["clean"]), "--subject", "person")
    assert code == 0 and "photo of: person" in out


@pytest.mark.skipif(not learned_available(), reason="mediapipe (with its bundled models) not installed")
def test_person_front_photo_without_a_face_exit_1(photos):
    code, out = run(str(photos["no_face"]), "--subject", "person", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["faces"] == 0
    assert "face_not_visible" in [i["code"] for i in report["issues"]]
    # The same photo as a pet's, or as a back photo: no face needed.
    code, out = run(str(photos["no_face"]), "--subject", "pet", "--json")
    assert "face_not_visible" not in [i["code"] for i in json.loads(out)["issues"]]
    code, out = run(str(photos["no_face"]), "--subject", "person", "--kind", "back", "--json")
    assert "face_not_visible" not in [i["code"] for i in json.loads(out)["issues"]]
    code, out = run(str(photos["no_face"]), "--subject", "person")
    assert code == 1 and "ERROR face_not_visible" in out
