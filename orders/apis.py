"""Orders REST API: place an order, read it, pay for it, add photos; and the Stripe webhook.

Views only parse input and shape output; the rules live in ``orders.services`` and ``orders.selectors``.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from orders import roles, selectors, services
from orders.auth import customer_for_request
from orders.models import PhotoKind, ProductLineCode, Style
from orders.photo_limits import refuse_oversized_body
from orders.stripe_client import WebhookSignatureError, stripe_online, verify_webhook
from studio.api import report_field
from studio.errors import ApplicationError, Conflict
from studio.permissions import StaffNeedPermissions, is_staff_request

logger = logging.getLogger(__name__)


class CatalogSizeOutput(serializers.Serializer):
    height_mm = serializers.IntegerField()
    price_cents = serializers.IntegerField()


class CatalogProductLineOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    per_person = serializers.BooleanField()
    min_persons = serializers.IntegerField()
    max_persons = serializers.IntegerField()
    full_figure = serializers.BooleanField()
    sizes = CatalogSizeOutput(many=True, help_text="Active heights, smallest first.")


class CatalogShippingOutput(serializers.Serializer):
    flat_fee_cents = serializers.IntegerField()
    free_from_cents = serializers.IntegerField()


class CatalogApi(APIView):
    """The size and price catalog (public): product lines, heights, prices in integer cents, shipping."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema_serializer(component_name="Catalog")
    class Output(serializers.Serializer):
        currency = serializers.CharField()
        product_lines = CatalogProductLineOutput(many=True)
        shipping = CatalogShippingOutput()

    @extend_schema(responses=Output, summary="The size and price catalog")
    def get(self, request):
        catalog = {
            "currency": settings.STUDIO_CURRENCY,
            "product_lines": selectors.catalog_product_lines(),
            "shipping": services.shipping_terms(),
        }
        return Response(self.Output(catalog).data)


class OrderCreateThrottle(AnonRateThrottle):
    """Placing orders is public: a few per hour per address (``ORDER_CREATE_THROTTLE``)."""

    scope = "order_create"

    def get_rate(self) -> str:
        return getattr(settings, "ORDER_CREATE_THROTTLE", "30/hour")


class PhotoUploadThrottle(SimpleRateThrottle):
    """Uploads per client address (``PHOTO_UPLOAD_THROTTLE``)."""

    scope = "photo_upload"

    def get_rate(self) -> str:
        return getattr(settings, "PHOTO_UPLOAD_THROTTLE", "120/hour")

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# --------------------------------------------------------------------------- placing an order


class ItemInSerializer(serializers.Serializer):
    product_line = serializers.ChoiceField(choices=ProductLineCode.choices)
    height_mm = serializers.IntegerField(min_value=1, max_value=2000)
    persons = serializers.IntegerField(min_value=1, max_value=20, default=1)
    style = serializers.ChoiceField(choices=Style.choices, default=Style.REALISTIC)
    notes = serializers.CharField(allow_blank=True, max_length=2000, default="")


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, default="")
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text="ISO 3166 alpha-2 code, e.g. US, DE.")


class CustomerInSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")


class OrderCreateInSerializer(serializers.Serializer):
    customer = CustomerInSerializer()
    shipping_address = AddressSerializer(
        required=False,
        help_text="Where to ship; when left out, Stripe Checkout asks for it (tracked, worldwide).",
    )
    items = ItemInSerializer(many=True, allow_empty=False)
    notes = serializers.CharField(allow_blank=True, max_length=4000, default="")

    def to_internal_value(self, data):
        # Also accept the customer's fields at the top level: {"email", "name", ...}.
        if hasattr(data, "get") and "customer" not in data and "email" in data:
            data = {**data, "customer": {k: data[k] for k in ("email", "name", "phone") if k in data}}
        return super().to_internal_value(data)


class OrderItemOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product_line = serializers.CharField()
    height_mm = serializers.IntegerField()
    persons = serializers.IntegerField()
    style = serializers.CharField()
    unit_price_cents = serializers.IntegerField()
    price_cents = serializers.IntegerField()
    status = serializers.CharField()


class OrderCreatedSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    portal_token = serializers.CharField(help_text="Shown once; send as `Authorization: Portal <token>`.")
    portal_url = serializers.URLField(
        help_text="A single-use sign-in link (valid PORTAL_LOGIN_LINK_HOURS): its first use sets the portal "
        "session; it never carries the portal token."
    )
    checkout_url = serializers.URLField(
        allow_null=True, help_text="Stripe Checkout; null when the studio runs offline."
    )
    currency = serializers.CharField()
    subtotal_cents = serializers.IntegerField()
    shipping_cents = serializers.IntegerField()
    total_cents = serializers.IntegerField()
    items = OrderItemOutSerializer(many=True)


class OrderCreateApi(APIView):
    """Place an order (public). Answers the order number, the portal token and link, the checkout URL, totals."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [OrderCreateThrottle]

    @extend_schema(request=OrderCreateInSerializer, responses={201: OrderCreatedSerializer})
    def post(self, request):
        serializer = OrderCreateInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.order_create(
            email=data["customer"]["email"],
            name=data["customer"]["name"],
            phone=data["customer"].get("phone", ""),
            shipping=data.get("shipping_address"),
            items=[services.ItemRequest(**item) for item in data["items"]],
            notes=data.get("notes", ""),
        )
        order = created.order
        body = {
            "number": order.number,
            "status": order.status,
            "portal_token": created.portal_token,
            "portal_url": created.portal_url,
            "checkout_url": created.checkout_url,
            "currency": order.currency,
            "subtotal_cents": order.subtotal_cents,
            "shipping_cents": order.shipping_cents,
            "total_cents": order.total_cents,
            "items": order.items.order_by("id"),
        }
        response = Response(OrderCreatedSerializer(body).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


# --------------------------------------------------------------------------- reading and paying


class OrderCheckoutApi(APIView):
    """A Stripe Checkout URL for an unpaid order (the same one while it is valid)."""

    permission_classes = [permissions.IsAuthenticated, StaffNeedPermissions]
    required_permissions = roles.TAKE_PAYMENT  # staff; a customer only for their own order

    @extend_schema_serializer(component_name="OrderCheckout")
    class Output(serializers.Serializer):
        checkout_url = serializers.URLField(help_text="Stripe Checkout: send the customer there.")

    @extend_schema(request=None, responses={200: Output})
    def post(self, request, number: str):
        order = selectors.order_get_for_request(number=number, request=request)
        if not stripe_online():
            raise Conflict("Online payment is not available; we confirm your payment by hand.")
        return Response(
            self.Output({"checkout_url": services.checkout_session_create(order_id=order.pk)}).data
        )


# --------------------------------------------------------------------------- photos


class PhotoUploadInSerializer(serializers.Serializer):
    image = serializers.FileField(allow_empty_file=True, help_text="JPEG, PNG, WebP or HEIC.")
    kind = serializers.ChoiceField(choices=PhotoKind.choices, default=PhotoKind.FRONT)
    person_index = serializers.IntegerField(min_value=0, default=0)


class PhotoIssueShape(serializers.Serializer):
    """One finding of a photo check (its measures ride along under their own names)."""

    code = serializers.CharField(help_text="DESIGN.md section 5: too_small, blurry, too_dark, ...")
    severity = serializers.ChoiceField(choices=["error", "warning"])
    message = serializers.CharField()
    advice = serializers.CharField()


class PhotoReportShape(serializers.Serializer):
    """The photo check's report (``check_photo --json``); more measures ride along."""

    width = serializers.IntegerField()
    height = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.ChoiceField(
        choices=["person", "pet"], allow_null=True, required=False, help_text="Who the photo shows."
    )
    faces = serializers.IntegerField(
        allow_null=True, required=False, help_text="Faces found; null when no face model ran."
    )
    perception = serializers.ChoiceField(
        choices=["mediapipe", "classical"],
        required=False,
        help_text="Which segmentation ran: the learned models, or the colour-rule fallback.",
    )
    acceptable = serializers.BooleanField()
    subject_fraction = serializers.FloatField(allow_null=True)
    issues = PhotoIssueShape(many=True)


class PhotoOutput(serializers.Serializer):
    """A customer photo as the order page and the upload answer show it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PhotoKind.choices)
    person_index = serializers.IntegerField()
    url = serializers.URLField(allow_null=True, help_text="Signed; works for a while on its own.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    usable = serializers.BooleanField()
    issues = report_field(PhotoIssueShape(many=True))
    uploaded_at = serializers.DateTimeField(format=None)
    removable = serializers.BooleanField(
        help_text="Whether DELETE removes it now: at the photo stage, and once the order is paid only a "
        "photo the check rejected (409 otherwise, with the reason)."
    )


class PhotoUploadApi(APIView):
    """Add a photo to a figurine (multipart ``image``, ``kind``, ``person_index``); answers its quality report."""

    permission_classes = [permissions.IsAuthenticated, StaffNeedPermissions]
    required_permissions = roles.ADD_PHOTO  # staff; a customer only for their own order
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [PhotoUploadThrottle]

    @extend_schema_serializer(component_name="PhotoUploaded")
    class Output(PhotoOutput):
        acceptable = serializers.BooleanField()
        report = report_field(PhotoReportShape())

    def initial(self, request, *args, **kwargs):
        # Before authentication: session authentication's CSRF check parses (and spools) the body.
        refuse_oversized_body(request.META)  # 413 too_large, nothing read
        super().initial(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": PhotoUploadInSerializer}, responses={201: Output})
    def post(self, request, number: str, item_id: int):
        order = selectors.order_get_for_request(number=number, request=request)
        if "image" not in request.FILES:
            raise ApplicationError(
                "Attach the photo as the multipart field 'image'.", extra={"field": "image"}
            )
        serializer = PhotoUploadInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["image"]
        photo = services.photo_upload(
            item_id=item_id,
            order_id=order.pk,
            upload=upload,
            kind=data["kind"],
            person_index=data["person_index"],
            filename=upload.name or "",
            user=request.user if is_staff_request(request) else None,
            actor=_actor(request),
        )
        body = {
            **selectors.photo_data(photo, request),
            "acceptable": bool(photo.report.get("acceptable")),
            "report": photo.report,
        }
        return Response(self.Output(body).data, status=status.HTTP_201_CREATED)


class PhotoDeleteApi(APIView):
    """Remove a photo at the photo stage; once the order is paid only one the check rejected (409 otherwise)."""

    permission_classes = [permissions.IsAuthenticated, StaffNeedPermissions]
    required_permissions = roles.DELETE_PHOTO  # staff; a customer only for their own order

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, number: str, item_id: int, photo_id: int):
        order = selectors.order_get_for_request(number=number, request=request)
        if not order.items.filter(pk=item_id).exists():
            raise ApplicationError("No such figurine on this order.")
        services.photo_delete(photo_id=photo_id, item_id=item_id, actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _actor(request) -> str:
    if is_staff_request(request):
        return f"staff:{request.user.get_username()}"
    customer = customer_for_request(request)
    return f"customer:{customer.email}" if customer else "customer"


# --------------------------------------------------------------------------- Stripe webhook


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Signed Stripe events (raw body checked); each event takes effect once; unknown types acknowledged."""
    payload = request.body
    try:
        verify_webhook(payload, request.headers.get("Stripe-Signature"))
        event = json.loads(payload)
        outcome = services.stripe_event_process(event)
    except WebhookSignatureError as exc:
        logger.warning("refused a Stripe webhook: %s", exc.message)
        return JsonResponse({"message": exc.message, "code": exc.code}, status=400)
    except (ValueError, TypeError) as exc:
        return JsonResponse({"message": f"The event could not be read: {exc}", "code": "invalid"}, status=400)
    except ApplicationError as exc:
        return JsonResponse({"message": exc.message, "code": exc.code}, status=exc.status_code)
    return JsonResponse({"received": True, "outcome": outcome})
