"""The operator's print queue in the admin: jobs by due date, moves (bulk), QC, shipping, trays, sending to print.

Every action goes through the printing services; a refused move is reported per job and the others
still go through.
"""

from __future__ import annotations

from functools import partial

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
from printing.admin_dashboard import needs_attention_view
from printing.admin_ship import ship_action
from printing.admin_text import counted, footprint_text, move_action, refusal_text, report
from printing.files import file_url
from printing.models import Printer, PrintFileJob, PrintJob, PrintJobStatus
from printing.packing_slip import packing_slip_view
from printing.selectors import is_late, items_ready_to_print, late_jobs_q
from printing.services import print_file_request, print_job_create, print_job_move, tray_create
from studio.admin_tools import ReadOnlyInline, permission_check, pretty_json, status_badge
from studio.errors import ApplicationError


class PrintJobInline(ReadOnlyInline):
    """The tray's jobs: what each one is, its footprint in millimetres and, for a reprint, why."""

    model = PrintJob
    fields = ("item", "status", "height_display", "reprint_display", "due_at", "footprint_display")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrintJob]:
        return super().get_queryset(request).select_related("item__order", "claim")

    @admin.display(description="height")
    def height_display(self, obj: PrintJob) -> str:
        return f"{obj.height_mm} mm"

    @admin.display(description="footprint")
    def footprint_display(self, obj: PrintJob) -> str:
        return footprint_text(obj.footprint_mm)

    @admin.display(description="reprint")
    def reprint_display(self, obj: PrintJob) -> str:
        return reprint_text(obj)


def claim_of(job: PrintJob):
    """The Design Guarantee claim that created the reprint `job` (None when it came from elsewhere)."""
    try:
        return job.claim
    except PrintJob.claim.RelatedObjectDoesNotExist:
        return None


def reprint_text(job: PrintJob) -> str:
    """ "—" for a first print; else where the reprint came from (a claim, with its link) and its reason."""
    if not job.is_reprint:
        return "—"
    claim = claim_of(job)
    if claim is not None:
        return format_html(
            'Reprint from <a href="{}">Design Guarantee claim #{}</a>: {}',
            reverse("admin:printing_guaranteeclaim_change", args=[claim.pk]),
            claim.pk,
            claim.reason,
        )
    return f"Reprint (not from a claim): {job.reprint_reason or 'no reason recorded'}"


class PrintFileJobInline(ReadOnlyInline):
    model = PrintFileJob
    fields = ("status", "stage", "percent", "attempts", "completed_at", "error")
    readonly_fields = fields


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
                refused.append(refusal_text(job, exc))
        report(modeladmin, request, done, "print_job", "failed QC; free reprints created", refused)
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


@admin.action(description="Make the print file again", permissions=["move"])
def remake_print_file_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    done, refused = 0, []
    for job in queryset:
        try:
            print_file_request(print_job_id=job.pk, user=request.user)
            done += 1
        except ApplicationError as exc:
            refused.append(refusal_text(job, exc))
    report(modeladmin, request, done, "print_job", "will get a new print file", refused)


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
                '{}: tray <a href="{}">#{}</a> with {}, {} % of the tray used.',
                printer.name,
                reverse("admin:printing_batch_change", args=[tray.pk]),
                tray.pk,
                counted(tray.jobs.count(), "print_job"),
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
        # the selection, read once: the changelist's filter (e.g. "queued") no longer matches placed jobs
        selected = sorted(queryset.values_list("pk", flat=True))
        try:
            tray = tray_create(
                printer_id=form.cleaned_data["printer"].pk, user=request.user, job_ids=selected
            )
        except ApplicationError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return None
        modeladmin.message_user(request, tray_outcome_text(tray, selected), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:printing_batch_change", args=[tray.pk]))
    return render(
        request,
        "printing/admin/tray_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "New tray",
            "jobs": queryset,
            "rows": [(job, footprint_text(job.footprint_mm)) for job in queryset],
            "form": form,
            "action": "tray_from_selection_action",
            "opts": modeladmin.model._meta,
        },
    )


def tray_outcome_text(tray, selected: list[int]) -> str:
    """ "Tray #4: all 3 selected print jobs fit, 42.0 % of the tray used." or which stayed in the queue."""
    placed = set(tray.jobs.values_list("pk", flat=True))
    left = [pk for pk in selected if pk not in placed]
    used = f"{100 * tray.utilisation:.1f} % of the tray used"
    if not left:
        everything = (
            "the selected print job fits"
            if len(placed) == 1
            else f"all {len(placed)} selected print jobs fit"
        )
        return f"Tray #{tray.pk}: {everything}, {used}."
    names = ", ".join(f"#{pk}" for pk in left)
    return (
        f"Tray #{tray.pk}: {counted(len(placed), 'print_job')} of {len(selected)} placed, {used}; "
        f"{counted(len(left), 'print_job')} ({names}) did not fit or had no print file yet and stayed in the queue."
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
        "reprint_column",
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
    change_form_template = "printing/admin/printjob_change_form.html"  # the "Packing slip" button
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
        "footprint_display",
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
    # the file goes out through printing.files, never /media/; the footprint is shown in millimetres
    exclude = ("print_report", "print_file", "footprint_mm")
    inlines = [PrintFileJobInline]
    list_select_related = ("item__order", "printer", "batch__printer", "claim")
    actions = [
        *(
            move_action(print_job_move, "print_job_id", "print_job", to, label, permissions=("move",))
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
            path(
                "needs-attention/",
                self.admin_site.admin_view(partial(needs_attention_view, self)),
                name="printing_needs_attention",
            ),
            path(
                "<int:object_id>/packing-slip/",
                self.admin_site.admin_view(partial(packing_slip_view, self)),
                name="printing_printjob_packing_slip",
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
                    refused.append(f"Item {item_id}: {getattr(exc, 'message', exc)}")
            report(self, request, done, "print_job", "sent to print", refused)
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

    @admin.display(description="reprint", ordering="is_reprint")
    def reprint_column(self, obj: PrintJob) -> str:
        return reprint_text(obj)

    @admin.display(description="footprint")
    def footprint_display(self, obj: PrintJob) -> str:
        return footprint_text(obj.footprint_mm)

    @admin.display(description="print file report")
    def report_display(self, obj: PrintJob) -> str:
        return pretty_json(obj.print_report)
