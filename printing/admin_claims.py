"""Design Guarantee claims in the admin, for the operators who review them: what the customer said, the
photos of what arrived, the print it is about; "Approve and reprint" (the free reprint of the same
approved file, `guarantee_claim_approve`) or "Decline" with the reason the customer reads
(`guarantee_claim_decline`), on the claim's page and as list actions. Both need the claim's change
permission (approving also the reprint's, `printing.roles`), checked before anything else."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from printing import roles
from printing.admin_text import status_label
from printing.files import file_url
from printing.models import ClaimPhoto, GuaranteeClaim, GuaranteeClaimStatus, PrintJob
from printing.services import guarantee_claim_approve, guarantee_claim_decline
from studio.admin_tools import ReadOnlyInline, permission_check, status_badge
from studio.errors import ApplicationError


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


def refusal(claim: GuaranteeClaim, exc: ApplicationError) -> str:
    return f"Claim #{claim.pk}: {exc.message}"


@admin.action(description="Approve the selected claims and reprint them (free, the same approved file)")
def approve_action(modeladmin: GuaranteeClaimAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    done, refused = 0, []
    for claim in queryset:
        try:
            guarantee_claim_approve(claim_id=claim.pk, user=request.user)
            done += 1
        except ApplicationError as exc:
            refused.append(refusal(claim, exc))
    modeladmin.report(request, done, "approved: their free reprints are queued", refused)


approve_action.allowed_permissions = ("approve",)  # type: ignore[attr-defined]


@admin.action(description="Decline the selected claims (with a reason the customer reads)…")
def decline_action(modeladmin: GuaranteeClaimAdmin, request: HttpRequest, queryset: QuerySet):
    """First an intermediate page asking for the reason, then (posted back with it) the declines."""
    reason = request.POST.get("decline_reason", "").strip()
    if "decline_confirmed" in request.POST and reason:
        done, refused = 0, []
        for claim in queryset:
            try:
                guarantee_claim_decline(claim_id=claim.pk, reason=reason, user=request.user)
                done += 1
            except ApplicationError as exc:
                refused.append(refusal(claim, exc))
        modeladmin.report(request, done, "declined", refused)
        return None
    return modeladmin.decline_page(
        request,
        list(queryset),
        action=True,
        reason=reason,
        error="Say why the claims are declined." if "decline_confirmed" in request.POST else "",
    )


decline_action.allowed_permissions = ("decline",)  # type: ignore[attr-defined]


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(admin.ModelAdmin):
    """Operators review the claims (view and change permission, printing migration 0007); Sculptors see none."""

    list_display = (
        "__str__",
        "status_display",
        "order_number",
        "item",
        "reason_short",
        "photo_count",
        "reprint_link",
        "created_at",
    )
    list_filter = ("status",)
    readonly_fields = (
        "status_display",
        "item",
        "order_number",
        "reason",
        "printed_job",
        "reprint_link",
        "decline_reason",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    fields = readonly_fields
    actions = [approve_action, decline_action]
    change_form_template = "printing/admin/claim_change_form.html"
    has_approve_permission = permission_check(*roles.APPROVE_CLAIM)
    has_decline_permission = permission_check(*roles.DECLINE_CLAIM)
    search_fields = ("item__order__number", "item__order__customer__email", "reason")
    inlines = [ClaimPhotoInline]
    list_select_related = ("item__order", "reprint", "print_job")

    def has_add_permission(self, request) -> bool:
        return False  # claims come from the customer's portal

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuaranteeClaim]:
        return super().get_queryset(request).annotate(photo_total=Count("photos"))

    def get_urls(self):
        custom = [
            path(
                "<int:claim_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="printing_guaranteeclaim_approve",
            ),
            path(
                "<int:claim_id>/decline/",
                self.admin_site.admin_view(self.decline_view),
                name="printing_guaranteeclaim_decline",
            ),
        ]
        return custom + super().get_urls()

    def report(self, request: HttpRequest, done: int, done_text: str, refused: list[str]) -> None:
        if done:
            noun = "claim" if done == 1 else "claims"
            self.message_user(request, f"{done} {noun} {done_text}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        reviewable = claim is not None and claim.status == GuaranteeClaimStatus.SUBMITTED
        extra_context = {
            **(extra_context or {}),
            "claim_reviewable": reviewable,
            "can_approve_claim": reviewable and self.has_approve_permission(request),
            "can_decline_claim": reviewable and self.has_decline_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_url(self, claim_id: int) -> str:
        return reverse("admin:printing_guaranteeclaim_change", args=[claim_id])

    def approve_view(self, request: HttpRequest, claim_id: int) -> HttpResponse:
        """POST: approve the claim and queue its free reprint (the button on the claim's page)."""
        if not self.has_approve_permission(request):
            raise DjangoPermissionDenied  # before anything else: another role changes nothing
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        claim = get_object_or_404(GuaranteeClaim, pk=claim_id)
        try:
            claim = guarantee_claim_approve(claim_id=claim.pk, user=request.user)
        except ApplicationError as exc:
            self.message_user(request, refusal(claim, exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Claim #{claim.pk} approved: free reprint job #{claim.reprint_id} is queued, the customer is told.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(claim.pk))

    def decline_view(self, request: HttpRequest, claim_id: int) -> HttpResponse:
        """GET the reason form; POST `decline_reason`: decline the claim (the customer reads the reason)."""
        if not self.has_decline_permission(request):
            raise DjangoPermissionDenied
        claim = get_object_or_404(GuaranteeClaim.objects.select_related("item__order"), pk=claim_id)
        reason = request.POST.get("decline_reason", "") if request.method == "POST" else ""
        if request.method == "POST":
            try:
                guarantee_claim_decline(claim_id=claim.pk, reason=reason, user=request.user)
            except ApplicationError as exc:
                return self.decline_page(request, [claim], reason=reason, error=exc.message, status=400)
            self.message_user(
                request, f"Claim #{claim.pk} declined; the customer is told why.", messages.SUCCESS
            )
            return HttpResponseRedirect(self._change_url(claim.pk))
        return self.decline_page(request, [claim])

    def decline_page(
        self,
        request: HttpRequest,
        claims: list[GuaranteeClaim],
        *,
        action: bool = False,
        reason: str = "",
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        return render(
            request,
            "printing/admin/claim_decline.html",
            {
                **self.admin_site.each_context(request),
                "title": "Decline Design Guarantee claim" + ("s" if len(claims) > 1 else ""),
                "claims": claims,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "reason": reason,
                "error": error,
                "opts": self.model._meta,
            },
            status=status,
        )

    @admin.display(description="review", ordering="status")
    def status_display(self, obj: GuaranteeClaim) -> str:
        return status_badge(obj.status, obj.get_status_display())

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
