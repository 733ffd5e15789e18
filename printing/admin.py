"""Printing admin: printers, trays and print jobs."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.utils.html import format_html

from printing import roles
from printing.admin_queue import ClaimPhotoInline, PrintJobInline, printer_fill_tray
from printing.files import file_url
from printing.models import Batch, GuaranteeClaim, Printer, PrintFileJob, TrayEvent, TrayStatus
from printing.services import tray_move
from studio.admin_tools import ReadOnlyInline, permission_check, pretty_json, transition_action


@admin.register(Printer)
class PrinterAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "model",
        "build_x_mm",
        "build_y_mm",
        "build_z_mm",
        "formats",
        "status",
        "tray_margin_mm",
        "queue_display",
    )
    list_editable = ("status",)
    list_filter = ("status",)
    actions = [printer_fill_tray]
    has_fill_tray_permission = permission_check(*roles.FILL_TRAY)

    def get_queryset(self, request) -> QuerySet[Printer]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_trays=Count("batches", filter=Q(batches__status=TrayStatus.OPEN)),
                printing_trays=Count("batches", filter=Q(batches__status=TrayStatus.PRINTING)),
            )
        )

    @admin.display(description="queue")
    def queue_display(self, obj: Printer) -> str:
        return f"{obj.open_trays} open tray(s), {obj.printing_trays} printing"


class TrayEventInline(ReadOnlyInline):
    model = TrayEvent
    fields = ("date", "type", "from_status", "to_status", "actor", "parameters")
    readonly_fields = fields
    show_change_link = False
    verbose_name = "tray event"
    verbose_name_plural = "tray history"


@admin.register(Batch)
class TrayAdmin(admin.ModelAdmin):
    list_display = ("__str__", "printer", "status", "utilisation_display", "job_count", "created_at")
    list_filter = ("status", "printer")
    readonly_fields = (
        "printer",
        "status",
        "layout_picture",
        "utilisation_display",
        "tray_file_link",
        "layout_display",
        "created_at",
        "updated_at",
    )
    # the files go out through printing.files (layout_picture, tray_file_link), never /media/
    exclude = ("layout", "utilisation", "tray_file", "layout_png")
    inlines = [PrintJobInline, TrayEventInline]
    list_select_related = ("printer",)
    actions = [
        transition_action(
            tray_move,
            "tray_id",
            "printing",
            "Start printing the selected trays (every job on them)",
            permissions=("move_tray",),
        ),
        transition_action(
            tray_move,
            "tray_id",
            "done",
            "Mark the selected trays done (printing jobs printed)",
            permissions=("move_tray",),
        ),
        transition_action(
            tray_move,
            "tray_id",
            "cancelled",
            "Cancel the selected open trays (jobs back to the queue)",
            permissions=("move_tray",),
        ),
    ]
    has_move_tray_permission = permission_check(*roles.MOVE_TRAY)

    def has_add_permission(self, request) -> bool:
        return False  # trays are filled from the queue (printer action, job action or the API)

    def get_queryset(self, request) -> QuerySet[Batch]:
        return super().get_queryset(request).annotate(job_total=Count("jobs"))

    @admin.display(description="utilisation", ordering="utilisation")
    def utilisation_display(self, obj: Batch) -> str:
        return f"{100 * obj.utilisation:.1f} %"

    @admin.display(description="jobs", ordering="job_total")
    def job_count(self, obj: Batch) -> int:
        return obj.job_total

    @admin.display(description="layout")
    def layout_picture(self, obj: Batch) -> str:
        if not obj.layout_png:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" style="max-width:900px;border:1px solid #ccc"></a>',
            file_url("tray-layout", obj.pk),
        )

    @admin.display(description="tray file")
    def tray_file_link(self, obj: Batch) -> str:
        if not obj.tray_file:
            return "—"
        return format_html('<a href="{}">{}</a>', file_url("tray-file", obj.pk), obj.tray_file.name)

    @admin.display(description="layout data")
    def layout_display(self, obj: Batch) -> str:
        return pretty_json(obj.layout)


@admin.register(PrintFileJob)
class PrintFileJobAdmin(admin.ModelAdmin):
    list_display = ("print_job", "status", "stage", "percent", "attempts", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PrintFileJob._meta.fields]
    list_select_related = ("print_job",)


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(admin.ModelAdmin):
    list_display = ("__str__", "item", "reprint", "created_at")
    readonly_fields = ("item", "reason", "print_job", "reprint", "created_at")
    inlines = [ClaimPhotoInline]
    list_select_related = ("item__order", "reprint")

    def has_add_permission(self, request) -> bool:
        return False
