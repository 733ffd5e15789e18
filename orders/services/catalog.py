"""The size and price catalog: what a figurine costs, and what shipping costs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from orders.models import ProductLine, ShippingRule, Size
from studio.errors import ApplicationError


@dataclass(frozen=True)
class ItemPrice:
    unit_price_cents: int
    persons: int
    price_cents: int


def catalog_price(*, product_line: str, height_mm: int, persons: int = 1) -> ItemPrice:
    """Price one figurine from the catalog (per person for family sets). Raises on what is not sold."""
    line = ProductLine.objects.filter(code=product_line, active=True).first()
    if line is None:
        raise ApplicationError(f"We don't offer the product line '{product_line}'.")
    size = Size.objects.filter(product_line=line, height_mm=height_mm, active=True).first()
    if size is None:
        heights = ", ".join(
            str(h) for h in line.sizes.filter(active=True).values_list("height_mm", flat=True)
        )
        raise ApplicationError(f"{line.name} comes in {heights} mm; {height_mm} mm is not available.")
    if not line.min_persons <= persons <= line.max_persons:
        raise ApplicationError(
            f"{line.name} is made for {line.min_persons}–{line.max_persons} persons, not {persons}."
        )
    multiplier = persons if line.per_person else 1
    return ItemPrice(
        unit_price_cents=size.price_cents, persons=persons, price_cents=size.price_cents * multiplier
    )


@dataclass(frozen=True)
class ShippingTerms:
    flat_fee_cents: int
    free_from_cents: int


def shipping_terms() -> ShippingTerms:
    """The active shipping rule (operators edit it in the admin), else the settings' fallback."""
    rule = ShippingRule.objects.filter(active=True).first()
    if rule is None:
        return ShippingTerms(settings.SHIPPING_FLAT_FEE_CENTS, settings.SHIPPING_FREE_FROM_CENTS)
    return ShippingTerms(rule.flat_fee_cents, rule.free_from_cents)


def shipping_price(*, subtotal_cents: int) -> int:
    """Free from the threshold of `shipping_terms`, else its flat fee."""
    terms = shipping_terms()
    return 0 if subtotal_cents >= terms.free_from_cents else terms.flat_fee_cents
