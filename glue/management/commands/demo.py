"""`python manage.py demo`: one order end to end on the embedded default, then its timeline."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from glue.demo import demo_report, run_demo
from studio.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Run one order end to end (payment, photos, reconstruction, two sculptor rounds with feedback and pins, "
        "approval, print job) with the tasks in line, and print its timeline."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-migrate", action="store_true", help="Do not apply migrations first.")
        parser.add_argument("--render-size", type=int, default=192, help="Turntable render size in pixels.")
        parser.add_argument(
            "--triangles",
            type=int,
            default=40_000,
            help="Triangle budget of the base mesh (keeps the demo quick).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the outcome and the timeline as JSON (progress goes to stderr).",
        )

    def handle(self, *args, **options) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        as_json = options["json"]
        progress = io.StringIO() if as_json else self.stdout
        try:
            item = run_demo(
                progress, render_size=options["render_size"], triangle_budget=options["triangles"]
            )
        except (ApplicationError, RuntimeError) as exc:
            if as_json:
                self.stderr.write(progress.getvalue())
            raise CommandError(f"the demo stopped: {getattr(exc, 'message', exc)}", returncode=1) from exc
        if as_json:
            self.stderr.write(progress.getvalue())
            self.stdout.write(json.dumps(demo_report(item), default=str))
