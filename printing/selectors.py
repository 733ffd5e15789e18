"""Read-side queries for the catalog, printers and print jobs."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from printing.models import ProductLine, ShippingRule, Size


def catalog_product_lines() -> QuerySet[ProductLine]:
    """Active product lines with their active sizes, in catalog order."""
    return ProductLine.objects.filter(active=True).prefetch_related(
        Prefetch("sizes", queryset=Size.objects.filter(active=True).order_by("height_mm"))
    )


def active_shipping_rule() -> ShippingRule | None:
    return ShippingRule.objects.filter(active=True).first()
