"""Printing admin: printers, trays and print jobs."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from printing import roles
from printing.admin_claims import GuaranteeClaimAdmin
from printing.admin_queue import PrintJobInline, printer_fill_tray
from printing.admin_text import counted, move_action, status_label
from printing.files import file_url
from printing.models import Batch, Printer, PrintFileJob, TrayEvent, TrayStatus
from printing.services import tray_move
from studio.admin_tools import ReadOnlyInline, permission_check

__all__ = ["GuaranteeClaimAdmin", "PrintFileJobAdmin", "PrinterAdmin", "TrayAdmin"]


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
    fields = ("date", "change", "actor", "details")
    readonly_fields = fields

    @admin.display(description="change")
    def change(self, obj: TrayEvent) -> str:
        if not obj.to_status:
            return obj.get_type_display()
        return f"{status_label('tray', obj.from_status)} → {status_label('tray', obj.to_status)}"

    @admin.display(description="details")
    def details(self, obj: TrayEvent) -> str:
        params = obj.parameters or {}
        parts = [str(params["reason"])] if params.get("reason") else []
        if params.get("jobs"):
            parts.append("print jobs " + ", ".join(f"#{pk}" for pk in params["jobs"]))
        return "; ".join(parts) or "—"

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
        move_action(tray_move, "tray_id", "tray", to, label, permissions=("move_tray",))
        for to, label in (
            ("printing", "Start printing the selected trays (every job on them)"),
            ("done", "Mark the selected trays done (printing jobs printed)"),
            ("cancelled", "Cancel the selected open trays (jobs back to the queue)"),
        )
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
            '<a href="{0}"><img src="{0}" alt="Tray layout" style="max-width:100%;height:auto;border:1px solid #ccc"></a>',
            file_url("tray-layout", obj.pk),
        )

    @admin.display(description="tray file")
    def tray_file_link(self, obj: Batch) -> str:
        if not obj.tray_file:
            return "—"
        return format_html('<a href="{}">{}</a>', file_url("tray-file", obj.pk), obj.tray_file.name)

    @admin.display(description="where each job sits")
    def layout_display(self, obj: Batch) -> str:
        """The layout in words: the tray, each placed job's position and size (mm), what did not fit."""
        layout = obj.layout or {}
        parts = layout.get("parts") or []
        if not parts:
            return "—"
        width, depth = (layout.get("tray_mm") or [obj.printer.build_x_mm, obj.printer.build_y_mm])[:2]
        summary = format_html(
            "<p>Tray {} × {} mm, {} mm clearance; {} placed.</p>",
            f"{float(width):g}",
            f"{float(depth):g}",
            f"{float(layout.get('margin_mm', obj.printer.tray_margin_mm)):g}",
            counted(len(parts), "print_job"),
        )
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">print job #{}</a></td><td>{}</td><td>{} mm, {} mm</td><td>{} × {} mm</td>'
            "<td>{}</td></tr>",
            (
                (
                    reverse("admin:printing_printjob_change", args=[part["print_job_id"]]),
                    part["print_job_id"],
                    part.get("label", ""),
                    f"{part['x']:.1f}",
                    f"{part['y']:.1f}",
                    f"{part['width']:.1f}",
                    f"{part['depth']:.1f}",
                    "turned 90°" if part.get("rotated") else "as modelled",
                )
                for part in parts
            ),
        )
        table = format_html(
            '<table class="tray-layout"><thead><tr><th>job</th><th>label on the picture</th>'
            "<th>position (from the tray's corner)</th><th>footprint</th><th>orientation</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )
        left = layout.get("left_over") or []
        rest = (
            format_html("<p>Did not fit: {}.</p>", ", ".join(f"print job #{k}" for k in left)) if left else ""
        )
        return format_html("{}{}{}", summary, table, rest)


@admin.register(PrintFileJob)
class PrintFileJobAdmin(admin.ModelAdmin):
    list_display = ("print_job", "status", "stage", "percent", "attempts", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PrintFileJob._meta.fields]
    list_select_related = ("print_job",)
