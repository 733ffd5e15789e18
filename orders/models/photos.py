"""A figurine's photos and their quality reports."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from orders.models.orders import Item


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

    def removal_refusal(self) -> str | None:
        """Why this photo may not be removed now, in the customer's words; None: it may.

        The one rule, for the portal's Remove button and ``DELETE …/photos/{id}/`` alike: photos are
        removed at the photo stage only (never once reconstruction or design started: the studio works
        from them), and once the order is paid only a photo the check rejected (a good one is what the
        figurine is designed from; removing it could leave a paid figurine without its photo).
        """
        item = self.item
        if not item.takes_photos:
            return (
                f"This figurine is {item.get_status_display().lower()}: the studio works from its photos "
                "now, so they can no longer be removed."
            )
        if self.is_usable and item.order.is_paid:
            return (
                "Your order is paid and this photo passed the check: we keep it to design your figurine. "
                "Photos the check rejected can still be removed."
            )
        return None
