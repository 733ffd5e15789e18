"""Revisions admin: rounds with their checks and previews, feedback with pins, approvals, check runs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from revisions import roles
from revisions.admin_views import SculptorWorkroom
from revisions.models import Approval, CheckJob, Feedback, FeedbackReply, Pin, Revision
from revisions.services import revision_publish
from studio.admin_tools import ReadOnlyInline, permission_check, pretty_json, status_badge
from studio.errors import ApplicationError


class PinInline(ReadOnlyInline):
    model = Pin
    fields = ("x", "y", "z", "text")
    readonly_fields = fields


class FeedbackReplyInline(ReadOnlyInline):
    """The sculptors' replies (written from the figurine's page, never edited here)."""

    model = FeedbackReply
    fields = ("author", "text", "created_at")
    readonly_fields = fields


class FeedbackInline(ReadOnlyInline):
    model = Feedback
    fields = ("kind", "comment", "pins_display", "created_at")
    readonly_fields = fields

    @admin.display(description="pins (x, y, z mm)")
    def pins_display(self, obj: Feedback) -> str:
        return pins_html(obj.pins.all())


def pins_html(pins) -> str:
    """A numbered list of pins with their 3D positions (the mesh's own millimetres, Z up)."""
    rows = [(p.x, p.y, p.z, p.text) for p in pins]
    if not rows:
        return "—"
    return format_html(
        "<ol>{}</ol>",
        format_html_join("", "<li>({:.1f}, {:.1f}, {:.1f}) {}</li>", rows),
    )


class CheckJobInline(ReadOnlyInline):
    model = CheckJob
    fields = ("status", "stage", "percent", "attempts", "started_at", "completed_at", "error")
    readonly_fields = fields


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "order_number",
        "number",
        "source",
        "status_badge",
        "triangles",
        "created_at",
        "published_at",
        "item_page",
    )
    list_filter = ("status", "source")
    search_fields = ("item__order__number", "item__order__customer__email", "sha256")
    readonly_fields = (
        "item",
        "number",
        "status",
        "source",
        "original_filename",
        "sha256",
        "size_bytes",
        "triangles",
        "vertices",
        "check_report_display",
        "diff_report_display",
        "files_display",
        "created_at",
        "updated_at",
        "published_at",
        "uploaded_by",
    )
    # the stored files are replaced only by a new round, and shown through the checked file view
    exclude = ("check_report", "diff_report", "renders", "mesh", "web_glb", "heatmap_glb", "ar_usdz")
    inlines = [FeedbackInline, CheckJobInline]
    list_select_related = ("item__order",)
    actions = ["publish_selected"]
    change_list_template = "admin/revisions/revision_change_list.html"

    def get_urls(self):
        room = SculptorWorkroom(self)
        wrap = self.admin_site.admin_view
        return [
            path("queue/", wrap(room.queue), name="revisions_work_queue"),
            path("item/<int:item_id>/", wrap(room.item), name="revisions_item_page"),
            path("item/<int:item_id>/upload/", wrap(room.upload), name="revisions_item_upload"),
            path("item/<int:item_id>/download/", wrap(room.download), name="revisions_item_download"),
            path("item/<int:item_id>/assign/", wrap(room.assign_to_me), name="revisions_item_assign"),
            path("<int:revision_id>/publish/", wrap(room.publish), name="revisions_revision_publish"),
            path("feedback/<int:feedback_id>/reply/", wrap(room.reply), name="revisions_feedback_reply"),
            *super().get_urls(),
        ]

    has_publish_permission = permission_check(*roles.PUBLISH_ROUND)

    @admin.action(description="Publish the selected ready rounds to their customers", permissions=["publish"])
    def publish_selected(self, request, queryset) -> None:
        for revision in queryset:
            try:
                revision_publish(revision_id=revision.pk, user=request.user)
                self.message_user(request, f"{revision}: published.", messages.SUCCESS)
            except ApplicationError as exc:
                self.message_user(request, f"{revision}: {exc.message}", messages.ERROR)

    def has_add_permission(self, request) -> bool:
        # a round is added only by an upload (the sculptor's page or the API), which stores its file
        # under a path of its own; this form would make a round without a file, or reuse another's
        return False

    def has_delete_permission(self, request, obj: Revision | None = None) -> bool:
        return False  # rounds are the design's history; the approved one is what a reprint prints

    def get_readonly_fields(self, request, obj: Revision | None = None):
        """The file, its SHA-256 and the checks' outputs are always read-only (not even in the form);
        the sculptor's note too once the round is final (``Revision.file_locked``)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None or obj.file_locked:
            fields.append("note")
        return fields

    @admin.display(description="sculptor's page")
    def item_page(self, obj: Revision) -> str:
        return format_html('<a href="{}">open</a>', reverse("admin:revisions_item_page", args=[obj.item_id]))

    @admin.display(description="order", ordering="item__order__number")
    def order_number(self, obj: Revision) -> str:
        return obj.item.order.number

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Revision) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="files")
    def files_display(self, obj: Revision) -> str:
        files = [
            ("mesh", "uploaded mesh", obj.mesh),
            ("preview.glb", "web preview (GLB)", obj.web_glb),
            ("heatmap.glb", "wall-thickness heatmap (GLB)", obj.heatmap_glb),
            ("ar.usdz", "AR file at the ordered height (USDZ)", obj.ar_usdz),
        ]
        links = [
            (reverse("revision-file", args=[obj.pk, kind]), label) for kind, label, stored in files if stored
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links) if links else "—"

    @admin.display(description="check report")
    def check_report_display(self, obj: Revision) -> str:
        return pretty_json(obj.check_report)

    @admin.display(description="difference from the last round")
    def diff_report_display(self, obj: Revision) -> str:
        return pretty_json(obj.diff_report)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("revision", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("revision__item__order__number", "comment")
    inlines = [PinInline, FeedbackReplyInline]
    list_select_related = ("revision",)
    readonly_fields = ("revision", "kind", "comment", "created_at")

    # the customer's own words on a round they saw: shown, never edited or removed by the studio
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Pin)
class PinAdmin(admin.ModelAdmin):
    list_display = ("feedback", "x", "y", "z", "text")
    search_fields = ("feedback__revision__item__order__number", "text")
    list_select_related = ("feedback__revision",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ("item", "revision", "sha256", "approved_at", "origin", "ip_address")
    search_fields = ("item__order__number", "item__order__customer__email", "sha256")
    readonly_fields = ("item", "revision", "sha256", "approved_at", "ip_address", "user_agent", "origin")
    list_select_related = ("item__order", "revision")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an approval locks the exact file approved: nothing of it is edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CheckJob)
class CheckJobAdmin(admin.ModelAdmin):
    list_display = ("revision", "status", "stage", "percent", "attempts", "created_at", "completed_at")
    list_filter = ("status",)
    search_fields = ("revision__item__order__number",)
    readonly_fields = [f.name for f in CheckJob._meta.fields]
    list_select_related = ("revision",)
