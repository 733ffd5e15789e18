"""The size and price catalog, customers, orders, items (figurines), photos, payments and the timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.workflow import StatusModel


class ProductLineCode(models.TextChoices):
    SOLO = "solo", "Solo portrait"
    COUPLE = "couple", "Wedding / couple"
    PET = "pet", "Pet"
    BUST = "bust", "Portrait bust"
    FAMILY = "family", "Family set"


class ProductLine(models.Model):
    """A product of the catalog (solo, couple, pet, bust, family) and how it is priced."""

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


class Customer(models.Model):
    """A person who orders figurines; reaches the portal through an e-mailed magic link."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class PortalToken(models.Model):
    """A customer's portal secret. Only its SHA-256 is stored; it expires and can be revoked."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_tokens",
        help_text="When set, the token opens only this order (tokens issued when ordering); "
        "else all of the customer's orders (tokens an operator issued).",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.token_hash[:8]}… for {self.customer.email}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


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
    S.APPROVED: (S.IN_PRODUCTION, S.REFUNDED),
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
    I.APPROVED: (I.IN_PRODUCTION, I.CANCELLED),
    I.IN_PRODUCTION: (I.SHIPPED, I.APPROVED),
    # Reprints (QC failure after shipping, Design Guarantee claims) return the item to production.
    I.SHIPPED: (I.DELIVERED, I.IN_PRODUCTION),
    I.DELIVERED: (I.IN_PRODUCTION,),
    I.CANCELLED: (),
}

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


class PhotoKind(models.TextChoices):
    FRONT = "front", "Front"
    SIDE = "side", "Side profile"
    BACK = "back", "Back"
    FULL_BODY = "full_body", "Full body"


def photo_upload_to(instance: Photo, filename: str) -> str:
    return f"photos/{instance.item.order.number}/{instance.item_id}/{filename}"


class Photo(models.Model):
    """A customer photo of one figurine (per person for couples and families) and its quality report."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=16, choices=PhotoKind.choices)
    person_index = models.PositiveSmallIntegerField(default=0)
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    original_sha256 = models.CharField(max_length=64, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    report = models.JSONField(default=dict, blank=True)
    is_usable = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["item_id", "person_index", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "original_sha256"],
                condition=~models.Q(original_sha256=""),
                name="photo_unique_original_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} photo of item {self.item_id}"


class PaymentKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Payment(models.Model):
    """Money moved for an order (a charge or a refund), through Stripe or recorded offline."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices, default=PaymentKind.CHARGE)
    provider = models.CharField(max_length=20, default="stripe")
    method = models.CharField(max_length=40, blank=True, help_text="card, klarna, …")
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One charge per Checkout Session and one row per Stripe refund, however often Stripe tells us.
            models.UniqueConstraint(
                fields=["kind", "stripe_checkout_session_id"],
                condition=~models.Q(stripe_checkout_session_id=""),
                name="payment_unique_checkout_session",
            ),
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~models.Q(stripe_refund_id=""),
                name="payment_unique_stripe_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents / 100:.2f} {self.currency.upper()} ({self.status})"


class StripeEvent(models.Model):
    """A Stripe webhook event, recorded once by its id so each event takes effect once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events"
    )
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class EventSubject(models.TextChoices):
    ORDER = "order", "Order"
    ITEM = "item", "Item"
    REVISION = "revision", "Revision"
    PRINT_JOB = "print_job", "Print job"
    TRAY = "tray", "Tray"
    PAYMENT = "payment", "Payment"
    PHOTO = "photo", "Photo"


class OrderEventType(models.TextChoices):
    """Every kind of timeline line (the strings are part of the API's timeline); the higher apps'
    facts (previews, print files, print jobs, reprints) live here too, since the table is the order's."""

    STATUS_CHANGED = "status_changed", "Status changed"
    ORDER_PLACED = "order_placed", "Order placed"
    CHECKOUT_CREATED = "checkout_created", "Checkout created"
    CHECKOUT_CLOSED = "checkout_closed", "Checkout closed"
    PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    PAYMENT_MISMATCH = "payment_mismatch", "Payment does not match the order"
    PAYMENT_AFTER_CLOSE = "payment_after_close", "Payment after the order closed"
    REFUND_RECORDED = "refund_recorded", "Refund recorded"
    PHOTO_UPLOADED = "photo_uploaded", "Photo uploaded"
    PHOTO_DELETED = "photo_deleted", "Photo deleted"
    PORTAL_TOKEN_ISSUED = "portal_token_issued", "Portal link issued"
    PORTAL_TOKEN_REVOKED = "portal_token_revoked", "Portal link revoked"
    EMAIL_SENT = "email_sent", "E-mail sent"
    PREVIEW_DUE_WARNING = "preview_due_warning", "Preview due warning"
    PRINT_FILE_READY = "print_file_ready", "Print file ready"
    PRINT_FILE_FAILED = "print_file_failed", "Print file failed"
    PRINT_JOB_CREATED = "print_job_created", "Print job created"
    REPRINT_CREATED = "reprint_created", "Reprint created"
    GUARANTEE_CLAIM = "guarantee_claim", "Guarantee claim"


class OrderEvent(models.Model):
    """One line of the timeline: a state change or a notable fact, who did it and when.

    Written by the small functions in `orders.events` (one per type), called by the services in the
    same transaction as the change they record. Trays keep their own events (`printing.TrayEvent`).
    """

    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    subject = models.CharField(max_length=16, choices=EventSubject.choices)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    type = models.CharField(max_length=40, choices=OrderEventType.choices, db_index=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=60, default="system")
    date = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["subject", "subject_id"])]

    def __str__(self) -> str:
        change = f" {self.from_status} → {self.to_status}" if self.to_status else ""
        return f"{self.date:%Y-%m-%d %H:%M} {self.subject} {self.type}{change}"


class NotificationStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One e-mail the studio sends at most once: a row per kind and key (the order, the round, the job).

    `orders.notifications` claims the row in a short transaction, sends with no transaction open,
    then marks it sent; a failed send is recorded (status, error) so that a retry sends it again.
    """

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    recipient = models.EmailField()
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.SENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="notification_once_per_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} to {self.recipient} ({self.status})"
