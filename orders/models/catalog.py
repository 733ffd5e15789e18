"""The size and price catalog: product lines, their sizes and prices (integer cents), shipping rules."""

from __future__ import annotations

from django.db import models


class ProductLineCode(models.TextChoices):
    SOLO = "solo", "Solo portrait"
    COUPLE = "couple", "Wedding / couple"
    PET = "pet", "Pet"
    BUST = "bust", "Portrait bust"
    FAMILY = "family", "Family set"
    DIGITAL = "digital", "3D model only"


#: Product lines whose product is the digital files alone: nothing is printed or shipped; the item goes
#: ``approved → delivered`` once its files are made (``Item.can_transition``, ``digital.services``).
DIGITAL_ONLY_LINES = frozenset({ProductLineCode.DIGITAL})


class ProductLine(models.Model):
    """A product of the catalog (solo, couple, pet, bust, family, 3D model only) and how it is priced."""

    code = models.CharField(max_length=16, choices=ProductLineCode.choices, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    per_person = models.BooleanField(default=False, help_text="Price is per person (family sets).")
    min_persons = models.PositiveSmallIntegerField(default=1)
    max_persons = models.PositiveSmallIntegerField(default=1)
    full_figure = models.BooleanField(default=True, help_text="A full-body photo is recommended.")
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Size(models.Model):
    """One orderable height of a product line and its price in integer cents (per person if so)."""

    product_line = models.ForeignKey(ProductLine, on_delete=models.CASCADE, related_name="sizes")
    height_mm = models.PositiveSmallIntegerField()
    price_cents = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_line__sort_order", "height_mm"]
        constraints = [
            models.UniqueConstraint(fields=["product_line", "height_mm"], name="size_unique_height_per_line"),
            models.CheckConstraint(condition=models.Q(price_cents__gt=0), name="size_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_line.name} {self.height_mm} mm — ${self.price_cents / 100:.2f}"


class ShippingRule(models.Model):
    """Shipping price: free from a threshold, else a flat fee (integer cents). The active rule applies."""

    name = models.CharField(max_length=100, default="Worldwide tracked")
    flat_fee_cents = models.PositiveIntegerField()
    free_from_cents = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "name"]

    def __str__(self) -> str:
        return f"{self.name}: ${self.flat_fee_cents / 100:.2f}, free from ${self.free_from_cents / 100:.2f}"
