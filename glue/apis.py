"""The customer's order as the API answers it: ``GET /api/v1/orders/{number}/`` (composed in glue.order_page)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from digital.models import DigitalFormat
from glue.order_page import order_page
from orders import roles as order_roles
from orders import selectors as order_selectors
from orders.apis import PhotoOutput
from orders.models import ItemStatus, OrderStatus, ProductLineCode, Style
from printing.models import GuaranteeClaimStatus
from revisions.models import RevisionStatus
from studio.permissions import StaffNeedPermissions, is_staff_request

# Dates and times are answered as the selectors give them (``format=None``: the JSON renderer writes
# them, in UTC), the same on the order page as before these serializers described it.


class DeliveryEstimateOutput(serializers.Serializer):
    earliest = serializers.DateField(format=None)
    latest = serializers.DateField(format=None)


class PhotoNeedOutput(serializers.Serializer):
    person_index = serializers.IntegerField()
    usable = serializers.IntegerField(help_text="Usable photos of this person.")
    uploaded = serializers.IntegerField()
    has_front = serializers.BooleanField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="What is still needed, in words."
    )


class PublishedRoundOutput(serializers.Serializer):
    """A design preview round the customer has been shown."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RevisionStatus.choices)
    published_at = serializers.DateTimeField(format=None)
    preview_url = serializers.URLField(allow_null=True, help_text="The web preview (GLB).")
    portal_url = serializers.CharField(help_text="The round's page in the portal.")
    note = serializers.CharField()


class ParcelOutput(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField(format=None, allow_null=True)
    is_reprint = serializers.BooleanField()


class GuaranteeClaimOutput(serializers.Serializer):
    """A Design Guarantee claim on the figurine and where its review stands."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=GuaranteeClaimStatus.choices,
        help_text="submitted (the studio is looking at the photos), approved (a free reprint is on its way) "
        "or declined (decline_reason says why).",
    )
    status_text = serializers.CharField(help_text="Where the claim stands, in the customer's words.")
    decline_reason = serializers.CharField(help_text="Why the claim was declined; empty otherwise.")
    created_at = serializers.DateTimeField(format=None)
    reviewed_at = serializers.DateTimeField(format=None, allow_null=True)
    print_job_id = serializers.IntegerField(allow_null=True, help_text="The free reprint, once approved.")


class DigitalDownloadOutput(serializers.Serializer):
    """One digital file of the approved design (made from the approved SHA-256), with its signed URL."""

    format = serializers.ChoiceField(
        choices=DigitalFormat.choices,
        help_text="glb (web, AR, game engines; metres, Y up), glb_game (decimated, colours kept), obj (zip of "
        "OBJ + MTL + texture; metres, Y up for Blender), fbx (millimetres, Z up), stl (printing at home; "
        "millimetres, no colour), usdz (iPhone and iPad AR; metres, Y up).",
    )
    url = serializers.CharField(
        help_text="Signed download URL (expires); it works for the order's customer and the staff only."
    )
    bytes = serializers.IntegerField(help_text="The file's size in bytes.")
    sha256 = serializers.CharField(help_text="The file's SHA-256, to check the download.")
    triangles = serializers.IntegerField()


class OrderItemOutput(serializers.Serializer):
    """One figurine with its photos, the rounds shown to the customer and its parcels."""

    id = serializers.IntegerField()
    product_line = serializers.ChoiceField(choices=ProductLineCode.choices)
    product_line_name = serializers.CharField()
    height_mm = serializers.IntegerField()
    persons = serializers.IntegerField()
    style = serializers.ChoiceField(choices=Style.choices)
    notes = serializers.CharField()
    price_cents = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    accepts_photos = serializers.BooleanField()
    photos = PhotoOutput(many=True)
    photo_needs = PhotoNeedOutput(many=True)
    revisions = PublishedRoundOutput(many=True)
    ready_for_design_at = serializers.DateTimeField(format=None, allow_null=True)
    preview_due_at = serializers.DateTimeField(format=None, allow_null=True)
    approved_at = serializers.DateTimeField(format=None, allow_null=True)
    delivery_estimate = DeliveryEstimateOutput(allow_null=True)
    tracking = ParcelOutput(many=True)
    guarantee_claims = GuaranteeClaimOutput(many=True)
    downloads = DigitalDownloadOutput(
        many=True,
        help_text="The approved design's digital files; empty before approval and while they are made.",
    )
    downloads_status = serializers.ChoiceField(
        choices=[("none", "none"), ("making", "making"), ("ready", "ready"), ("failed", "failed")],
        help_text="none (not approved yet), making (approved: the files are on the way), ready, or failed "
        "(the studio makes them again).",
    )


class OrderCustomerOutput(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()


class ShippingAddressOutput(serializers.Serializer):
    name = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    postcode = serializers.CharField()
    country = serializers.CharField()


class PaymentOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="charge or refund")
    provider = serializers.CharField()
    method = serializers.CharField()
    status = serializers.CharField()
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField(format=None)


class OrderEventOutput(serializers.Serializer):
    """One line of the order's timeline. The customer reads their own few lines, each fact once, in their
    words (as the portal shows them): ``date``, ``type``, ``item_id``, ``text``. Staff read the full log,
    every event with its subject, states and actor too."""

    date = serializers.DateTimeField(format=None)
    type = serializers.CharField(
        help_text="The event's type (order_placed, payment_recorded, status_changed, …)."
    )
    item_id = serializers.IntegerField(allow_null=True, help_text="The figurine it is about, if one.")
    text = serializers.CharField(help_text="The line in words (the customer's, on their timeline).")
    subject = serializers.CharField(required=False, help_text="Staff only.")
    subject_id = serializers.IntegerField(allow_null=True, required=False, help_text="Staff only.")
    from_status = serializers.CharField(required=False, help_text="Staff only.")
    to_status = serializers.CharField(required=False, help_text="Staff only.")
    actor = serializers.CharField(required=False, help_text="Staff only.")

    def to_representation(self, instance):
        # a customer's line has no staff fields: leave them out (a missing nullable field would say null)
        return {k: v for k, v in super().to_representation(instance).items() if k in instance}


class OrderDetailApi(APIView):
    """The order for its customer (portal token or session) or staff: items, photos, previews, payments, timeline."""

    permission_classes = [permissions.IsAuthenticated, StaffNeedPermissions]
    required_permissions = order_roles.VIEW_ORDER  # staff; a customer only for their own order

    @extend_schema_serializer(component_name="OrderDetail")
    class Output(serializers.Serializer):
        number = serializers.CharField()
        status = serializers.ChoiceField(choices=OrderStatus.choices)
        currency = serializers.CharField()
        subtotal_cents = serializers.IntegerField()
        shipping_cents = serializers.IntegerField()
        total_cents = serializers.IntegerField()
        created_at = serializers.DateTimeField(format=None)
        paid_at = serializers.DateTimeField(format=None, allow_null=True)
        customer = OrderCustomerOutput()
        shipping_address = ShippingAddressOutput()
        payment_mode = serializers.ChoiceField(choices=["stripe", "offline"])
        items = OrderItemOutput(many=True)
        payments = PaymentOutput(many=True)
        events = OrderEventOutput(many=True)
        preview_due_at = serializers.DateTimeField(format=None, allow_null=True)
        delivery_estimate = DeliveryEstimateOutput(allow_null=True)
        tracking = ParcelOutput(many=True, help_text="Every parcel of the order, item by item.")

    @extend_schema(responses={200: Output})
    def get(self, request, number: str):
        order = order_selectors.order_get_for_request(number=number, request=request)
        page = order_page(order, request, staff=is_staff_request(request))
        return Response(self.Output(page).data)
