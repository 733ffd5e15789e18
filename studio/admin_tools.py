"""Admin helpers shared by the apps: transition actions and read-only event timelines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.utils.html import format_html

from studio.errors import ApplicationError
from studio.permissions import missing_permissions


def report_outcome(
    modeladmin: admin.ModelAdmin, request, done: int, refused: list[str], done_text: str
) -> None:
    """Tell the user how many objects an action changed, and why each refused one was refused."""
    if done:
        modeladmin.message_user(request, f"{done} {done_text}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def service_action(
    label: str,
    name: str,
    call: Callable[[Any, Any], Any],
    done_text: str,
    *,
    permissions: tuple[str, ...],
) -> Callable[..., None]:
    """An admin action that runs a service for each selected object (each in its own transaction).

    ``permissions`` are the action's ``allowed_permissions`` (``("change",)``, or a custom name backed by
    a ``has_<name>_permission`` method of the admin, see :func:`permission_check`): Django hides the action
    from a user without them and ignores it when posted. Refusals (typed application errors) are
    reported per object; the other objects still go through.
    """
    if not permissions:
        raise ValueError(f"the admin action {name} needs the permissions of the role that owns it")

    def action(modeladmin: admin.ModelAdmin, request, queryset) -> None:
        done, refused = 0, []
        for obj in queryset:
            try:
                call(obj, request)
                done += 1
            except ApplicationError as exc:
                refused.append(f"{obj}: {exc.message}")
        report_outcome(modeladmin, request, done, refused, done_text)

    action.__name__ = name
    action.short_description = label  # type: ignore[attr-defined]
    action.allowed_permissions = tuple(permissions)  # type: ignore[attr-defined]
    return action


def transition_action(
    service: Callable[..., Any], id_kwarg: str, to: str, label: str, *, permissions: tuple[str, ...]
) -> Callable[..., None]:
    """An admin action that moves each selected object through its transition service (``permissions``
    as in :func:`service_action`)."""
    return service_action(
        label,
        f"move_to_{to}",
        lambda obj, request: service(**{id_kwarg: obj.pk, "to": to, "user": request.user}),
        f"moved to {to}",
        permissions=permissions,
    )


def permission_check(*perms: str) -> Callable[..., bool]:
    """A ``has_<name>_permission`` method for a ModelAdmin: the user holds every one of ``perms``
    ("app_label.codename"), for an action whose permission lives on another model (e.g. "mark paid"
    on orders needs ``orders.add_payment``); use it with ``allowed_permissions=("<name>",)``."""

    def check(modeladmin: admin.ModelAdmin, request, obj=None) -> bool:
        return not missing_permissions(request.user, perms)

    check.required_permissions = perms  # type: ignore[attr-defined]
    return check


def pretty_json(value: Any) -> str:
    """Render a JSON report readably in a read-only admin field."""
    if not value:
        return "—"
    return format_html(
        '<pre style="white-space:pre-wrap;max-height:30em;overflow:auto">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, default=str),
    )


def status_badge(status: str, label: str) -> str:
    colours = {
        "cancelled": "#999",
        "rejected": "#c62828",
        "qc_failed": "#c62828",
        "failed": "#c62828",
        "errored": "#c62828",
        "approved": "#2e7d32",
        "qc_passed": "#2e7d32",
        "delivered": "#2e7d32",
        "completed": "#2e7d32",
        "shipped": "#1565c0",
        "in_review": "#ef6c00",
        "changes_requested": "#ef6c00",
    }
    return format_html(
        '<span style="padding:1px 6px;border-radius:8px;background:{};color:#fff">{}</span>',
        colours.get(status, "#546e7a"),
        label,
    )


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows (timelines, history)."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
