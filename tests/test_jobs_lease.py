"""Job leases: a job runs on one worker at a time; a dead worker's job is taken over after its lease."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from glue.sweeper import requeue_stalled_work
from orders.models import ItemStatus
from printing.models import PrintFileJob
from reconstruction.models import ReconstructionJob
from revisions.models import CheckJob, RevisionStatus
from revisions.tasks import check_revision
from studio import tasks
from studio.jobs import JobStatus
from tests.factories import ItemFactory, PrintJobFactory, RevisionFactory


def _expire(model, pk) -> None:
    """The worker died: its lease ran out a moment ago."""
    model.objects.filter(pk=pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_a_second_claim_under_a_live_lease_is_refused_and_counts_nothing():
    job = CheckJob.objects.create(revision=RevisionFactory(status=RevisionStatus.CHECKING))
    first = CheckJob.claim(job.pk)
    assert first is not None and first.attempts == 1 and first.claimed_by
    assert first.lease_expires_at > timezone.now()
    assert CheckJob.claim(job.pk) is None  # the re-delivered copy exits quietly
    job.refresh_from_db()
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.RUNNING, 1, first.claimed_by)
    assert job.lease_expires_at == first.lease_expires_at and job.started_at == first.started_at


@pytest.mark.django_db
def test_a_job_whose_lease_expired_is_taken_over_and_counts_an_attempt():
    job = ReconstructionJob.objects.create(item=ItemFactory(status=ItemStatus.RECONSTRUCTING))
    first = ReconstructionJob.claim(job.pk)
    _expire(ReconstructionJob, job.pk)
    second = ReconstructionJob.claim(job.pk)
    assert second is not None and second.attempts == 2 and second.status == JobStatus.RUNNING
    assert second.claimed_by != first.claimed_by
    assert second.lease_expires_at > timezone.now()


@pytest.mark.django_db
def test_a_running_job_without_a_lease_is_taken_over():
    """A row left running from before leases (or by hand) is not held by anyone."""
    job = PrintFileJob.objects.create(
        print_job=PrintJobFactory(), status=JobStatus.RUNNING, attempts=1, started_at=timezone.now()
    )
    claimed = PrintFileJob.claim(job.pk)
    assert claimed is not None and claimed.attempts == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(JobStatus.finished()))
def test_a_finished_job_is_never_run_again_even_with_an_expired_lease(status):
    job = CheckJob.objects.create(
        revision=RevisionFactory(),
        status=status,
        attempts=1,
        lease_expires_at=timezone.now() - timedelta(hours=1),
    )
    assert CheckJob.claim(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (status, 1)


@pytest.mark.django_db
def test_an_expired_lease_with_attempts_spent_gives_up(settings):
    settings.TASK_MAX_ATTEMPTS = 1
    job = PrintFileJob.objects.create(print_job=PrintJobFactory())
    assert PrintFileJob.claim(job.pk) is not None
    assert PrintFileJob.claim(job.pk) is None  # live lease: refused, not given up
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    _expire(PrintFileJob, job.pk)
    assert PrintFileJob.claim(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.ERRORED and job.attempts == 1


def test_each_lease_outlasts_its_task_time_limit_and_ends_before_the_broker_retries():
    for model, queue in (
        (CheckJob, None),
        (PrintFileJob, None),
        (ReconstructionJob, settings.RECONSTRUCTION_QUEUE),
    ):
        limit = tasks.task_timeout_s(queue)
        assert model.lease_seconds() > limit, model
        # a re-delivery after a worker died (the broker's retry) finds the lease expired and takes over
        assert model.lease_seconds() < tasks.cluster_settings(queue)["retry"], model
    assert ReconstructionJob.lease_seconds() > settings.RECONSTRUCTION_TIMEOUT_S
    assert CheckJob.lease_seconds() > settings.Q_CLUSTER["timeout"]


@pytest.mark.django_db
def test_progress_renews_the_lease_of_the_worker_that_holds_it_only():
    job = CheckJob.objects.create(revision=RevisionFactory(status=RevisionStatus.CHECKING))
    stale = CheckJob.claim(job.pk)
    soon = timezone.now() + timedelta(seconds=5)
    CheckJob.objects.filter(pk=job.pk).update(lease_expires_at=soon)
    stale.set_progress("rendering", 50)
    job.refresh_from_db()
    assert job.lease_expires_at > soon + timedelta(seconds=60)  # heartbeat
    _expire(CheckJob, job.pk)
    owner = CheckJob.claim(job.pk)
    owner_lease = CheckJob.objects.get(pk=job.pk).lease_expires_at
    stale.set_progress("rendering", 60)  # the first worker, somehow still alive, renews nothing
    job.refresh_from_db()
    assert job.lease_expires_at == owner_lease and job.claimed_by == owner.claimed_by


@pytest.mark.django_db
def test_terminate_releases_the_lease():
    job = CheckJob.objects.create(revision=RevisionFactory())
    CheckJob.claim(job.pk).terminate(JobStatus.COMPLETED)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.lease_expires_at is None


@pytest.mark.django_db
def test_a_redelivered_check_task_skips_a_run_in_progress(enqueued):
    revision = RevisionFactory(status=RevisionStatus.CHECKING)
    job = CheckJob.objects.create(revision=revision)
    CheckJob.claim(job.pk)
    assert check_revision(revision.pk) == "skipped"
    job.refresh_from_db()
    revision.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert revision.status == RevisionStatus.CHECKING


@pytest.mark.django_db
def test_the_sweeper_requeues_only_runs_whose_lease_expired(enqueued):
    live = RevisionFactory(status=RevisionStatus.CHECKING)
    dead = RevisionFactory(status=RevisionStatus.CHECKING)
    long_ago = timezone.now() - timedelta(hours=2)
    for revision in (live, dead):
        job = CheckJob.objects.create(revision=revision)
        CheckJob.claim(job.pk)
        # both started long ago (beyond the retry window); the live one kept renewing its lease
        CheckJob.objects.filter(pk=job.pk).update(started_at=long_ago, created_at=long_ago)
    _expire(CheckJob, dead.check_jobs.get().pk)
    assert requeue_stalled_work()["checks"] == 1
    assert enqueued == [("revisions.tasks.check_revision", (dead.pk,), None)]


@pytest.mark.postgres
def test_two_workers_claiming_at_once_on_postgres_one_wins(require_postgres):
    job = CheckJob.objects.create(revision=RevisionFactory(status=RevisionStatus.CHECKING))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append("won" if CheckJob.claim(job.pk) is not None else "refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["refused", "refused", "refused", "won"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
