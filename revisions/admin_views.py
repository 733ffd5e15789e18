"""The sculptor's workroom in the admin: the work queue, an item's page, upload, download, publish.

Mounted under the Revision admin (``/admin/revisions/revision/queue/`` ...) and gated by its view
permission (Sculptors and Operators have it); uploading a round and publishing one are the Sculptors'
(``revisions.roles``: add and change on revisions), checked before anything else: 403 for another role.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from orders.models import Item
from revisions import replies, roles, selectors, services
from revisions.apis import refuse_oversized_request
from revisions.models import Feedback, Revision, RevisionStatus
from studio.errors import ApplicationError
from studio.file_responses import stored_file_response
from studio.permissions import missing_permissions


class UploadRoundForm(forms.Form):
    mesh = forms.FileField(
        label="Refined mesh", help_text="GLB, OBJ, STL, PLY or 3MF; millimetres, Z up, facing -Y."
    )
    note = forms.CharField(
        label="Note to the customer", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


def _check_summary(revision: Revision) -> dict:
    report = revision.check_report or {}
    issues = report.get("issues", [])
    return {
        "printable": report.get("printable"),
        "errors": [i for i in issues if i.get("severity") == "error"],
        "warnings": [i for i in issues if i.get("severity") == "warning"],
        "min_wall_mm": report.get("min_wall_mm"),
        "bbox_mm": report.get("bbox_mm"),
    }


def _viewer_config(revisions: list[Revision]) -> dict:
    """What the item page's two 3D viewers show: each round with a web preview, its heatmap of what
    changed, and the customer's pins on it (studio axes, mm; the page turns them to glTF's Y up)."""
    rounds = []
    for rev in revisions:
        if not rev.web_glb:
            continue
        pins = [
            {"n": n, "position": pin.position, "normal": pin.normal, "text": pin.text, "feedback": fb.pk}
            for fb in rev.feedback.all()
            for n, pin in enumerate(fb.pins.all(), start=1)
        ]
        rounds.append(
            {
                "id": rev.pk,
                "number": rev.number,
                "status": rev.get_status_display(),
                "glb": reverse("revision-file", args=[rev.pk, "preview.glb"]),
                "heatmap": reverse("revision-file", args=[rev.pk, "heatmap.glb"])
                if rev.heatmap_glb
                else None,
                "pins": pins,
            }
        )
    return {"rounds": rounds}


class SculptorWorkroom:
    """The views; ``admin`` is the RevisionAdmin they hang under (for permissions and context)."""

    def __init__(self, admin: ModelAdmin) -> None:
        self.admin = admin

    def _context(self, request: HttpRequest, title: str, **extra) -> dict:
        return {
            **self.admin.admin_site.each_context(request),
            "title": title,
            "opts": self.admin.model._meta,
            **extra,
        }

    def _require(self, request: HttpRequest, perms: tuple[str, ...] = ()) -> None:
        """The workroom's view permission, and ``perms`` (the role's, from ``revisions.roles``): else 403."""
        if not self.admin.has_view_permission(request) or not self._may(request, perms):
            raise PermissionDenied

    @staticmethod
    def _may(request: HttpRequest, perms: tuple[str, ...]) -> bool:
        return not missing_permissions(request.user, perms)

    def queue(self, request: HttpRequest) -> HttpResponse:
        """Items owed a preview, overdue first, with business hours left (``?mine=1``, ``?overdue=1``)."""
        self._require(request)
        mine = request.GET.get("mine") == "1"
        overdue = request.GET.get("overdue") == "1"
        entries = selectors.work_queue(sculptor=request.user if mine else None, overdue_only=overdue)
        title = "Overdue previews" if overdue else ("My work queue" if mine else "Sculptor work queue")
        return TemplateResponse(
            request,
            "admin/revisions/work_queue.html",
            self._context(
                request,
                title,
                entries=entries,
                mine=mine,
                overdue=overdue,
                now=timezone.now(),
                can_take_work=self._may(request, roles.TAKE_WORK),
            ),
        )

    def item(self, request: HttpRequest, item_id: int) -> HttpResponse:
        """Everything a sculptor needs for one figurine on one page."""
        self._require(request)
        item = get_object_or_404(
            Item.objects.select_related("order__customer", "assigned_sculptor"), pk=item_id
        )
        revisions = list(
            item.revisions.order_by("-number").prefetch_related(
                "feedback__pins", "feedback__replies__author", "check_jobs"
            )
        )
        may_publish = self._may(request, roles.PUBLISH_ROUND)
        rows = []
        for rev in revisions:
            rows.append(
                {
                    "revision": rev,
                    "checks": _check_summary(rev),
                    "renders": [
                        reverse("revision-file", args=[rev.pk, f"render-{i}.png"])
                        for i in range(len(rev.renders or []))
                    ],
                    "diff": rev.diff_report or {},
                    "job": next(iter(rev.check_jobs.all()), None),
                    "can_publish": rev.status == RevisionStatus.READY and may_publish,
                }
            )
        due = selectors.preview_due_at(item)
        left = selectors._business(timezone.now(), due) if due else None
        viewer = _viewer_config(revisions)
        context = self._context(
            request,
            f"{item}",
            item=item,
            rows=rows,
            photos=list(item.photos.all()),
            feedback=selectors.latest_feedback(item),
            due_at=due,
            awaiting_preview=item.status in selectors.AWAITING_PREVIEW_STATES,
            hours_left=round(left, 1) if left is not None else None,
            metrics=selectors.item_round_metrics(item),
            viewer=viewer,
            form=UploadRoundForm(),
            can_reply=self._may(request, roles.REPLY_TO_FEEDBACK),
            can_upload=item.status in services.UPLOADABLE_ITEM_STATES
            and self._may(request, roles.UPLOAD_ROUND),
            max_mb=settings.MAX_MESH_UPLOAD_BYTES // (1024 * 1024),
        )
        return TemplateResponse(request, "admin/revisions/item.html", context)

    def upload(self, request: HttpRequest, item_id: int) -> HttpResponse:
        """The upload form: the same streamed service as the API; the round then shows as checking."""
        self._require(request, roles.UPLOAD_ROUND)
        back = reverse("admin:revisions_item_page", args=[item_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        try:
            refuse_oversized_request(request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        form = UploadRoundForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Choose a mesh file to upload.")
            return HttpResponseRedirect(back)
        try:
            revision = services.revision_upload(
                item_id=item_id,
                file=form.cleaned_data["mesh"],
                user=request.user,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        messages.success(request, f"Round {revision.number} uploaded; the automatic checks are running.")
        return HttpResponseRedirect(back)

    def download(self, request: HttpRequest, item_id: int) -> HttpResponseBase:
        """The latest mesh worth starting from (the newest round that passed its checks, else the newest)."""
        self._require(request)
        item = get_object_or_404(Item, pk=item_id)
        revision = selectors.latest_workable_revision(item)
        if revision is None or not revision.mesh:
            raise Http404("No mesh yet.")
        suffix = revision.mesh.name.rsplit(".", 1)[-1]
        filename = f"{item.order.number}-{item.pk}-r{revision.number}.{suffix}"
        return stored_file_response(revision.mesh.name, as_attachment=True, filename=filename)

    def assign_to_me(self, request: HttpRequest, item_id: int) -> HttpResponse:
        """ "Assign to me" from the queue (POST): a sculptor takes an unassigned figurine."""
        self._require(request, roles.TAKE_WORK)
        back = request.POST.get("next") or reverse("admin:revisions_work_queue")
        if not back.startswith("/admin/"):
            back = reverse("admin:revisions_work_queue")
        if request.method != "POST":
            return HttpResponseRedirect(back)
        item = get_object_or_404(Item.objects.select_related("assigned_sculptor"), pk=item_id)
        if item.assigned_sculptor_id and item.assigned_sculptor_id != request.user.pk:
            messages.error(
                request, f"{item} is already {item.assigned_sculptor}'s; ask an operator to move it."
            )
            return HttpResponseRedirect(back)
        try:
            order_services.item_assign_sculptor(item_id=item_id, sculptor=request.user, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{item} is yours now.")
        return HttpResponseRedirect(back)

    def publish(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        self._require(request, roles.PUBLISH_ROUND)
        revision = get_object_or_404(Revision, pk=revision_id)
        back = reverse("admin:revisions_item_page", args=[revision.item_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        try:
            services.revision_publish(revision_id=revision_id, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Round {revision.number} published; the customer is being e-mailed.")
        return HttpResponseRedirect(back)

    def reply(self, request: HttpRequest, feedback_id: int) -> HttpResponse:
        """A sculptor answers one of the customer's feedback messages (POST ``text``); the customer reads
        it under their comment on the round's preview page."""
        self._require(request, roles.REPLY_TO_FEEDBACK)
        feedback = get_object_or_404(Feedback.objects.select_related("revision"), pk=feedback_id)
        back = reverse("admin:revisions_item_page", args=[feedback.revision.item_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        try:
            replies.feedback_reply_create(
                feedback_id=feedback_id, user=request.user, text=request.POST.get("text", "")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Reply sent; the customer sees it under their comment on round {feedback.revision.number}.",
            )
        return HttpResponseRedirect(back + f"#feedback-{feedback_id}")
