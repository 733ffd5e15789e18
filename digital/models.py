"""The customer's digital files of an approved design, and the job rows of the runs that make them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from studio.jobs import JobBase


class DigitalFormat(models.TextChoices):
    GLB = "glb", "GLB (web, AR, game engines; full colour)"
    GLB_GAME = "glb_game", "Game-ready GLB (fewer triangles, colours kept)"
    OBJ = "obj", "OBJ + MTL + texture (zip; Blender)"
    FBX = "fbx", "FBX (Blender, game pipelines)"
    STL = "stl", "STL (printing at home; millimetres, no colour)"
    USDZ = "usdz", "USDZ (iPhone and iPad AR)"


def digital_file_upload_to(instance: DigitalFile, filename: str) -> str:
    return f"digital/{instance.item.order.number}/{instance.item_id}/{instance.source_sha256[:12]}/{filename}"


class DigitalFile(models.Model):
    """One digital file of an item's approved design, made from the file locked by the approval.

    ``source_sha256`` is the approved revision's SHA-256 the file was derived from; ``sha256``, ``bytes``
    and ``triangles`` are the file's own. One file per item and format: a new run replaces it.
    """

    item = models.ForeignKey("orders.Item", on_delete=models.CASCADE, related_name="digital_files")
    approval = models.ForeignKey("revisions.Approval", on_delete=models.PROTECT, related_name="digital_files")
    revision = models.ForeignKey("revisions.Revision", on_delete=models.PROTECT, related_name="digital_files")
    format = models.CharField(max_length=16, choices=DigitalFormat.choices)
    file = models.FileField(upload_to=digital_file_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    bytes = models.PositiveBigIntegerField(default=0)
    triangles = models.PositiveIntegerField(default=0)
    source_sha256 = models.CharField(
        max_length=64, help_text="The approved design's SHA-256 it was made from."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["item_id", "format"]
        constraints = [
            models.UniqueConstraint(fields=["item", "format"], name="digital_file_unique_format_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} of item {self.item_id} ({self.sha256[:12]}…)"


class DigitalFilesJob(JobBase):
    """One run making an item's digital files from its approved design (attempts counted, leased)."""

    item = models.ForeignKey("orders.Item", on_delete=models.CASCADE, related_name="digital_jobs")
    source_sha256 = models.CharField(
        max_length=64, blank=True, help_text="The approved SHA-256 it works from."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"digital files of item {self.item_id} ({self.status})"
