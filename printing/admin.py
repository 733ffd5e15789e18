"""Printing admin: the catalog, printers, trays and print jobs."""

from __future__ import annotations

from django.contrib import admin

from printing.models import Batch, Printer, PrintFileJob, PrintJob, PrintJobStatus, ProductLine, ShippingRule, Size
from printing.services import print_job_transition
from studio.admin_tools import ReadOnlyInline, pretty_json, status_badge, transition_action


class SizeInline(admin.TabularInline):
    model = Size
    extra = 0
    fields = ("height_mm", "price_cents", "active")


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "per_person", "min_persons", "max_persons", "active", "sort_order")
    list_editable = ("active", "sort_order")
    inlines = [SizeInline]


@admin.register(Size)
class SizeAdmin(admin.ModelAdmin):
    list_display = ("product_line", "height_mm", "price_cents", "active")
    list_filter = ("product_line", "active")


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "flat_fee_cents", "free_from_cents", "active")


@admin.register(Printer)
class PrinterAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "build_x_mm", "build_y_mm", "build_z_mm", "formats", "status")
    list_filter = ("status",)


class PrintJobInline(ReadOnlyInline):
    model = PrintJob
    fields = ("item", "status", "height_mm", "is_reprint", "due_at")
    readonly_fields = fields


@admin.register(Batch)
class TrayAdmin(admin.ModelAdmin):
    list_display = ("__str__", "printer", "status", "utilisation", "created_at")
    list_filter = ("status", "printer")
    readonly_fields = ("status", "layout", "utilisation", "layout_png", "tray_file", "created_at", "updated_at")
    inlines = [PrintJobInline]


class PrintFileJobInline(ReadOnlyInline):
    model = PrintFileJob
    fields = ("status", "stage", "percent", "attempts", "completed_at", "error")
    readonly_fields = fields



@admin.register(PrintJob)
class PrintJobAdmin(admin.ModelAdmin):
    list_display = ("__str__", "order_number", "status_badge", "printer", "batch", "height_mm", "is_reprint", "due_at")
    list_filter = ("status", "printer", "is_reprint")
    search_fields = ("item__order__number", "item__order__customer__email", "tracking_number", "approved_sha256")
    readonly_fields = (
        "item", "revision", "approved_sha256", "status", "is_reprint", "reprint_of", "charge_cents",
        "print_file", "print_file_format", "print_file_sha256", "report_display", "resin_volume_mm3",
        "material_cost_cents", "footprint_mm", "created_at", "updated_at", "shipped_at", "created_by",
    )
    exclude = ("print_report",)
    inlines = [PrintFileJobInline]
    list_select_related = ("item__order", "printer", "batch")
    actions = [
        transition_action(print_job_transition, "print_job_id", s, f"Mark selected as {label.lower()}")
        for s, label in [
            (PrintJobStatus.PRINTING, "Printing"),
            (PrintJobStatus.PRINTED, "Printed"),
            (PrintJobStatus.QC_PASSED, "QC passed"),
            (PrintJobStatus.PACKED, "Packed"),
            (PrintJobStatus.DELIVERED, "Delivered"),
        ]
    ]

    @admin.display(description="order", ordering="item__order__number")
    def order_number(self, obj: PrintJob) -> str:
        return obj.item.order.number

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: PrintJob) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="print file report")
    def report_display(self, obj: PrintJob) -> str:
        return pretty_json(obj.print_report)


@admin.register(PrintFileJob)
class PrintFileJobAdmin(admin.ModelAdmin):
    list_display = ("print_job", "status", "stage", "percent", "attempts", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PrintFileJob._meta.fields]
