"""The digital files and their runs in the admin (read only: the task makes them)."""

from __future__ import annotations

from django.contrib import admin

from digital.models import DigitalFile, DigitalFilesJob


@admin.register(DigitalFile)
class DigitalFileAdmin(admin.ModelAdmin):
    list_display = ("item", "format", "bytes", "triangles", "sha256", "source_sha256", "created_at")
    list_filter = ("format",)
    search_fields = ("item__order__number", "sha256", "source_sha256")
    readonly_fields = [f.name for f in DigitalFile._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DigitalFilesJob)
class DigitalFilesJobAdmin(admin.ModelAdmin):
    list_display = ("item", "status", "stage", "percent", "attempts", "created_at", "completed_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in DigitalFilesJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
