"""Photo intake and quality checks for customer photos (pure Python: Pillow, numpy, scipy; no Django).

* :func:`open_photo` / :func:`reencode` — safe intake and the metadata-free stored copy.
* :func:`assess_photo` — the quality report shared by the portal, the API, reconstruction and
  ``manage.py check_photo``; :func:`rejection_report` gives the same shape for a refused file.
* :data:`PHOTO_GUIDANCE` — what the portal tells the customer for each photo kind.
"""

from .guidance import KIND_LABELS, PHOTO_GUIDANCE, PHOTO_KINDS, issue_text
from .intake import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    IntakePhoto,
    PhotoRejected,
    StoredPhoto,
    open_photo,
    reencode,
    sniff_format,
    too_large_message,
)
from .quality import ERROR_CODES, ISSUE_CODES, QualityThresholds, assess_photo, rejection_report
from .report import check_photo, exit_code, format_report

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ERROR_CODES",
    "ISSUE_CODES",
    "KIND_LABELS",
    "PHOTO_GUIDANCE",
    "PHOTO_KINDS",
    "IntakePhoto",
    "PhotoRejected",
    "QualityThresholds",
    "StoredPhoto",
    "assess_photo",
    "check_photo",
    "exit_code",
    "format_report",
    "issue_text",
    "open_photo",
    "reencode",
    "rejection_report",
    "sniff_format",
    "too_large_message",
]
