"""Re-queue work whose task was lost: the safety net under at-least-once delivery.

django-q2 re-delivers a task whose worker died, but not one that raised, and a task enqueued
after commit can be lost if the broker was down at that moment. Every few minutes (a django-q2
schedule) this finds items, revisions, print jobs and approved items' digital files that have waited
too long for their task and enqueues it again. The tasks are idempotent and count their attempts on their job rows, so a task
that keeps failing ends in its give-up path (a template body, a rejected round, a failed print
file) instead of being retried forever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from digital.models import DigitalFilesJob
from orders.models import Item, ItemStatus
from printing.models import PrintJob, PrintJobStatus
from revisions.models import Revision, RevisionStatus
from studio import tasks
from studio.jobs import JobStatus

logger = logging.getLogger(__name__)

#: how long a state may wait for its first task run before the task is sent again
WAITING_GRACE = timedelta(minutes=10)
OPEN = (JobStatus.PENDING, JobStatus.RUNNING)


def _lost(job, *, waiting_since: datetime, now: datetime, cluster: dict) -> bool:
    """True when a task is owed: no run has started although the state is older than the grace
    period, a running job's lease expired (its worker is gone; a live lease is never sent again), or a
    job without a lease (pending, or running from before leases) outlived the cluster's retry window."""
    if job is None:
        return waiting_since < now - WAITING_GRACE
    if job.status == JobStatus.RUNNING and job.lease_expires_at is not None:
        return job.lease_expires_at <= now
    return (job.started_at or job.created_at) < now - timedelta(seconds=cluster["retry"])


def requeue_stalled_work(*, now: datetime | None = None) -> dict[str, int]:
    """Enqueue again the reconstruction, check, print-file and digital-file tasks that were lost; returns counts."""
    now = now or timezone.now()
    gpu = tasks.cluster_settings(settings.RECONSTRUCTION_QUEUE)  # the GPU cluster, or the default one
    counts = {"reconstruction": 0, "checks": 0, "print_files": 0, "digital_files": 0}

    for item in Item.objects.filter(status__in=(ItemStatus.READY_FOR_DESIGN, ItemStatus.RECONSTRUCTING)):
        job = item.reconstruction_jobs.filter(status__in=OPEN).order_by("-created_at").first()
        if _lost(job, waiting_since=item.updated_at, now=now, cluster=gpu):
            tasks.enqueue(
                "reconstruction.tasks.reconstruct_item", item.pk, cluster=settings.RECONSTRUCTION_QUEUE
            )
            counts["reconstruction"] += 1

    for revision in Revision.objects.filter(status=RevisionStatus.CHECKING):
        job = revision.check_jobs.filter(status__in=OPEN).order_by("-created_at").first()
        if _lost(job, waiting_since=revision.updated_at, now=now, cluster=settings.Q_CLUSTER):
            tasks.enqueue("revisions.tasks.check_revision", revision.pk)
            counts["checks"] += 1

    # Queued jobs without a print file whose run is open or never started (a failed run is the
    # operator's to look at: it is not retried blindly).
    waiting_files = PrintJob.objects.filter(status=PrintJobStatus.QUEUED, print_file="").filter(
        Q(file_jobs__status__in=OPEN) | Q(file_jobs__isnull=True)
    )
    for job in waiting_files.distinct():
        file_job = job.file_jobs.filter(status__in=OPEN).order_by("-created_at").first()
        if _lost(file_job, waiting_since=job.created_at, now=now, cluster=settings.Q_CLUSTER):
            tasks.enqueue("printing.tasks.make_print_file", job.pk)
            counts["print_files"] += 1

    # Approved items whose digital files were never started, or whose run was lost (a failed run is
    # the studio's to look at, as for print files).
    approved = Item.objects.filter(approval__isnull=False).exclude(
        pk__in=DigitalFilesJob.objects.exclude(status__in=OPEN).values("item_id")
    )
    for item in approved.select_related("approval"):
        run = item.digital_jobs.filter(status__in=OPEN).order_by("-created_at").first()
        if _lost(run, waiting_since=item.approval.approved_at, now=now, cluster=settings.Q_CLUSTER):
            tasks.enqueue("digital.tasks.make_digital_files", item.pk)
            counts["digital_files"] += 1

    if any(counts.values()):
        logger.warning("re-queued stalled work: %s", counts)
    return counts
