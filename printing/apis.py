"""Printing API: the print queue (jobs, trays, reprints) for staff."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.auth import customer_can_see_order, customer_for_request
from orders.models import Item
from printing import roles
from printing.files import file_url
from printing.models import Batch, GuaranteeClaim, GuaranteeClaimStatus, PrintJob, PrintJobStatus
from printing.selectors import is_late, print_job_list
from printing.services import (
    guarantee_claim_create,
    print_job_create,
    print_job_move,
    reprint_create,
    tray_create,
    tray_move,
)
from studio.api import report_field
from studio.errors import ApplicationError, NotFound, PermissionDenied
from studio.permissions import HasStaffPermissions, StaffNeedPermissions, is_staff_request


# --------------------------------------------------------------------------------------------- print queue
def _absolute(context: dict, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class PrintFileStatusOutput(serializers.Serializer):
    """The newest print-file job of a print job: where making its print file stands."""

    status = serializers.CharField()
    stage = serializers.CharField()
    percent = serializers.IntegerField()
    error = serializers.CharField()


class PrintJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    order_number = serializers.CharField(source="item.order.number")
    status = serializers.CharField()
    is_reprint = serializers.BooleanField()
    reprint_reason = serializers.CharField()
    reprint_of_id = serializers.IntegerField(allow_null=True)
    charge_cents = serializers.IntegerField()
    revision_id = serializers.IntegerField()
    approved_sha256 = serializers.CharField()
    height_mm = serializers.IntegerField()
    printer = serializers.CharField(source="printer.name", allow_null=True, default=None)
    tray_id = serializers.IntegerField(source="batch_id", allow_null=True)
    print_file_url = serializers.SerializerMethodField()
    print_file_format = serializers.CharField()
    print_file_sha256 = serializers.CharField()
    print_file_status = serializers.SerializerMethodField()
    resin_volume_mm3 = serializers.FloatField(allow_null=True)
    material_cost_cents = serializers.IntegerField(allow_null=True)
    footprint_mm = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    qc_note = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    late = serializers.SerializerMethodField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    allowed_moves = serializers.SerializerMethodField()

    def get_print_file_url(self, job) -> str | None:
        return _absolute(self.context, file_url("print-file", job.pk)) if job.print_file else None

    @extend_schema_field(PrintFileStatusOutput(allow_null=True))
    def get_print_file_status(self, job) -> dict | None:
        file_job = next(iter(job.file_jobs.all()), None)  # newest first (Meta.ordering); prefetched in lists
        if file_job is None:
            return None
        return {
            "status": file_job.status,
            "stage": file_job.stage,
            "percent": file_job.percent,
            "error": file_job.error,
        }

    def get_late(self, job) -> bool:
        return is_late(job)

    def get_allowed_moves(self, job) -> list[str]:
        return sorted(job.allowed_targets(job.status))


def _job_response(job, status_code: int = 200) -> Response:
    return Response(PrintJobOutput(job).data, status=status_code)


class PrintJobListApi(APIView):
    """The print queue (staff): earliest due first; `?status=queued,batched&printer=J850-1&late=1&reprint=0`."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.VIEW_QUEUE

    @extend_schema(
        responses=PrintJobOutput(many=True),
        parameters=[
            OpenApiParameter("status", str, description="one or more states, comma-separated"),
            OpenApiParameter("printer", str, description="printer id or name"),
            OpenApiParameter("late", bool),
            OpenApiParameter("reprint", bool),
            OpenApiParameter("limit", int, description="at most this many jobs (default 200, max 1000)"),
        ],
        summary="The print queue",
    )
    def get(self, request):
        params = request.query_params
        unknown = [
            s
            for s in params.get("status", "").split(",")
            if s.strip() and s.strip() not in PrintJobStatus.values
        ]
        if unknown:
            raise ApplicationError(f"Unknown print job state(s): {', '.join(unknown)}.")
        try:
            limit = max(1, min(1000, int(params.get("limit", 200))))
        except ValueError:
            raise ApplicationError("limit must be a whole number.") from None
        jobs = print_job_list(
            status=params.get("status") or None,
            printer=params.get("printer") or None,
            late=_flag(params.get("late")),
            is_reprint=_flag(params.get("reprint")),
        ).prefetch_related("file_jobs")[:limit]
        return Response(PrintJobOutput(jobs, many=True).data)


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ApplicationError(f"'{value}' is not a yes/no value (use 1 or 0).")


class PrintJobDetailApi(APIView):
    """One print job (staff)."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.VIEW_QUEUE

    @extend_schema(responses=PrintJobOutput, summary="A print job")
    def get(self, request, print_job_id: int):
        job = PrintJob.objects.select_related("item__order", "printer").filter(pk=print_job_id).first()
        if job is None:
            raise NotFound(f"Print job {print_job_id} does not exist.")
        return _job_response(job)


class PrintJobCreateApi(APIView):
    """Send an approved item to print (staff): 409 unless the item is approved."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.SEND_TO_PRINT

    class PrintJobCreateInput(serializers.Serializer):
        printer_id = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(
        request=PrintJobCreateInput, responses={201: PrintJobOutput}, summary="Send an approved item to print"
    )
    def post(self, request, item_id: int):
        data = _valid(self.PrintJobCreateInput, request.data)
        job = print_job_create(item_id=item_id, user=request.user, printer_id=data.get("printer_id"))
        return _job_response(job, status.HTTP_201_CREATED)


class PrintJobTransitionApi(APIView):
    """Move a print job (staff): `to` with `tracking_number` and `carrier` for shipped, `reason` for qc_failed.

    `to: batched` places the job on an open tray of a fitting printer. Illegal moves answer 409.
    """

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.MOVE_JOB

    class PrintJobTransitionInput(serializers.Serializer):
        to = serializers.CharField(max_length=20)
        tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        carrier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(request=PrintJobTransitionInput, responses=PrintJobOutput, summary="Move a print job")
    def post(self, request, print_job_id: int):
        data = _valid(self.PrintJobTransitionInput, request.data)
        job = print_job_move(print_job_id=print_job_id, user=request.user, **data)
        return _job_response(job)


def claim_answer(claim: GuaranteeClaim) -> dict:
    """A Design Guarantee claim as the API answers it (the customer's claim and the operator's review)."""
    return {
        "claim_id": claim.pk,
        "item_id": claim.item_id,
        "status": claim.status,
        "decline_reason": claim.decline_reason,
        "print_job_id": claim.reprint_id,
        "is_reprint": True,
        "charge_cents": 0,
    }


class ReprintCreateApi(APIView):
    """A free reprint of the approved file. Staff: `reason`. The customer (portal): a Design Guarantee
    claim, multipart `reason` and 1–5 `photos` of what arrived, reviewed by an operator before any reprint."""

    permission_classes = [IsAuthenticated, StaffNeedPermissions]
    required_permissions = roles.REPRINT  # staff; the customer's claim is checked against their order
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class ReprintCreateInput(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    @extend_schema_serializer(component_name="GuaranteeClaimCreated")
    class ClaimOutput(serializers.Serializer):
        """The customer's Design Guarantee claim: an operator reviews it before a free reprint is made."""

        claim_id = serializers.IntegerField()
        item_id = serializers.IntegerField()
        status = serializers.ChoiceField(
            choices=GuaranteeClaimStatus.choices,
            help_text="The claim's review: submitted (the studio is looking at the photos), approved (a free "
            "reprint of the approved file is on its way: print_job_id) or declined (decline_reason says why).",
        )
        decline_reason = serializers.CharField(help_text="Why the claim was declined; empty otherwise.")
        print_job_id = serializers.IntegerField(
            allow_null=True, help_text="The free reprint, once the claim is approved; null before."
        )
        is_reprint = serializers.BooleanField(help_text="Always true: a claim's print is a reprint.")
        charge_cents = serializers.IntegerField(help_text="Always 0: the reprint is free.")

    @extend_schema(
        request=ReprintCreateInput,
        responses={
            201: PolymorphicProxySerializer(
                component_name="ReprintCreated",
                serializers=[PrintJobOutput, ClaimOutput],
                resource_type_field_name=None,
            )
        },
        summary="Reprint an item (or claim the Design Guarantee)",
        description="Staff get the reprint job. The customer gets a Design Guarantee claim in status "
        "`submitted`: an operator reviews the photos, then approves it (a free reprint is made) or declines it.",
    )
    def post(self, request, item_id: int):
        payload = request.data
        if hasattr(payload, "getlist"):
            payload = {"reason": payload.get("reason", ""), "photos": payload.getlist("photos")}
        data = _valid(self.ReprintCreateInput, payload)
        if is_staff_request(request):
            job = reprint_create(item_id=item_id, reason=data["reason"], user=request.user)
            return _job_response(job, status.HTTP_201_CREATED)
        customer = customer_for_request(request)
        if customer is None:
            raise PermissionDenied("Only the studio or the figurine's customer can ask for a reprint.")
        item = Item.objects.select_related("order").filter(pk=item_id).first()
        if item is None or not customer_can_see_order(request, item.order):
            raise NotFound(f"Item {item_id} does not exist.")
        claim = guarantee_claim_create(
            item_id=item_id, customer=customer, reason=data["reason"], photos=data["photos"]
        )
        answer = claim_answer(claim)
        return Response(self.ClaimOutput(answer).data, status=status.HTTP_201_CREATED)


class TrayPartShape(serializers.Serializer):
    key = serializers.CharField()
    print_job_id = serializers.IntegerField()
    x = serializers.FloatField(help_text="Lower-left corner on the tray, mm.")
    y = serializers.FloatField()
    width = serializers.FloatField()
    depth = serializers.FloatField()
    rotated = serializers.BooleanField()
    label = serializers.CharField()


class TrayLayoutShape(serializers.Serializer):
    """Where each job sits on the tray (mm); the tray file's report rides along once it is built."""

    tray_mm = serializers.ListField(child=serializers.FloatField())
    margin_mm = serializers.FloatField()
    algorithm = serializers.CharField()
    utilisation = serializers.FloatField()
    parts = TrayPartShape(many=True)
    left_over = serializers.ListField(child=serializers.CharField())
    printer = serializers.CharField()
    revision = serializers.IntegerField()


class TrayOutput(serializers.Serializer):
    id = serializers.IntegerField()
    printer = serializers.CharField(source="printer.name")
    status = serializers.CharField()
    utilisation = serializers.FloatField()
    layout = report_field(TrayLayoutShape(), may_be_empty=True)
    layout_png_url = serializers.SerializerMethodField()
    tray_file_url = serializers.SerializerMethodField()
    jobs = serializers.SerializerMethodField()

    def get_layout_png_url(self, tray) -> str | None:
        return _absolute(self.context, file_url("tray-layout", tray.pk)) if tray.layout_png else None

    def get_tray_file_url(self, tray) -> str | None:
        return _absolute(self.context, file_url("tray-file", tray.pk)) if tray.tray_file else None

    def get_jobs(self, tray) -> list[int]:
        return list(tray.jobs.order_by("pk").values_list("pk", flat=True))


class TrayCreateApi(APIView):
    """Fill a new tray on a printer with queued jobs (staff), earliest due first."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.FILL_TRAY

    class TrayCreateInput(serializers.Serializer):
        printer_id = serializers.IntegerField()
        job_ids = serializers.ListField(
            child=serializers.IntegerField(), required=False, allow_null=True, default=None
        )

    @extend_schema(request=TrayCreateInput, responses={201: TrayOutput}, summary="Fill a new printer tray")
    def post(self, request):
        data = _valid(self.TrayCreateInput, request.data)
        tray = tray_create(printer_id=data["printer_id"], user=request.user, job_ids=data["job_ids"])
        return Response(TrayOutput(tray).data, status=status.HTTP_201_CREATED)


class TrayDetailApi(APIView):
    permission_classes = [HasStaffPermissions]
    required_permissions = roles.VIEW_TRAY

    @extend_schema(responses=TrayOutput, summary="A printer tray")
    def get(self, request, tray_id: int):
        tray = Batch.objects.select_related("printer").filter(pk=tray_id).first()
        if tray is None:
            raise NotFound(f"Tray {tray_id} does not exist.")
        return Response(TrayOutput(tray).data)


class TrayTransitionApi(APIView):
    """Move a whole tray (staff): printing, done or cancelled; its jobs follow."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.MOVE_TRAY

    class TrayTransitionInput(serializers.Serializer):
        to = serializers.CharField(max_length=20)

    @extend_schema(request=TrayTransitionInput, responses=TrayOutput, summary="Move a printer tray")
    def post(self, request, tray_id: int):
        data = _valid(self.TrayTransitionInput, request.data)
        return Response(TrayOutput(tray_move(tray_id=tray_id, to=data["to"], user=request.user)).data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
