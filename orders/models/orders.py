"""Orders and their items (figurines): states, the allowed-transitions tables, progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orders.models.catalog import DIGITAL_ONLY_LINES, ProductLineCode
from orders.models.customers import Customer
from studio.workflow import StatusModel


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    PAID = "paid", "Paid"
    IN_DESIGN = "in_design", "In design"
    APPROVED = "approved", "Approved"
    IN_PRODUCTION = "in_production", "In production"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


S = OrderStatus
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PENDING_PAYMENT: (S.PAID, S.CANCELLED),
    S.PAID: (S.IN_DESIGN, S.CANCELLED, S.REFUNDED),
    S.IN_DESIGN: (S.APPROVED, S.CANCELLED, S.REFUNDED),
    S.APPROVED: (S.IN_PRODUCTION, S.DELIVERED, S.REFUNDED),  # delivered: only digital-only items
    S.IN_PRODUCTION: (S.SHIPPED, S.REFUNDED),
    # A Design Guarantee reprint sends a shipped or delivered order back into production.
    S.SHIPPED: (S.DELIVERED, S.IN_PRODUCTION, S.REFUNDED),
    S.DELIVERED: (S.IN_PRODUCTION, S.REFUNDED),
    S.CANCELLED: (),
    S.REFUNDED: (),
}


class Order(StatusModel):
    """One checkout: a customer's items, their price in integer cents, and its payment state."""

    TRANSITIONS = ORDER_TRANSITIONS
    SUBJECT = "order"

    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT, db_index=True
    )
    currency = models.CharField(max_length=3, default="usd")
    subtotal_cents = models.PositiveIntegerField(default=0)
    shipping_cents = models.PositiveIntegerField(default=0)
    total_cents = models.PositiveIntegerField(default=0)
    ship_name = models.CharField(max_length=200, blank=True)
    ship_line1 = models.CharField(max_length=200, blank=True)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100, blank=True)
    ship_postcode = models.CharField(max_length=20, blank=True)
    ship_country = models.CharField(max_length=2, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_checkout_url = models.URLField(max_length=1000, blank=True)
    stripe_checkout_expires_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    def can_cancel(self) -> bool:
        return self.can_transition(OrderStatus.CANCELLED)

    def can_refund(self) -> bool:
        return self.can_transition(OrderStatus.REFUNDED)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class Style(models.TextChoices):
    REALISTIC = "realistic", "Realistic"
    CHIBI = "chibi", "Chibi"


class ItemStatus(models.TextChoices):
    AWAITING_PHOTOS = "awaiting_photos", "Awaiting photos"
    READY_FOR_DESIGN = "ready_for_design", "Ready for design"
    RECONSTRUCTING = "reconstructing", "Reconstructing"
    SCULPTING = "sculpting", "Sculpting"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    IN_PRODUCTION = "in_production", "In production"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


I = ItemStatus  # noqa: E741
ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    I.AWAITING_PHOTOS: (I.READY_FOR_DESIGN, I.CANCELLED),
    I.READY_FOR_DESIGN: (I.RECONSTRUCTING, I.SCULPTING, I.AWAITING_PHOTOS, I.CANCELLED),
    I.RECONSTRUCTING: (I.SCULPTING, I.READY_FOR_DESIGN, I.CANCELLED),
    I.SCULPTING: (I.IN_REVIEW, I.CANCELLED),
    I.IN_REVIEW: (I.CHANGES_REQUESTED, I.APPROVED, I.SCULPTING, I.CANCELLED),
    I.CHANGES_REQUESTED: (I.IN_REVIEW, I.SCULPTING, I.CANCELLED),
    # A "3D model only" item is delivered with its digital files, never printed (guarded by
    # `Item.can_transition`: only a digital-only item takes it, and it alone skips production).
    I.APPROVED: (I.IN_PRODUCTION, I.DELIVERED, I.CANCELLED),
    I.IN_PRODUCTION: (I.SHIPPED, I.APPROVED),
    # Reprints (QC failure after shipping, Design Guarantee claims) return the item to production.
    I.SHIPPED: (I.DELIVERED, I.IN_PRODUCTION),
    I.DELIVERED: (I.IN_PRODUCTION,),
    I.CANCELLED: (),
}

#: From approval on the design is the customer's: the item's spec and style no longer change (a
#: cancelled item is closed too).
ITEM_DESIGN_LOCKED_STATES = (I.APPROVED, I.IN_PRODUCTION, I.SHIPPED, I.DELIVERED, I.CANCELLED)
#: The photo stage: the item takes photos (added, and removed by the rule of `Photo.removal_refusal`)
#: until reconstruction or design starts.
ITEM_PHOTO_STATES = (I.AWAITING_PHOTOS, I.READY_FOR_DESIGN)
#: What the customer ordered and is charged for: product line, size, persons and the price.
ITEM_SPEC_FIELDS = ("product_line", "height_mm", "persons", "unit_price_cents", "price_cents")

# How far along the studio's road an item is; the order follows its least advanced item.
ITEM_PROGRESS: dict[str, int] = {
    I.AWAITING_PHOTOS: 0,
    I.READY_FOR_DESIGN: 1,
    I.RECONSTRUCTING: 1,
    I.SCULPTING: 1,
    I.IN_REVIEW: 1,
    I.CHANGES_REQUESTED: 1,
    I.APPROVED: 2,
    I.IN_PRODUCTION: 3,
    I.SHIPPED: 4,
    I.DELIVERED: 5,
}


class Item(StatusModel):
    """One figurine of an order: product line, height, persons and style, and its design state."""

    TRANSITIONS = ITEM_TRANSITIONS
    SUBJECT = "item"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product_line = models.CharField(max_length=16, choices=ProductLineCode.choices)
    height_mm = models.PositiveSmallIntegerField()
    persons = models.PositiveSmallIntegerField(default=1)
    style = models.CharField(max_length=16, choices=Style.choices, default=Style.REALISTIC)
    notes = models.TextField(blank=True)
    unit_price_cents = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=ItemStatus.choices, default=ItemStatus.AWAITING_PHOTOS, db_index=True
    )
    assigned_sculptor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_items",
        limit_choices_to={"is_staff": True},
    )
    ready_for_design_at = models.DateTimeField(null=True, blank=True)
    preview_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False, help_text="Needs a sculptor's attention (e.g. reconstruction failed)."
    )
    flag_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order__created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order.number}-{self.pk} {self.get_product_line_display()} {self.height_mm} mm"

    def can_cancel(self) -> bool:
        return self.can_transition(ItemStatus.CANCELLED)

    def can_approve(self) -> bool:
        return self.can_transition(ItemStatus.APPROVED)

    @property
    def is_digital_only(self) -> bool:
        """A "3D model only" item (`DIGITAL_ONLY_LINES`): its digital files are the product."""
        return self.product_line in DIGITAL_ONLY_LINES

    def can_transition(self, target: str) -> bool:
        """The table, with the digital-only line's rule: from ``approved`` a digital-only item goes to
        ``delivered`` (its files made: ``digital.services`` guards that) and never to production; a printed
        one goes to production and never straight to ``delivered``."""
        if not super().can_transition(target):
            return False
        if self.status == ItemStatus.APPROVED and target in (ItemStatus.DELIVERED, ItemStatus.IN_PRODUCTION):
            return (target == ItemStatus.DELIVERED) == self.is_digital_only
        return True

    @property
    def design_locked(self) -> bool:
        """Approved (or later, or cancelled): the approved design's style no longer changes."""
        return self.status in ITEM_DESIGN_LOCKED_STATES

    @property
    def takes_photos(self) -> bool:
        """At the photo stage (see `ITEM_PHOTO_STATES`): reconstruction and design have not started."""
        return self.status in ITEM_PHOTO_STATES

    @property
    def spec_locked(self) -> bool:
        """The rule "this item's spec is final": product line, size, persons and price never change.

        True once the order is no longer waiting for its payment (the customer paid for this product and
        size, or the order is closed) and from the design's approval on. Before that the spec may change
        and is priced again from the catalog; after it a change is a cancellation (and a new order).
        """
        return (
            self.design_locked
            or self.order.status != OrderStatus.PENDING_PAYMENT
            or self.order.paid_at is not None
        )
