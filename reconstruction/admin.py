"""Reconstruction admin: every run with its stage and percent, attempts and error."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from reconstruction.models import ReconstructionJob


@admin.register(ReconstructionJob)
class ReconstructionJobAdmin(admin.ModelAdmin):
    list_display = (
        "item",
        "status",
        "progress",
        "backend",
        "device",
        "attempts",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "backend", "device")
    search_fields = ("item__order__number", "item__order__customer__email")
    readonly_fields = [f.name for f in ReconstructionJob._meta.fields]
    list_select_related = ("item__order",)

    @admin.display(description="progress")
    def progress(self, obj: ReconstructionJob) -> str:
        return format_html(
            '<progress max="100" value="{}"></progress> {}% {}', obj.percent, obj.percent, obj.stage
        )
