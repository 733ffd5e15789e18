"""Background job rows (NetBox style): one row per run of a long task, with progress and attempts.

The django-q2 ORM broker delivers at least once and re-delivers a task whose worker died, and the
sweeper (glue.sweeper) sends lost work again, so a task first calls `JobBase.claim()`. Under the row
lock it refuses a job that already finished (idempotency) and a job another worker runs with a live
lease (a re-delivered copy exits quietly instead of running beside the first), takes over a job whose
lease expired (its worker died: the lease outlasts the task's time limit, after which django-q2 has
killed it), counts the attempt only then, and gives up for good once `TASK_MAX_ATTEMPTS` is spent,
instead of looping forever on a task that kills its worker. `set_progress()` is the heartbeat: it
renews the lease of the worker that holds the claim.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from studio import tasks

#: How much longer than its task's time limit a lease lasts (the kill and the worker's exit take a moment).
LEASE_MARGIN_S = 60


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
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Until when the worker that claimed the run holds it."
    )
    claimed_by = models.CharField(
        max_length=32, blank=True, help_text="The claim token of the worker that runs it."
    )

    #: The queue the job's task runs on (None: the default queue); its time limit sizes the lease.
    task_queue: ClassVar[str | None] = None

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

    @property
    def lease_is_live(self) -> bool:
        """True while a worker runs the job under a lease that has not expired."""
        return (
            self.status == JobStatus.RUNNING
            and self.lease_expires_at is not None
            and self.lease_expires_at > timezone.now()
        )

    @classmethod
    def lease_seconds(cls) -> int:
        """How long a claim holds the job: longer than its task may run before django-q2 kills it."""
        return tasks.task_timeout_s(cls.task_queue) + LEASE_MARGIN_S

    @classmethod
    def claim(cls, pk: int, *, max_attempts: int | None = None):
        """Count an attempt, mark the job running and lease it to this worker.

        None when it must not run now: finished, run by another worker under a live lease (attempts
        unchanged), or its attempts spent (the job is then given up). A running job whose lease expired
        is taken over: its worker died.
        """
        limit = max_attempts or settings.TASK_MAX_ATTEMPTS
        with transaction.atomic():
            job = cls.objects.select_for_update().filter(pk=pk).first()
            if job is None or job.is_finished or job.lease_is_live:
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
            now = timezone.now()
            job.attempts += 1
            job.status = JobStatus.RUNNING
            job.started_at = now
            job.stage, job.percent = "starting", 0
            job.claimed_by = uuid.uuid4().hex
            job.lease_expires_at = now + timedelta(seconds=cls.lease_seconds())
            job.save(
                update_fields=[
                    "attempts",
                    "status",
                    "started_at",
                    "stage",
                    "percent",
                    "claimed_by",
                    "lease_expires_at",
                ]
            )
            return job

    def on_gave_up(self) -> None:
        """Hook for subclasses: what the studio does when a job is abandoned (inside the lock)."""

    def set_progress(self, stage: str, percent: int) -> None:
        """Record the stage and percent (its own short write, visible in the admin at once).

        The heartbeat: the lease of the claim this worker holds is renewed (never one another worker
        took over after this one's expired)."""
        self.stage, self.percent = stage[:64], max(0, min(100, int(percent)))
        type(self).objects.filter(pk=self.pk).update(stage=self.stage, percent=self.percent)
        if self.claimed_by and self.status == JobStatus.RUNNING:
            expires = timezone.now() + timedelta(seconds=type(self).lease_seconds())
            renewed = (
                type(self)
                .objects.filter(pk=self.pk, status=JobStatus.RUNNING, claimed_by=self.claimed_by)
                .update(lease_expires_at=expires)
            )
            if renewed:
                self.lease_expires_at = expires

    def terminate(self, status: str = JobStatus.COMPLETED, error: str = "", **data: Any) -> None:
        """Finish the job with a status and an optional error message and result data."""
        self.status = status
        self.completed_at = timezone.now()
        self.error = error
        self.lease_expires_at = None
        if status == JobStatus.COMPLETED:
            self.stage, self.percent = "done", 100
        if data:
            self.data = {**(self.data or {}), **data}
        self.save(
            update_fields=["status", "completed_at", "error", "stage", "percent", "data", "lease_expires_at"]
        )
