"""Background job rows (NetBox style): one row per run of a long task, with progress and attempts.

The django-q2 ORM broker delivers at least once and re-delivers a task whose worker died, so a
task first calls `JobBase.claim()`: it counts the attempt in its own transaction, refuses a job
that already finished (idempotency) and gives up for good once `TASK_MAX_ATTEMPTS` is spent,
instead of looping forever on a task that kills its worker.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    ERRORED = "errored", "Errored (gave up)"

    @classmethod
    def finished(cls) -> frozenset[str]:
        return frozenset({cls.COMPLETED, cls.FAILED, cls.ERRORED})


class JobBase(models.Model):
    """Abstract job row: status, stage and percent for the admin, attempts, timings and the error."""

    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    stage = models.CharField(max_length=64, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in JobStatus.finished()

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.completed_at:
            return (self.completed_at - self.started_at).total_seconds()
        return None

    @classmethod
    def claim(cls, pk: int, *, max_attempts: int | None = None):
        """Count an attempt and mark the job running; None when it must not run (done or spent)."""
        limit = max_attempts or settings.TASK_MAX_ATTEMPTS
        with transaction.atomic():
            job = cls.objects.select_for_update().filter(pk=pk).first()
            if job is None or job.is_finished:
                return None
            if job.attempts >= limit:
                job.status = JobStatus.ERRORED
                job.completed_at = timezone.now()
                job.error = (job.error + "\n" if job.error else "") + (
                    f"Gave up after {job.attempts} attempts (the worker died or timed out each time)."
                )
                job.save(update_fields=["status", "completed_at", "error"])
                job.on_gave_up()
                return None
            job.attempts += 1
            job.status = JobStatus.RUNNING
            job.started_at = timezone.now()
            job.stage, job.percent = "starting", 0
            job.save(update_fields=["attempts", "status", "started_at", "stage", "percent"])
            return job

    def on_gave_up(self) -> None:
        """Hook for subclasses: what the studio does when a job is abandoned (inside the lock)."""

    def set_progress(self, stage: str, percent: int) -> None:
        """Record the stage and percent (its own short write, visible in the admin at once)."""
        self.stage, self.percent = stage[:64], max(0, min(100, int(percent)))
        type(self).objects.filter(pk=self.pk).update(stage=self.stage, percent=self.percent)

    def terminate(self, status: str = JobStatus.COMPLETED, error: str = "", **data: Any) -> None:
        """Finish the job with a status and an optional error message and result data."""
        self.status = status
        self.completed_at = timezone.now()
        self.error = error
        if status == JobStatus.COMPLETED:
            self.stage, self.percent = "done", 100
        if data:
            self.data = {**(self.data or {}), **data}
        self.save(update_fields=["status", "completed_at", "error", "stage", "percent", "data"])
