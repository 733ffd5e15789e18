"""The print queue in the operator's words: status labels instead of codes, footprints in millimetres,
counted nouns, refusals that say what happened; and the admin actions that move jobs and trays with
those words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from printing.models import PrintJobStatus, TrayStatus
from studio.errors import ApplicationError, TransitionNotAllowed

LABELS = {
    "print_job": dict(PrintJobStatus.choices),
    "tray": dict(TrayStatus.choices),
}
NOUNS = {"print_job": ("print job", "print jobs"), "tray": ("tray", "trays")}


def status_label(subject: str, status: str) -> str:
    """The label of a print job's or a tray's state ("qc_passed" -> "QC passed")."""
    return LABELS.get(subject, {}).get(status, status.replace("_", " "))


def counted(n: int, subject: str) -> str:
    """ "1 print job", "3 print jobs", "2 trays"."""
    one, many = NOUNS.get(subject, (subject, f"{subject}s"))
    return f"{n} {one if n == 1 else many}"


def footprint_text(footprint: Iterable[float] | None) -> str:
    """A footprint "[59.752, 59.753]" as "59.8 × 59.8 mm" (unknown until the print file is made)."""
    if not footprint:
        return "unknown (no print file yet)"
    width, depth = (float(v) for v in footprint)
    return f"{width:.1f} × {depth:.1f} mm"


def refusal_text(obj: Any, exc: ApplicationError) -> str:
    """Why one object was refused, in words (an illegal move names the states by their labels)."""
    if isinstance(exc, TransitionNotAllowed):
        noun = NOUNS.get(exc.subject, (exc.subject,))[0]
        current = status_label(exc.subject, exc.current)
        target = status_label(exc.subject, exc.target)
        return f"{noun.capitalize()} #{obj.pk} is {current}: it cannot move to {target}."
    return f"{obj}: {exc.message}"


def report(
    modeladmin: admin.ModelAdmin, request: HttpRequest, done: int, subject: str, done_text: str, refused
) -> None:
    """ "3 print jobs moved to QC passed." and one error line per refused object."""
    if done:
        modeladmin.message_user(request, f"{counted(done, subject)} {done_text}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def move_action(
    service: Callable[..., Any],
    id_kwarg: str,
    subject: str,
    to: str,
    label: str,
    *,
    permissions: tuple[str, ...],
) -> Callable[..., None]:
    """An admin action moving each selected object through its transition service; refusals are
    reported per object and the others still go through.

    One move may carry other selected objects along (a tray prints as one: marking one of its jobs
    printing starts them all). Such an object, found at `to` when its turn comes though it was
    elsewhere when the action started, counts as moved; one that was already at `to` is refused."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
        done, refused = 0, []
        selected = list(queryset)
        started_at = {obj.pk: obj.status for obj in selected}
        model = queryset.model
        for obj in selected:
            now = model.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if now == to and started_at[obj.pk] != to:
                done += 1  # moved along with an object selected before it
                continue
            try:
                service(**{id_kwarg: obj.pk, "to": to, "user": request.user})
                done += 1
            except ApplicationError as exc:
                refused.append(refusal_text(obj, exc))
        report(modeladmin, request, done, subject, f"moved to {status_label(subject, to)}", refused)

    action.__name__ = f"move_to_{to}"
    action.short_description = label  # type: ignore[attr-defined]
    action.allowed_permissions = tuple(permissions)  # type: ignore[attr-defined]
    return action
