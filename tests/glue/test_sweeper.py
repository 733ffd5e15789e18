"""The safety net: lost reconstruction, check and print-file tasks are enqueued again, live ones are not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from glue.sweeper import requeue_stalled_work
from orders.models import Item, ItemStatus
from printing.models import PrintFileJob, PrintJob
from reconstruction.models import ReconstructionJob
from revisions.models import CheckJob, Revision, RevisionStatus
from studio.jobs import JobStatus
from tests.factories import ItemFactory, PrintJobFactory, RevisionFactory

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=2)


def _age(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


def test_nothing_is_requeued_while_work_is_fresh(enqueued):
    ItemFactory(status=ItemStatus.READY_FOR_DESIGN)
    RevisionFactory(status=RevisionStatus.CHECKING)
    PrintJobFactory()
    assert requeue_stalled_work() == {"reconstruction": 0, "checks": 0, "print_files": 0, "digital_files": 0}
    assert enqueued == []


def test_a_lost_reconstruction_is_sent_again_to_the_gpu_queue(enqueued):
    waiting = ItemFactory(status=ItemStatus.READY_FOR_DESIGN)
    crashed = ItemFactory(status=ItemStatus.RECONSTRUCTING)
    job = ReconstructionJob.objects.create(item=crashed, status=JobStatus.RUNNING, started_at=timezone.now())
    running = ItemFactory(status=ItemStatus.RECONSTRUCTING)
    ReconstructionJob.objects.create(item=running, status=JobStatus.RUNNING, started_at=timezone.now())
    now = timezone.now() + LATER  # the crashed run is older than the GPU cluster's retry window
    _age(ReconstructionJob, job.pk, started_at=timezone.now() - LATER)
    _age(Item, running.pk, updated_at=now)
    ReconstructionJob.objects.filter(item=running).update(started_at=now)
    counts = requeue_stalled_work(now=now)
    assert counts["reconstruction"] == 2
    queued = {args[0] for func, args, cluster in enqueued if func == "reconstruction.tasks.reconstruct_item"}
    assert queued == {waiting.pk, crashed.pk}
    assert all(cluster == settings.RECONSTRUCTION_QUEUE for _, _, cluster in enqueued)


def test_a_check_run_that_died_is_sent_again(enqueued):
    revision = RevisionFactory(status=RevisionStatus.CHECKING)
    CheckJob.objects.create(revision=revision, status=JobStatus.RUNNING, started_at=timezone.now() - LATER)
    requeue_stalled_work()
    assert enqueued == [("revisions.tasks.check_revision", (revision.pk,), None)]


def test_only_lost_print_files_are_sent_again_not_failed_ones(enqueued):
    never_started = PrintJobFactory()
    failed = PrintJobFactory()
    PrintFileJob.objects.create(print_job=failed, status=JobStatus.FAILED, error="SHA-256 differs")
    _age(PrintJob, never_started.pk, created_at=timezone.now() - LATER)
    _age(PrintJob, failed.pk, created_at=timezone.now() - LATER)
    requeue_stalled_work()
    assert enqueued == [("printing.tasks.make_print_file", (never_started.pk,), None)]


def test_requeued_reconstruction_that_keeps_dying_ends_in_a_template(enqueued, settings):
    """The sweeper plus the attempt counter: a task that kills its worker stops after its attempts."""
    from reconstruction.tasks import reconstruct_item

    settings.TASK_MAX_ATTEMPTS = 2
    item = ItemFactory(status=ItemStatus.RECONSTRUCTING)
    ReconstructionJob.objects.create(
        item=item, status=JobStatus.RUNNING, attempts=2, started_at=timezone.now()
    )
    assert reconstruct_item(item.pk).startswith("gave up")
    item.refresh_from_db()
    assert item.status == ItemStatus.SCULPTING and item.flagged
    assert Revision.objects.filter(item=item, number=0).exists()
