"""The operator's print queue in the admin: jobs by due date, moves (bulk), QC, shipping, trays, sending to print.

Every action goes through the printing services; a refused move is reported per job and the others
still go through.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from orders.promises import item_delivery_window
from printing import roles
from printing.files import file_url
from printing.models import ClaimPhoto, Printer, PrintFileJob, PrintJob, PrintJobStatus
from printing.selectors import is_late, items_ready_to_print, late_jobs_q
from printing.services import print_file_request, print_job_create, print_job_move, tray_create
from studio.admin_tools import (
    ReadOnlyInline,
    permission_check,
    pretty_json,
    report_outcome,
    status_badge,
    transition_action,
)
from studio.errors import ApplicationError


class PrintJobInline(ReadOnlyInline):
    model = PrintJob
    fields = ("item", "status", "height_mm", "is_reprint", "due_at", "footprint_mm")
    readonly_fields = fields


class PrintFileJobInline(ReadOnlyInline):
    model = PrintFileJob
    fields = ("status", "stage", "percent", "attempts", "completed_at", "error")
    readonly_fields = fields


class ClaimPhotoInline(ReadOnlyInline):
    model = ClaimPhoto
    fields = ("preview", "width", "height", "sha256", "uploaded_at")
    readonly_fields = fields

    @admin.display(description="photo")
    def preview(self, obj: ClaimPhoto) -> str:
        return (
            format_html(
                '<a href="{0}"><img src="{0}" style="max-height:160px"></a>', file_url("claim-photo", obj.pk)
            )
            if obj.image
            else "—"
        )


class LateFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("1", "Late (past the promised delivery)"), ("0", "On time")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(late_jobs_q())
        if self.value() == "0":
            return queryset.exclude(late_jobs_q())
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


@admin.action(description="QC failed: record the reason and reprint…", permissions=["reprint"])
def qc_fail_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """An intermediate page asks for the reason; each selected job fails QC and gets a free reprint."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        done, refused = 0, []
        for job in queryset:
            try:
                print_job_move(
                    print_job_id=job.pk,
                    to=PrintJobStatus.QC_FAILED,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
                done += 1
            except ApplicationError as exc:
                refused.append(f"{job}: {exc.message}")
        report_outcome(modeladmin, request, done, refused, "job(s) failed QC; reprints created")
        return None
    return render(
        request,
        "printing/admin/qc_failed.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "QC failed",
            "jobs": queryset,
            "form": form,
            "action": "qc_fail_action",
            "opts": modeladmin.model._meta,
        },
    )


@admin.action(description="Ship the selected jobs (carrier and tracking number each)…", permissions=["move"])
def ship_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """The bulk shipping form: one carrier and tracking number per job (a default carrier for all)."""
    jobs = list(queryset.select_related("item__order__customer"))
    if "apply" in request.POST:
        done, refused = 0, []
        default_carrier = request.POST.get("carrier_all", "").strip()
        for job in jobs:
            carrier = request.POST.get(f"carrier_{job.pk}", "").strip() or default_carrier
            tracking = request.POST.get(f"tracking_{job.pk}", "").strip()
            if not tracking:
                refused.append(f"{job}: no tracking number given; not shipped.")
                continue
            try:
                print_job_move(
                    print_job_id=job.pk,
                    to=PrintJobStatus.SHIPPED,
                    user=request.user,
                    carrier=carrier,
                    tracking_number=tracking,
                )
                done += 1
            except ApplicationError as exc:
                refused.append(f"{job}: {exc.message}")
        report_outcome(modeladmin, request, done, refused, "job(s) shipped; customers e-mailed")
        return None
    return render(
        request,
        "printing/admin/ship.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Ship print jobs",
            "jobs": jobs,
            "action": "ship_action",
            "opts": modeladmin.model._meta,
        },
    )


@admin.action(description="Make the print file again", permissions=["move"])
def remake_print_file_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    done, refused = 0, []
    for job in queryset:
        try:
            print_file_request(print_job_id=job.pk, user=request.user)
            done += 1
        except ApplicationError as exc:
            refused.append(f"{job}: {exc.message}")
    report_outcome(modeladmin, request, done, refused, "job(s) asked for a new print file")


@admin.action(description="Fill a new tray from the queue (earliest due first)", permissions=["fill_tray"])
def printer_fill_tray(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    for printer in queryset:
        try:
            tray = tray_create(printer_id=printer.pk, user=request.user)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{printer.name}: {exc.message}", messages.ERROR)
            continue
        modeladmin.message_user(
            request,
            format_html(
                '{}: tray <a href="{}">#{}</a> with {} jobs, {} % of the tray used.',
                printer.name,
                reverse("admin:printing_batch_change", args=[tray.pk]),
                tray.pk,
                tray.jobs.count(),
                f"{100 * tray.utilisation:.1f}",
            ),
            messages.SUCCESS,
        )


class TrayForm(forms.Form):
    printer = forms.ModelChoiceField(queryset=Printer.objects.in_service())


@admin.action(description="Lay the selected jobs out on a new tray…", permissions=["fill_tray"])
def tray_from_selection_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    form = TrayForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            tray = tray_create(
                printer_id=form.cleaned_data["printer"].pk,
                user=request.user,
                job_ids=list(queryset.values_list("pk", flat=True)),
            )
        except ApplicationError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return None
        left = queryset.count() - tray.jobs.count()
        modeladmin.message_user(
            request,
            f"Tray #{tray.pk}: {tray.jobs.count()} jobs, {100 * tray.utilisation:.1f} % used"
            + (f"; {left} did not fit or were not ready." if left else "."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:printing_batch_change", args=[tray.pk]))
    return render(
        request,
        "printing/admin/tray_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "New tray",
            "jobs": queryset,
            "form": form,
            "action": "tray_from_selection_action",
            "opts": modeladmin.model._meta,
        },
    )


MOVES = [
    (PrintJobStatus.BATCHED, "Put the selected jobs on a tray (open tray of a fitting printer)"),
    (PrintJobStatus.PRINTING, "Mark selected as printing"),
    (PrintJobStatus.PRINTED, "Mark selected as printed"),
    (PrintJobStatus.QC_PASSED, "QC passed"),
    (PrintJobStatus.PACKED, "Mark selected as packed"),
    (PrintJobStatus.DELIVERED, "Mark selected as delivered"),
    (PrintJobStatus.QUEUED, "Take the selected jobs off their tray"),
    (PrintJobStatus.CANCELLED, "Cancel the selected jobs"),
]


@admin.register(PrintJob)
class PrintJobAdmin(admin.ModelAdmin):
    """The queue: earliest promised delivery first, late jobs flagged."""

    list_display = (
        "__str__",
        "order_number",
        "status_badge",
        "printer",
        "batch",
        "height_mm",
        "is_reprint",
        "due_display",
        "print_file_state",
    )
    list_filter = ("status", "printer", LateFilter, "is_reprint")
    search_fields = (
        "item__order__number",
        "item__order__customer__email",
        "tracking_number",
        "approved_sha256",
    )
    ordering = ("due_at", "created_at")
    change_list_template = "printing/admin/printjob_change_list.html"
    readonly_fields = (
        "item",
        "revision",
        "approved_sha256",
        "status",
        "is_reprint",
        "reprint_of",
        "reprint_reason",
        "charge_cents",
        "printer",
        "batch",
        "delivery_window",
        "due_at",
        "print_file_link",
        "print_file_format",
        "print_file_sha256",
        "resin_volume_mm3",
        "material_cost_cents",
        "footprint_mm",
        "report_display",
        "qc_note",
        "carrier",
        "tracking_number",
        "created_at",
        "updated_at",
        "shipped_at",
        "delivered_at",
        "created_by",
    )
    exclude = ("print_report", "print_file")  # the file goes out through printing.files, never /media/
    inlines = [PrintFileJobInline]
    list_select_related = ("item__order", "printer", "batch__printer")
    actions = [
        *(
            transition_action(print_job_move, "print_job_id", to, label, permissions=("move",))
            for to, label in MOVES
        ),
        tray_from_selection_action,
        qc_fail_action,
        ship_action,
        remake_print_file_action,
    ]

    has_move_permission = permission_check(*roles.MOVE_JOB)
    has_reprint_permission = permission_check(*roles.REPRINT)
    has_fill_tray_permission = permission_check(*roles.FILL_TRAY)
    has_send_to_print_permission = permission_check(*roles.SEND_TO_PRINT)

    def has_add_permission(self, request) -> bool:
        return False  # jobs come from "Send approved items to print" (or the API)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrintJob]:
        # the "print file" column reads each job's latest file job: one query for the whole page
        latest_first = PrintFileJob.objects.order_by("-created_at", "-pk")
        return super().get_queryset(request).prefetch_related(Prefetch("file_jobs", queryset=latest_first))

    def get_urls(self):
        custom = [
            path(
                "send-to-print/",
                self.admin_site.admin_view(self.send_to_print_view),
                name="printing_send_to_print",
            ),
        ]
        return custom + super().get_urls()

    def send_to_print_view(self, request: HttpRequest) -> HttpResponse:
        """Approved items waiting for the queue: pick them (and optionally a printer) and send them to print."""
        if not (self.has_view_permission(request) and self.has_send_to_print_permission(request)):
            raise DjangoPermissionDenied  # before anything else: another role changes nothing
        if request.method == "POST":
            printer_id = request.POST.get("printer") or None
            done, refused = 0, []
            for item_id in request.POST.getlist("items"):
                try:
                    print_job_create(item_id=int(item_id), user=request.user, printer_id=printer_id)
                    done += 1
                except (ApplicationError, ValueError) as exc:
                    refused.append(f"item {item_id}: {getattr(exc, 'message', exc)}")
            report_outcome(self, request, done, refused, "job(s) sent to print")
            return HttpResponseRedirect(reverse("admin:printing_printjob_changelist"))
        items = [
            {"item": item, "estimate": item_delivery_window(item) or (None, None)}
            for item in items_ready_to_print()
        ]
        return render(
            request,
            "printing/admin/send_to_print.html",
            {
                **self.admin_site.each_context(request),
                "title": "Send approved items to print",
                "items": items,
                "printers": Printer.objects.in_service(),
                "opts": self.model._meta,
            },
        )

    @admin.display(description="order", ordering="item__order__number")
    def order_number(self, obj: PrintJob) -> str:
        return obj.item.order.number

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: PrintJob) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="due (latest delivery)", ordering="due_at")
    def due_display(self, obj: PrintJob) -> str:
        if not obj.due_at:
            return "—"
        text = timezone.localtime(obj.due_at).strftime("%Y-%m-%d")
        if is_late(obj):
            return format_html('<strong style="color:#c62828">{} LATE</strong>', text)
        return text

    @admin.display(description="print file")
    def print_file_link(self, obj: PrintJob) -> str:
        if not obj.print_file:
            return "—"
        return format_html('<a href="{}">{}</a>', file_url("print-file", obj.pk), obj.print_file.name)

    @admin.display(description="print file")
    def print_file_state(self, obj: PrintJob) -> str:
        if obj.print_file:
            return f"{obj.print_file_format} ✓"
        last = next(iter(obj.file_jobs.all()), None)  # latest first (prefetched by get_queryset)
        if last is None:
            return "—"
        if last.error:
            return format_html('<span style="color:#c62828" title="{}">{}</span>', last.error, last.status)
        return f"{last.status} {last.percent} %"

    @admin.display(description="delivery estimate")
    def delivery_window(self, obj: PrintJob) -> str:
        earliest, latest = item_delivery_window(obj.item) or (None, None)
        if earliest is None:
            return "—"
        return f"{timezone.localtime(earliest):%Y-%m-%d} – {timezone.localtime(latest):%Y-%m-%d}"

    @admin.display(description="print file report")
    def report_display(self, obj: PrintJob) -> str:
        return pretty_json(obj.print_report)
