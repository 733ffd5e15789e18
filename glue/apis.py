"""The customer's order as the API answers it: ``GET /api/v1/orders/{number}/`` (composed in glue.order_page)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from glue.order_page import order_page
from orders import selectors as order_selectors
from studio.permissions import is_staff_request


class OrderDetailApi(APIView):
    """The order for its customer (portal token or session) or staff: items, photos, previews, payments, timeline."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, number: str):
        order = order_selectors.order_get_for_request(number=number, request=request)
        staff = is_staff_request(request)
        return Response(order_page(order, request, staff=staff))
