"""One-call photo check and its human-readable rendering (used by ``manage.py check_photo``)."""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from .guidance import KIND_LABELS
from .intake import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, PhotoRejected, open_photo
from .quality import assess_photo

__all__ = ["EXIT_NOT_ACCEPTABLE", "EXIT_OK", "EXIT_UNREADABLE", "check_photo", "exit_code", "format_report"]

EXIT_OK = 0
EXIT_NOT_ACCEPTABLE = 1
EXIT_UNREADABLE = 2


def check_photo(
    source: bytes | str | os.PathLike | BinaryIO,
    *,
    kind: str = "front",
    expected_subjects: int = 1,
    subject: str | None = None,
    bust: bool = False,
    learned: bool | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, Any]:
    """Open a photo safely and assess it; raises :class:`PhotoRejected` for unreadable/too-large input.

    ``subject`` is ``person``, ``pet`` or None (found from the photo). The report also carries the
    sniffed ``format`` and the original's ``sha256``.
    """
    photo = open_photo(source, max_bytes=max_bytes, max_pixels=max_pixels)
    report = assess_photo(
        photo,
        kind=kind,
        expected_subjects=expected_subjects,
        subject_type=subject,
        bust=bust,
        learned=learned,
    )
    report["format"] = photo.format
    report["sha256"] = photo.sha256
    return report


def exit_code(report: dict[str, Any]) -> int:
    """0 acceptable, 1 an error issue, 2 unreadable or too large (the command-line contract)."""
    codes = {issue["code"] for issue in report.get("issues", [])}
    if codes & {"unreadable", "too_large"}:
        return EXIT_UNREADABLE
    return EXIT_OK if report.get("acceptable") else EXIT_NOT_ACCEPTABLE


def format_report(report: dict[str, Any], *, name: str = "photo") -> str:
    """Plain-text report for a person: verdict, key measures, then each issue with its advice."""
    kind = str(report.get("kind", "front"))
    label = KIND_LABELS.get(kind, kind)
    lines = [f"{name}: {label.lower()}, {report['width']} x {report['height']} px"]
    if report.get("format"):
        lines[0] += f", {report['format']}"
    if report.get("acceptable"):
        verdict = "usable" if not report["issues"] else "usable, with advice"
    else:
        verdict = "NOT usable, please retake"
    lines.append(f"verdict: {verdict}")
    lines.append(
        "subject: {found}, {frac:.0%} of the frame, {n} found".format(
            found="found" if report.get("subject_found") else "not clearly found",
            frac=report.get("subject_fraction") or 0.0,
            n=report.get("subject_count", 0),
        )
    )
    faces = report.get("faces")
    who = report.get("subject") or "not known"
    lines.append(f"photo of: {who} · faces found: {'not looked for' if faces is None else faces}")
    measures = [
        ("sharpness", "sharpness {:.0f}"),
        ("brightness", "brightness {:.2f}"),
        ("contrast", "contrast {:.2f}"),
        ("background_edge_density", "background edges {:.1%}"),
    ]
    shown = [fmt.format(report[key]) for key, fmt in measures if report.get(key) is not None]
    if shown:
        lines.append(" · ".join(shown))
    if not report["issues"]:
        lines.append("no issues found")
    for issue in report["issues"]:
        lines.append(f"- {issue['severity'].upper()} {issue['code']}: {issue['message']}")
        lines.append(f"    how to fix: {issue['advice']}")
    return "\n".join(lines)


def format_rejection(error: PhotoRejected, *, name: str = "photo") -> str:
    """The one line printed for an unreadable or too-large file."""
    return f"{name}: {error.code}: {error.message}"
