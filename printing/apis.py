"""Printing API: the public catalog (print queue endpoints join here)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from printing.selectors import active_shipping_rule, catalog_product_lines


class CatalogApi(APIView):
    """The size and price catalog (public): product lines, heights, prices in integer cents, shipping."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    class SizeOutput(serializers.Serializer):
        height_mm = serializers.IntegerField()
        price_cents = serializers.IntegerField()

    class ProductLineOutput(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        per_person = serializers.BooleanField()
        min_persons = serializers.IntegerField()
        max_persons = serializers.IntegerField()
        full_figure = serializers.BooleanField()
        sizes = serializers.SerializerMethodField()

        def get_sizes(self, obj) -> list[dict]:
            return CatalogApi.SizeOutput(obj.sizes.all(), many=True).data

    class ShippingOutput(serializers.Serializer):
        flat_fee_cents = serializers.IntegerField()
        free_from_cents = serializers.IntegerField()

    class Output(serializers.Serializer):
        currency = serializers.CharField()
        product_lines = serializers.ListField(child=serializers.DictField())
        shipping = serializers.DictField()

    @extend_schema(responses=Output, summary="The size and price catalog")
    def get(self, request):
        rule = active_shipping_rule()
        shipping = {
            "flat_fee_cents": rule.flat_fee_cents if rule else settings.SHIPPING_FLAT_FEE_CENTS,
            "free_from_cents": rule.free_from_cents if rule else settings.SHIPPING_FREE_FROM_CENTS,
        }
        return Response(
            {
                "currency": settings.STUDIO_CURRENCY,
                "product_lines": self.ProductLineOutput(catalog_product_lines(), many=True).data,
                "shipping": shipping,
            }
        )
