"""Design Guarantee claims in the admin, for the operators who review them: what the customer said, the
photos of what arrived, the print it is about and the free reprint it queued (with its state)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from printing.admin_text import status_label
from printing.files import file_url
from printing.models import ClaimPhoto, GuaranteeClaim, PrintJob
from studio.admin_tools import ReadOnlyInline


class ClaimPhotoInline(ReadOnlyInline):
    model = ClaimPhoto
    fields = ("preview", "size", "uploaded_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name = "photo of what arrived"
    verbose_name_plural = "photos of what arrived"

    @admin.display(description="photo")
    def preview(self, obj: ClaimPhoto) -> str:
        return (
            format_html(
                '<a href="{0}"><img src="{0}" alt="photo of what arrived" style="max-height:160px;max-width:100%">'
                "</a>",
                file_url("claim-photo", obj.pk),
            )
            if obj.image
            else "—"
        )

    @admin.display(description="size")
    def size(self, obj: ClaimPhoto) -> str:
        return f"{obj.width} × {obj.height} px"


def job_link(job: PrintJob | None) -> str:
    if job is None:
        return "—"
    return format_html(
        '<a href="{}">print job #{}</a> ({})',
        reverse("admin:printing_printjob_change", args=[job.pk]),
        job.pk,
        status_label("print_job", job.status),
    )


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(admin.ModelAdmin):
    """Operators review the claims (view and change permission, printing migration 0007); Sculptors see none."""

    list_display = (
        "__str__",
        "order_number",
        "item",
        "reason_short",
        "photo_count",
        "reprint_link",
        "created_at",
    )
    readonly_fields = ("item", "order_number", "reason", "printed_job", "reprint_link", "created_at")
    fields = readonly_fields
    search_fields = ("item__order__number", "item__order__customer__email", "reason")
    inlines = [ClaimPhotoInline]
    list_select_related = ("item__order", "reprint", "print_job")

    def has_add_permission(self, request) -> bool:
        return False  # claims come from the customer's portal

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuaranteeClaim]:
        return super().get_queryset(request).annotate(photo_total=Count("photos"))

    @admin.display(description="order", ordering="item__order__number")
    def order_number(self, obj: GuaranteeClaim) -> str:
        return obj.item.order.number

    @admin.display(description="what the customer says")
    def reason_short(self, obj: GuaranteeClaim) -> str:
        return obj.reason if len(obj.reason) <= 80 else f"{obj.reason[:79]}…"

    @admin.display(description="photos", ordering="photo_total")
    def photo_count(self, obj: GuaranteeClaim) -> int:
        return obj.photo_total

    @admin.display(description="the print that arrived")
    def printed_job(self, obj: GuaranteeClaim) -> str:
        return job_link(obj.print_job)

    @admin.display(description="free reprint")
    def reprint_link(self, obj: GuaranteeClaim) -> str:
        return job_link(obj.reprint)
