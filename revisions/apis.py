"""Revisions API under /api/v1/: staff upload and publish rounds; the customer reviews, pins, approves.

Thin views: parse, call one service, answer. Errors are typed (studio.errors) and mapped once by
studio.api.exception_handler to ``{"message", "code", "extra"}``.
"""

from __future__ import annotations

import gzip
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.fields import SkipField
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.auth import (
    authenticate_api_headers,
    customer_can_see_order,
    customer_for_request,
    order_scope_for_request,
)
from orders.models import Item, ItemStatus
from revisions import roles, services
from revisions.ar_preview import AR_FILE_KINDS
from revisions.models import FeedbackKind, Revision, RevisionSource, RevisionStatus
from studio.api import report_field
from studio.errors import ApplicationError, NotFound
from studio.file_responses import stored_file_response
from studio.http import client_ip
from studio.permissions import HasStaffPermissions, StaffNeedPermissions, is_staff_request
from studio.signed_urls import has_valid_signature
from studio.storage import open_stored, storage_errors


def revision_for_request(request, revision_id: int) -> Revision:
    """The revision for staff, or for its customer once published; 404 otherwise (no hint it exists)."""
    revision = Revision.objects.select_related("item__order__customer").filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(f"No design preview {revision_id} here.")
    if is_staff_request(request):
        return revision
    if revision.published_at is None or not customer_can_see_order(request, revision.item.order):
        raise NotFound(f"No design preview {revision_id} here.")
    return revision


def file_url(request, revision: Revision, kind: str) -> str:
    return request.build_absolute_uri(reverse("revision-file", args=[revision.pk, kind]))


def revision_data(revision: Revision, request, *, staff: bool) -> dict[str, Any]:
    """The JSON of one round (staff see the full-resolution file and the uploader too)."""
    files: dict[str, Any] = {
        "web_glb": file_url(request, revision, "preview.glb") if revision.web_glb else None,
        "heatmap_glb": file_url(request, revision, "heatmap.glb") if revision.heatmap_glb else None,
        "ar_usdz": file_url(request, revision, "ar.usdz") if revision.ar_usdz else None,
        "renders": [
            file_url(request, revision, f"render-{i}.png") for i in range(len(revision.renders or []))
        ],
    }
    if staff:
        files["mesh"] = file_url(request, revision, "mesh")
    feedback = [
        {
            "id": fb.pk,
            "kind": fb.kind,
            "comment": fb.comment,
            "created_at": fb.created_at,
            "pins": [
                {"id": p.pk, "position": p.position, "normal": p.normal, "text": p.text}
                for p in fb.pins.all()
            ],
        }
        for fb in revision.feedback.prefetch_related("pins")
    ]
    approval = getattr(revision, "approval", None) if revision.status == "approved" else None
    data = {
        "id": revision.pk,
        "item_id": revision.item_id,
        "order_number": revision.item.order.number,
        "number": revision.number,
        "status": revision.status,
        "source": revision.source,
        "sha256": revision.sha256,
        "size_bytes": revision.size_bytes,
        "triangles": revision.triangles,
        "vertices": revision.vertices,
        "note": revision.note,
        "created_at": revision.created_at,
        "published_at": revision.published_at,
        "check_report": revision.check_report,
        "diff": revision.diff_report,
        "files": files,
        "feedback": feedback,
        "approval": (
            {"sha256": approval.sha256, "approved_at": approval.approved_at, "origin": approval.origin}
            if approval
            else None
        ),
        "preview_page": request.build_absolute_uri(reverse("portal-revision", args=[revision.pk])),
    }
    if staff:
        data["original_filename"] = revision.original_filename
        data["uploaded_by"] = revision.uploaded_by.get_username() if revision.uploaded_by else None
    return data


# ------------------------------------------------------------------------------------------ schema
class PinSchema(serializers.Serializer):
    position = serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3)
    normal = serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3, required=False)
    text = serializers.CharField(max_length=services.MAX_PIN_TEXT_CHARS)


# Dates and times are answered as the models hold them (``format=None``: the JSON renderer writes them, in UTC).
class MeshIssueShape(serializers.Serializer):
    code = serializers.CharField(help_text="DESIGN.md section 5: not_watertight, thin_walls, ...")
    severity = serializers.ChoiceField(choices=["error", "warning"])
    message = serializers.CharField()


class CheckReportShape(serializers.Serializer):
    """The printability report (``check_mesh --json``; DESIGN.md section 5); empty before the checks ran."""

    triangles = serializers.IntegerField()
    vertices = serializers.IntegerField()
    watertight = serializers.BooleanField()
    winding_consistent = serializers.BooleanField()
    boundary_edges = serializers.IntegerField()
    non_manifold_edges = serializers.IntegerField()
    shells = serializers.IntegerField()
    self_intersecting_faces = serializers.IntegerField()
    degenerate_faces = serializers.IntegerField()
    volume_mm3 = serializers.FloatField()
    area_mm2 = serializers.FloatField()
    bbox_mm = serializers.ListField(child=serializers.FloatField())
    min_wall_mm = serializers.FloatField(allow_null=True)
    thin_area_mm2 = serializers.FloatField()
    overhang_area_mm2 = serializers.FloatField()
    stable = serializers.BooleanField()
    printable = serializers.BooleanField()
    issues = MeshIssueShape(many=True)


class DiffReportShape(serializers.Serializer):
    """Change since the previous round, in mm; empty for a first round, ``error`` when it could not be measured."""

    max_mm = serializers.FloatField()
    mean_mm = serializers.FloatField()
    p95_mm = serializers.FloatField()
    area_changed_mm2 = serializers.FloatField()
    area_changed_fraction = serializers.FloatField()
    changed_vertices = serializers.IntegerField()
    threshold_mm = serializers.FloatField()
    error = serializers.CharField(required=False)


class RevisionFilesOutput(serializers.Serializer):
    web_glb = serializers.URLField(allow_null=True, help_text="The web preview.")
    heatmap_glb = serializers.URLField(allow_null=True, help_text="The change since the previous round.")
    ar_usdz = serializers.URLField(
        allow_null=True,
        help_text="The AR file (USDZ, iPhone Quick Look) at the ordered height, metres; null for a round "
        "checked before AR files were made.",
    )
    renders = serializers.ListField(child=serializers.URLField())
    mesh = serializers.URLField(required=False, help_text="The full-resolution upload (staff only).")


class PinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.ListField(child=serializers.FloatField(), help_text="[x, y, z] in mesh mm, Z up.")
    normal = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    text = serializers.CharField()


class FeedbackOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    comment = serializers.CharField()
    created_at = serializers.DateTimeField(format=None)
    pins = PinOutput(many=True)


class ApprovalOutput(serializers.Serializer):
    sha256 = serializers.CharField(help_text="The approved file's SHA-256 (what is printed).")
    approved_at = serializers.DateTimeField(format=None)
    origin = serializers.CharField(help_text="portal, api or admin")


class StaffOnlyField(serializers.CharField):
    """A key only the staff's answers carry: left out (not null) of the customer's."""

    def get_attribute(self, instance):
        if self.field_name not in instance:
            raise SkipField()
        return super().get_attribute(instance)


class RevisionOutput(serializers.Serializer):
    """What every revision endpoint answers (``revision_data``, passed through this serializer)."""

    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    order_number = serializers.CharField()
    number = serializers.IntegerField(help_text="Round number; 0 is the AI base mesh.")
    status = serializers.ChoiceField(choices=RevisionStatus.choices)
    source = serializers.ChoiceField(choices=RevisionSource.choices)
    sha256 = serializers.CharField(help_text="SHA-256 of the full-resolution file (locked by approval).")
    size_bytes = serializers.IntegerField()
    triangles = serializers.IntegerField()
    vertices = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField(format=None)
    published_at = serializers.DateTimeField(format=None, allow_null=True)
    check_report = report_field(CheckReportShape(), may_be_empty=True)
    diff = report_field(DiffReportShape(), may_be_empty=True)
    files = RevisionFilesOutput()
    feedback = FeedbackOutput(many=True, help_text="The customer's feedback with pins.")
    approval = ApprovalOutput(allow_null=True)
    preview_page = serializers.URLField()
    original_filename = StaffOnlyField(required=False, help_text="Staff only.")
    uploaded_by = StaffOnlyField(required=False, allow_null=True, help_text="Staff only.")


def revision_answer(revision: Revision, request, *, staff: bool) -> dict[str, Any]:
    """One round as the API answers it."""
    return RevisionOutput(revision_data(revision, request, staff=staff)).data


class ItemRevisionsOutput(serializers.Serializer):
    item_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    revisions = RevisionOutput(many=True)


class UploadSchema(serializers.Serializer):
    mesh = serializers.FileField(help_text="GLB, OBJ, STL, PLY or 3MF, up to MAX_MESH_UPLOAD_BYTES.")
    note = serializers.CharField(required=False, allow_blank=True)


class RequestChangesSchema(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_COMMENT_CHARS)
    pins = PinSchema(many=True, required=False)


class ApproveSchema(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=True,
        help_text="The explicit confirmation; the request itself confirms when it is left out, "
        "anything but true refuses.",
    )


class ItemRevisionsApi(APIView):
    """Staff: GET the rounds of an item; POST a refined mesh (multipart ``mesh``, optional ``note``)."""

    permission_classes = [IsAuthenticated, HasStaffPermissions]
    required_permissions = {"GET": roles.VIEW_ROUNDS, "POST": roles.UPLOAD_ROUND}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ItemRevisionsOutput})
    def get(self, request, item_id: int):
        item = get_object_or_404(Item, pk=item_id)
        rounds = [revision_data(r, request, staff=True) for r in item.revisions.select_related("item__order")]
        return Response(
            ItemRevisionsOutput({"item_id": item.pk, "status": item.status, "revisions": rounds}).data
        )

    @extend_schema(request=UploadSchema, responses={201: RevisionOutput})
    def post(self, request, item_id: int):
        refuse_oversized_request(request)
        upload = request.FILES.get("mesh")
        if upload is None:
            raise ApplicationError("Attach the mesh file as multipart field 'mesh'.", extra={"field": "mesh"})
        revision = services.revision_upload(
            item_id=item_id, file=upload, user=request.user, note=str(request.data.get("note", "") or "")
        )
        return Response(revision_answer(revision, request, staff=True), status=status.HTTP_201_CREATED)


class RevisionDetailApi(APIView):
    """GET a round: staff who may read rounds; its customer once it is published."""

    permission_classes = [IsAuthenticated, StaffNeedPermissions]
    required_permissions = roles.VIEW_ROUNDS

    @extend_schema(responses={200: RevisionOutput})
    def get(self, request, revision_id: int):
        revision = revision_for_request(request, revision_id)
        return Response(revision_answer(revision, request, staff=is_staff_request(request)))


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_COMMENT_CHARS)


class RevisionPublishApi(APIView):
    """Staff: publish a ready round to the customer."""

    permission_classes = [IsAuthenticated, HasStaffPermissions]
    required_permissions = roles.PUBLISH_ROUND
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=PublishSerializer, responses={200: RevisionOutput})
    def post(self, request, revision_id: int):
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revision = services.revision_publish(
            revision_id=revision_id, user=request.user, note=body.validated_data.get("note")
        )
        return Response(revision_answer(revision, request, staff=True))


def refuse_oversized_request(request) -> None:
    """Refuse a request body far over the mesh limit before Django spools it to a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.MAX_MESH_UPLOAD_BYTES
    if length > limit + 1024 * 1024:  # the multipart envelope and the note fit in a megabyte
        raise ApplicationError(
            f"The upload is {length} bytes; the limit for a mesh is {limit} bytes.", extra={"field": "mesh"}
        )


def _customer(request):
    customer = customer_for_request(request)
    return customer, order_scope_for_request(request)


class RevisionRequestChangesApi(APIView):
    """Customer: ask for changes on the round in review (``comment``, ``pins``)."""

    parser_classes = [JSONParser]

    @extend_schema(request=RequestChangesSchema, responses={201: RevisionOutput})
    def post(self, request, revision_id: int):
        if not isinstance(request.data, dict):
            raise ApplicationError("Send a JSON object with comment and pins.")
        customer, scope = _customer(request)
        feedback = services.revision_request_changes(
            revision_id=revision_id,
            customer=customer,
            comment=request.data.get("comment", "") or "",
            pins=request.data.get("pins"),
            order_scope=scope,
        )
        revision = feedback.revision
        revision.refresh_from_db()
        return Response(revision_answer(revision, request, staff=False), status=status.HTTP_201_CREATED)


class RevisionApproveApi(APIView):
    """Customer: approve the round in review; the file is locked by its SHA-256.

    The POST is itself the explicit act (the portal asks for it in a confirmation dialog first); a
    ``confirm`` that is sent must be ``true``.
    """

    parser_classes = [JSONParser]

    @extend_schema(request=ApproveSchema, responses={200: RevisionOutput})
    def post(self, request, revision_id: int):
        if not isinstance(request.data, dict):
            raise ApplicationError('Send a JSON object: {"confirm": true}.')
        customer, scope = _customer(request)
        approval = services.revision_approve(
            revision_id=revision_id,
            customer=customer,
            confirm=request.data.get("confirm", True),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            origin="portal" if request.session.get("portal_customer_id") else "api",
            order_scope=scope,
        )
        revision = approval.revision
        revision.refresh_from_db()
        return Response(revision_answer(revision, request, staff=False))


# ------------------------------------------------------------------------------------------ files
FILE_TYPES = {"glb": "model/gltf-binary", "png": "image/png", "usdz": "model/vnd.usdz+zip"}


def revision_file(request: HttpRequest, revision_id: int, kind: str) -> HttpResponseBase:
    """A round's file, checked like the round itself: ``preview.glb``, ``ar.usdz`` (the AR file, iPhone Quick
    Look), ``heatmap.glb``, ``render-N.png``, and (staff only) ``mesh``, the full-resolution upload. Streamed
    from storage (the USDZ, renders and mesh: the bucket's presigned URL on object storage). The AR page of
    the preview's QR code fetches the AR files with signed paths (``revisions.ar_preview``)."""
    authenticate_api_headers(request)
    try:
        revision = revision_for_request(request, revision_id)
    except NotFound:
        # the phone that scanned the preview's QR code: a signed path of a published round's AR files
        revision = Revision.objects.filter(pk=revision_id, published_at__isnull=False).first()
        if revision is None or kind not in AR_FILE_KINDS or not has_valid_signature(request):
            raise Http404 from None
    name, content_type, download = None, None, None
    if kind == "preview.glb":
        name, content_type = revision.web_glb.name, FILE_TYPES["glb"]
    elif kind == "ar.usdz":
        name, content_type = revision.ar_usdz.name, FILE_TYPES["usdz"]
    elif kind == "heatmap.glb":
        name, content_type = revision.heatmap_glb.name, FILE_TYPES["glb"]
    elif kind.startswith("render-") and kind.endswith(".png"):
        digits = kind[len("render-") : -len(".png")]
        renders = revision.renders or []
        # only plain ASCII digits: "-1", "+0", " 1" or "1_0" would still parse and pick another render
        if digits.isascii() and digits.isdigit() and int(digits) < len(renders):
            name = renders[int(digits)]
        content_type = FILE_TYPES["png"]
    elif kind == "mesh" and is_staff_request(request):
        name = revision.mesh.name
        content_type = "application/octet-stream"
        download = revision.original_filename or name.rsplit("/", 1)[-1]
    if not name:
        raise Http404
    if kind.endswith(".glb") and accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        try:
            handle = open_stored(name)
        except FileNotFoundError:
            raise Http404 from None
        response = _gzipped(handle, name, content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
    else:
        # the viewer fetches GLBs by script: streamed (a bucket would need CORS); renders and the mesh
        # come from the bucket's presigned URL on object storage
        response = stored_file_response(
            name,
            content_type=content_type,
            as_attachment=bool(download),
            filename=download or "",
            presign=not kind.endswith(".glb"),
        )
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip`` or ``*`` with a q-value above 0)."""
    for part in header.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        return q > 0
    return False


#: Web previews are at most a few MB; a bigger file is streamed as it is.
GZIP_MAX_BYTES = 32 * 1024 * 1024


def _gzipped(handle, name: str, content_type: str) -> HttpResponse | FileResponse:
    """A web GLB gzip-compressed (level 1: about half the bytes in ~0.05 s for 4 MB, measured on a
    200k-triangle bust) for the customer's phone; binary geometry, so no BREACH-style secret mixing."""
    with handle, storage_errors():
        data = handle.read(GZIP_MAX_BYTES + 1)
    if len(data) > GZIP_MAX_BYTES:
        return FileResponse(open_stored(name), content_type=content_type)
    response = HttpResponse(gzip.compress(data, compresslevel=1), content_type=content_type)
    response["Content-Encoding"] = "gzip"
    return response
