"""Every transition table: legal moves, illegal moves, events in the same transaction, tasks after commit."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection, transaction

from orders.models import (
    ITEM_TRANSITIONS,
    ORDER_TRANSITIONS,
    ItemStatus,
    OrderEvent,
    OrderStatus,
)
from orders.services import item_transition, order_transition
from printing.models import PRINT_JOB_TRANSITIONS, TRAY_TRANSITIONS, Batch, Printer, TrayEvent
from printing.services import print_job_transition, tray_transition
from revisions.models import REVISION_TRANSITIONS, Revision, RevisionStatus
from revisions.services import revision_transition
from studio.errors import StatusWriteError, TransitionNotAllowed
from tests.factories import ItemFactory, OrderFactory, PrintJobFactory, RevisionFactory

pytestmark = pytest.mark.django_db


def _make_tray(status):
    return Batch.objects.create(printer=Printer.objects.first(), status=status)


AGGREGATES = {
    # name: (table, make(status) -> obj, service(obj_id, to))
    "order": (
        ORDER_TRANSITIONS,
        lambda s: OrderFactory(status=s),
        lambda pk, to: order_transition(order_id=pk, to=to),
    ),
    "item": (
        ITEM_TRANSITIONS,
        lambda s: ItemFactory(status=s),
        lambda pk, to: item_transition(item_id=pk, to=to),
    ),
    "revision": (
        REVISION_TRANSITIONS,
        lambda s: RevisionFactory(status=s),
        lambda pk, to: revision_transition(revision_id=pk, to=to),
    ),
    "print_job": (
        PRINT_JOB_TRANSITIONS,
        lambda s: PrintJobFactory(status=s),
        lambda pk, to: print_job_transition(print_job_id=pk, to=to),
    ),
    "tray": (TRAY_TRANSITIONS, _make_tray, lambda pk, to: tray_transition(tray_id=pk, to=to)),
}

#: Moves the table allows with a guard of their own, tested where the guard lives: a "3D model only" item
#: goes approved -> delivered once its files are made, a printed one never (tests/digital/test_digital_only.py).
GUARDED = {("item", "approved", "delivered")}
LEGAL = [
    (name, a, b)
    for name, (table, _, _) in AGGREGATES.items()
    for a, targets in table.items()
    for b in targets
    if (name, a, b) not in GUARDED
]
ILLEGAL = [
    (name, a, b)
    for name, (table, _, _) in AGGREGATES.items()
    for a, b in itertools.product(table, table)
    if b not in table[a]
]


def _events_for(obj) -> list[OrderEvent | TrayEvent]:
    if isinstance(obj, Batch):  # a tray keeps its own history
        return list(obj.events.filter(type="status_changed"))
    return list(OrderEvent.objects.filter(subject=obj.SUBJECT, subject_id=obj.pk, type="status_changed"))


def _event_count() -> int:
    return OrderEvent.objects.count() + TrayEvent.objects.count()


@pytest.mark.parametrize("name,current,target", LEGAL, ids=[f"{n}:{a}->{b}" for n, a, b in LEGAL])
def test_legal_transition_moves_and_writes_one_event(name, current, target, enqueued):
    _, make, service = AGGREGATES[name]
    obj = make(current)
    result = service(obj.pk, target)
    obj.refresh_from_db()
    assert obj.status == target == result.current
    assert result.previous == current
    (event,) = _events_for(obj)
    assert (event.from_status, event.to_status) == (current, target)


@pytest.mark.parametrize("name,current,target", ILLEGAL, ids=[f"{n}:{a}->{b}" for n, a, b in ILLEGAL])
def test_illegal_transition_is_refused_and_changes_nothing(name, current, target, enqueued):
    _, make, service = AGGREGATES[name]
    obj = make(current)
    before = _event_count()
    with pytest.raises(TransitionNotAllowed) as info:
        service(obj.pk, target)
    assert info.value.status_code == 409
    assert current in info.value.message and target in info.value.message
    obj.refresh_from_db()
    assert obj.status == current
    assert _event_count() == before


def test_every_state_of_the_design_is_a_choice():
    assert (
        set(ORDER_TRANSITIONS)
        == set(OrderStatus.values)
        == {
            "pending_payment",
            "paid",
            "in_design",
            "approved",
            "in_production",
            "shipped",
            "delivered",
            "cancelled",
            "refunded",
        }
    )
    assert (
        set(ITEM_TRANSITIONS)
        == set(ItemStatus.values)
        == {
            "awaiting_photos",
            "ready_for_design",
            "reconstructing",
            "sculpting",
            "in_review",
            "changes_requested",
            "approved",
            "in_production",
            "shipped",
            "delivered",
            "cancelled",
        }
    )
    assert (
        set(REVISION_TRANSITIONS)
        == set(RevisionStatus.values)
        == {
            "uploaded",
            "checking",
            "ready",
            "published",
            "approved",
            "changes_requested",
            "superseded",
            "rejected",
        }
    )
    assert {"queued", "batched", "printing", "printed", "qc_passed", "qc_failed", "packed", "shipped"} <= set(
        PRINT_JOB_TRANSITIONS
    )


def test_status_cannot_be_written_outside_a_transition():
    item = ItemFactory()
    item.status = ItemStatus.APPROVED
    with pytest.raises(StatusWriteError):
        item.save()
    item.refresh_from_db()
    assert item.status == ItemStatus.AWAITING_PHOTOS


def test_event_failure_rolls_back_the_state_change(monkeypatch, enqueued):
    item = ItemFactory(status=ItemStatus.AWAITING_PHOTOS)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("orders.events.status_changed_event", broken)
    with pytest.raises(RuntimeError):
        item_transition(item_id=item.pk, to=ItemStatus.READY_FOR_DESIGN)
    item.refresh_from_db()
    assert item.status == ItemStatus.AWAITING_PHOTOS
    assert not OrderEvent.objects.filter(item=item).exists()


def test_follow_up_task_is_enqueued_only_after_commit(django_capture_on_commit_callbacks, enqueued, settings):
    item = ItemFactory(status=ItemStatus.AWAITING_PHOTOS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        item_transition(item_id=item.pk, to=ItemStatus.READY_FOR_DESIGN)
        assert enqueued == []  # still inside the transaction
    assert len(callbacks) == 1
    assert enqueued == [("reconstruction.tasks.reconstruct_item", (item.pk,), settings.RECONSTRUCTION_QUEUE)]


def test_no_task_is_enqueued_when_the_transaction_rolls_back(django_capture_on_commit_callbacks, enqueued):
    item = ItemFactory(status=ItemStatus.AWAITING_PHOTOS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            item_transition(item_id=item.pk, to=ItemStatus.READY_FOR_DESIGN)
            raise RuntimeError("the caller failed after the transition")
    assert callbacks == []
    assert enqueued == []
    item.refresh_from_db()
    assert item.status == ItemStatus.AWAITING_PHOTOS
    assert not OrderEvent.objects.filter(item=item).exists()


def test_order_follows_its_least_advanced_item(enqueued):
    order = OrderFactory(status=OrderStatus.PAID)
    first = ItemFactory(order=order, status=ItemStatus.AWAITING_PHOTOS)
    second = ItemFactory(order=order, status=ItemStatus.AWAITING_PHOTOS)
    item_transition(item_id=first.pk, to=ItemStatus.READY_FOR_DESIGN)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_DESIGN
    for to in (ItemStatus.SCULPTING, ItemStatus.IN_REVIEW, ItemStatus.APPROVED):
        item_transition(item_id=first.pk, to=to)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_DESIGN  # the second item is still waiting for photos
    item_transition(item_id=second.pk, to=ItemStatus.CANCELLED)
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    steps = list(
        OrderEvent.objects.filter(subject="order", subject_id=order.pk).values_list(
            "from_status", "to_status"
        )
    )
    assert steps == [("paid", "in_design"), ("in_design", "approved")]


def test_unpaid_order_does_not_follow_items(enqueued):
    order = OrderFactory(status=OrderStatus.PENDING_PAYMENT)
    item = ItemFactory(order=order)
    item_transition(item_id=item.pk, to=ItemStatus.READY_FOR_DESIGN)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_transition_records_who_and_details(enqueued, django_user_model):
    operator = django_user_model.objects.create_user("op", is_staff=True)
    job = PrintJobFactory(status="packed")
    print_job_transition(
        print_job_id=job.pk,
        to="shipped",
        user=operator,
        parameters={"tracking_number": "1Z999"},
        update={"tracking_number": "1Z999", "carrier": "UPS"},
    )
    job.refresh_from_db()
    assert (job.status, job.tracking_number, job.carrier) == ("shipped", "1Z999", "UPS")
    (event,) = _events_for(job)
    assert event.user == operator and event.actor == "staff:op"
    assert event.parameters["tracking_number"] == "1Z999"
    assert event.order_id == job.item.order_id and event.item_id == job.item_id


@pytest.mark.postgres
def test_concurrent_transitions_on_postgres_one_wins(require_postgres, enqueued):
    item = ItemFactory(status=ItemStatus.IN_REVIEW)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(target: str) -> None:
        try:
            barrier.wait(timeout=10)
            item_transition(item_id=item.pk, to=target)
            outcomes.append(f"won:{target}")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(t,))
        for t in (ItemStatus.APPROVED, ItemStatus.CHANGES_REQUESTED)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "won"]
    winner = next(o.split(":")[1] for o in outcomes if o.startswith("won"))
    item.refresh_from_db()
    assert item.status == winner
    assert OrderEvent.objects.filter(item=item, subject="item").count() == 1


@pytest.mark.postgres
def test_many_workers_same_move_only_one_event(require_postgres, enqueued):
    revision = RevisionFactory(status=RevisionStatus.READY)
    barrier = threading.Barrier(6)
    wins: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            revision_transition(revision_id=revision.pk, to=RevisionStatus.PUBLISHED)
            wins.append(1)
        except TransitionNotAllowed:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(wins) == 1
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.PUBLISHED
    assert OrderEvent.objects.filter(subject="revision", subject_id=revision.pk).count() == 1


def test_models_have_docstrings_and_ordering():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label in {"orders", "revisions", "printing", "reconstruction"}:
            assert model.__doc__ and not model.__doc__.startswith(model.__name__ + "("), model
            assert model._meta.ordering, model
