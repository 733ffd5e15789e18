"""Trays keep their own history (TrayEvent): not order-less lines on the order timeline."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders.models import OrderEvent
from printing.models import Batch, TrayEvent
from printing.services import tray_move, tray_transition
from studio.errors import TransitionNotAllowed
from tests.factories import job_in_state, printer

BEFORE = [("printing", "0005_printjob_status_due_index")]
AFTER = [("printing", "0006_tray_events")]


@pytest.mark.django_db
def test_a_tray_move_goes_on_the_trays_history_and_its_jobs_on_their_orders(operator, enqueued):
    job = job_in_state("printing")
    tray = job.batch
    tray_move(tray_id=tray.pk, to="done", user=operator)
    (event,) = tray.events.all()
    assert (event.type, event.from_status, event.to_status) == ("status_changed", "printing", "done")
    assert event.user == operator and event.actor == "staff:operator"
    assert event.parameters == {"jobs": [job.pk]}
    assert not OrderEvent.objects.filter(subject="tray").exists()
    assert not OrderEvent.objects.filter(order__isnull=True).exists()
    job_event = OrderEvent.objects.get(subject="print_job", subject_id=job.pk, to_status="printed")
    assert job_event.order == job.item.order and job_event.parameters["tray_id"] == tray.pk


@pytest.mark.django_db
def test_a_refused_tray_move_writes_no_event(enqueued):
    tray = Batch.objects.create(printer=printer(), status="done")
    with pytest.raises(TransitionNotAllowed):
        tray_transition(tray_id=tray.pk, to="open")
    assert not TrayEvent.objects.exists()


@pytest.mark.django_db
def test_the_tray_admin_shows_the_trays_history(admin_client, enqueued):
    tray = Batch.objects.create(printer=printer())
    tray_transition(tray_id=tray.pk, to="cancelled", actor="operator", parameters={"jobs": []})
    page = admin_client.get(f"/admin/printing/batch/{tray.pk}/change/").content.decode()
    assert "tray history" in page.lower()
    assert "cancelled" in page and "operator" in page


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_old_tray_lines_and_back():
    tray = Batch.objects.create(printer=printer())
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_event = old.get_model("orders", "OrderEvent")
    old_event.objects.create(
        subject="tray",
        subject_id=tray.pk,
        type="status_changed",
        from_status="open",
        to_status="printing",
        actor="staff:op",
        parameters={"jobs": [1, 2]},
    )
    old_event.objects.create(
        subject="tray", subject_id=tray.pk + 999, type="status_changed", to_status="done"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    (moved,) = TrayEvent.objects.all()
    assert (moved.tray_id, moved.from_status, moved.to_status) == (tray.pk, "open", "printing")
    assert moved.actor == "staff:op" and moved.parameters == {"jobs": [1, 2]}
    assert not OrderEvent.objects.filter(subject="tray").exists()  # a vanished tray's line goes too

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model("orders", "OrderEvent")
    (line,) = back.objects.filter(subject="tray")
    assert (line.order_id, line.subject_id, line.to_status, line.actor) == (
        None,
        tray.pk,
        "printing",
        "staff:op",
    )
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
