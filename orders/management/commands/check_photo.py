"""``python manage.py check_photo PATH [--kind front|side|back|full_body] [--subject person|pet] [--json]``.

A thin layer over :mod:`kits.photo`: exit 0 when the photo is usable, 1 when an issue blocks it
(``too_small, blurry, too_dark, subject_too_small, face_not_visible``), 2 when the file is unreadable
or too large (one line, no traceback; with ``--json`` the rejection report is printed first) or an
option is wrong (``--subject`` not ``person``/``pet``, ``--subjects`` below 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kits.photo.guidance import PHOTO_KINDS
from kits.photo.intake import PhotoRejected
from kits.photo.perception import SUBJECTS
from kits.photo.quality import rejection_report
from kits.photo.report import EXIT_OK, check_photo, exit_code, format_report


class Command(BaseCommand):
    help = "Check a customer photo: type and size, sharpness, exposure, background and subject framing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="JPEG, PNG, WebP or HEIC photo")
        parser.add_argument("--kind", default="front", choices=PHOTO_KINDS, help="which photo this is")
        parser.add_argument(
            "--subjects", type=int, default=1, help="people expected in the photo (2 for a couple photo)"
        )
        parser.add_argument(
            "--subject",
            default=None,
            metavar="person|pet",
            help="what the photo is of (default: found from the photo); a person's front photo needs a face",
        )
        parser.add_argument("--bust", action="store_true", help="a portrait bust: the face is needed")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        kind = options["kind"]
        if options["subjects"] < 1:
            raise CommandError("--subjects must be at least 1", returncode=2)
        subject = options["subject"]
        if subject is not None and subject not in SUBJECTS:
            raise CommandError(
                f"--subject must be one of {', '.join(SUBJECTS)}, not {subject!r}", returncode=2
            )
        try:
            report = check_photo(
                path, kind=kind, expected_subjects=options["subjects"], subject=subject, bust=options["bust"]
            )
        except PhotoRejected as exc:
            if options["json"]:
                self.stdout.write(json.dumps(rejection_report(exc, kind=kind, subject=subject), indent=2))
            raise CommandError(f"{path.name}: {exc.code}: {exc.message}", returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(format_report(report, name=path.name))
        code = exit_code(report)
        if code != EXIT_OK:
            sys.exit(code)
