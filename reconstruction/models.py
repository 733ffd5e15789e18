"""Reconstruction runs: photos to the AI base mesh (revision 0), one job row per run."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.jobs import JobBase


class ReconstructionJob(JobBase):
    """One run of the photo-to-mesh pipeline for an item, with its stage and percent for the admin."""

    item = models.ForeignKey("orders.Item", on_delete=models.CASCADE, related_name="reconstruction_jobs")
    backend = models.CharField(max_length=40, blank=True)
    device = models.CharField(max_length=20, blank=True)
    revision = models.ForeignKey(
        "revisions.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    #: its task runs on the GPU queue, under the reconstruction time limit (which sizes the lease)
    task_queue = settings.RECONSTRUCTION_QUEUE

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reconstruction of item {self.item_id} ({self.status} {self.percent}%)"
