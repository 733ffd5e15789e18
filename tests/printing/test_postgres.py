"""Races on PostgreSQL: one job per approved item, and jobs batched at once share one sound tray layout.

Transactional tests flush the tables; `serialized_rollback` restores the seeded catalog and printers
afterwards so that later tests in the same worker still find them.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kits.printfiles.packing import validate_layout
from printing.models import Batch, PrintJob
from printing.services import print_job_create, print_job_move
from studio.errors import ApplicationError
from tests.factories import approved_item, job_in_state
from tests.printing.test_trays import layout_of


def race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the seeded catalog for later tests
def test_sending_the_same_item_twice_at_once_makes_one_job(require_postgres, enqueued):
    item = approved_item()
    outcomes = race([lambda: print_job_create(item_id=item.pk), lambda: print_job_create(item_id=item.pk)])
    assert outcomes == ["conflict", "ok"]
    assert PrintJob.objects.filter(item=item).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the seeded catalog for later tests
def test_jobs_batched_at_once_share_a_sound_tray(require_postgres, enqueued):
    jobs = [job_in_state("queued", footprint=(120, 90)) for _ in range(4)]
    outcomes = race([lambda j=j: print_job_move(print_job_id=j.pk, to="batched") for j in jobs])
    assert outcomes == ["ok"] * 4
    trays = Batch.objects.filter(status="open")
    placed = sorted(p["print_job_id"] for tray in trays for p in tray.layout["parts"])
    assert placed == sorted(j.pk for j in jobs)  # every job in exactly one layout
    for tray in trays:
        assert validate_layout(layout_of(tray)) == []
        assert sorted(tray.jobs.values_list("pk", flat=True)) == sorted(
            p["print_job_id"] for p in tray.layout["parts"]
        )
