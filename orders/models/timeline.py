"""The order timeline (OrderEvent, one type per event) and the send-once e-mail records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orders.models.orders import Item, Order


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
    SCULPTOR_ASSIGNED = "sculptor_assigned", "Sculptor assigned"


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
