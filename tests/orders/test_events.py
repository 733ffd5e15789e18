"""The timeline's event table: one type enum, one small function per type, the type strings kept."""

from __future__ import annotations

import pytest

from orders import events
from orders.models import EventSubject, OrderEvent, OrderEventType
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db

#: The type strings the API's timeline answers with (DESIGN.md section 5): never renamed.
CONTRACT_TYPES = {
    "status_changed",
    "order_placed",
    "checkout_created",
    "checkout_closed",
    "payment_recorded",
    "payment_failed",
    "payment_mismatch",
    "payment_after_close",
    "refund_recorded",
    "photo_uploaded",
    "photo_deleted",
    "portal_token_issued",
    "portal_token_revoked",
    "email_sent",
    "preview_due_warning",
    "print_file_ready",
    "print_file_failed",
    "print_job_created",
    "reprint_created",
    "guarantee_claim",
    "sculptor_assigned",
}

# (function, kwargs besides order/item, the type it writes, the parameters it records, on the item?)
ORDER_FACTS = [
    (events.order_placed_event, {"actor": "customer:a@b.c", "items": 2, "total_cents": 100}, "order_placed"),
    (events.checkout_created_event, {"session_id": "cs_1", "idempotency_key": "k"}, "checkout_created"),
    (events.checkout_closed_event, {"session_id": "cs_1"}, "checkout_closed"),
    (
        events.payment_recorded_event,
        {"payment_id": 3, "provider": "offline", "amount_cents": 900, "method": "bank", "reference": "r"},
        "payment_recorded",
    ),
    (events.payment_failed_event, {"session_id": "cs_1"}, "payment_failed"),
    (
        events.payment_mismatch_event,
        {"session_id": "cs_1", "amount_cents": 1, "expected_cents": 2},
        "payment_mismatch",
    ),
    (events.payment_after_close_event, {"payment_id": 3, "status": "cancelled"}, "payment_after_close"),
    (
        events.refund_recorded_event,
        {"payment_id": 3, "provider": "offline", "amount_cents": 900, "reason": "late"},
        "refund_recorded",
    ),
    (events.portal_token_issued_event, {"revoked_others": True}, "portal_token_issued"),
    (events.portal_token_revoked_event, {"token_id": 5}, "portal_token_revoked"),
    (events.email_sent_event, {"template": "paid", "to": "a@b.c", "reference": "cs_1"}, "email_sent"),
]
ITEM_FACTS = [
    (
        events.photo_uploaded_event,
        {"photo_id": 1, "kind": "front", "person_index": 0, "usable": True, "issues": []},
        "photo_uploaded",
    ),
    (events.photo_deleted_event, {"photo_id": 1, "kind": "front", "person_index": 0}, "photo_deleted"),
    (
        events.email_sent_event,
        {"template": "revision_published", "to": "a@b.c", "revision_id": 4},
        "email_sent",
    ),
    (
        events.preview_due_warning_event,
        {"due": "2026-01-01T10:00:00+00:00", "to": "s@b.c", "business_hours_left": 1.5},
        "preview_due_warning",
    ),
    (
        events.print_file_ready_event,
        {
            "print_job_id": 2,
            "format": "3mf",
            "sha256": "ab",
            "height_mm": 150,
            "volume_mm3": 1.0,
            "reused_from_job": None,
        },
        "print_file_ready",
    ),
    (events.print_file_failed_event, {"print_job_id": 2, "code": "x", "message": "m"}, "print_file_failed"),
    (
        events.print_job_created_event,
        {"print_job_id": 2, "sha256": "ab", "height_mm": 150, "due_at": "2026-01-01", "printer": None},
        "print_job_created",
    ),
    (
        events.reprint_created_event,
        {"print_job_id": 2, "reprint_of": 1, "reason": "broken", "sha256": "ab"},
        "reprint_created",
    ),
    (events.guarantee_claim_event, {"claim_id": 1, "print_job_id": 2, "photos": 1}, "guarantee_claim"),
    (events.sculptor_assigned_event, {"sculptor": None, "previous": None}, "sculptor_assigned"),
]
META = {"actor", "user"}


def test_the_type_enum_holds_exactly_the_contract_strings():
    assert set(OrderEventType.values) == CONTRACT_TYPES
    assert OrderEvent._meta.get_field("type").choices == OrderEventType.choices


def test_every_type_has_its_own_function():
    written = {t for _, _, t in ORDER_FACTS + ITEM_FACTS} | {"status_changed"}
    assert written == CONTRACT_TYPES


@pytest.mark.parametrize("write,kwargs,type_", ORDER_FACTS, ids=[f[0].__name__ for f in ORDER_FACTS])
def test_an_order_fact_lands_on_the_orders_timeline(write, kwargs, type_):
    item = ItemFactory()
    event = write(order=item.order, **kwargs)
    event.refresh_from_db()
    assert (event.type, event.order, event.item, event.subject) == (
        type_,
        item.order,
        None,
        EventSubject.ORDER,
    )
    assert event.subject_id == item.order.pk
    assert event.parameters == {k: v for k, v in kwargs.items() if k not in META}


@pytest.mark.parametrize("write,kwargs,type_", ITEM_FACTS, ids=[f[0].__name__ for f in ITEM_FACTS])
def test_an_item_fact_lands_on_its_orders_timeline_under_the_item(write, kwargs, type_):
    item = ItemFactory()
    event = write(item=item, **kwargs)
    event.refresh_from_db()
    assert (event.type, event.order, event.item, event.subject) == (
        type_,
        item.order,
        item,
        EventSubject.ITEM,
    )
    assert event.subject_id == item.pk
    assert event.parameters == kwargs


def test_a_staff_user_is_recorded_and_named_as_the_actor():
    item = ItemFactory()
    staff = UserFactory(username="op7")
    event = events.photo_deleted_event(
        item=item, photo_id=1, kind="front", person_index=0, user=staff, actor="x"
    )
    assert event.user == staff and event.actor == "staff:op7"
    event = events.photo_deleted_event(item=item, photo_id=1, kind="front", person_index=0, actor="customer")
    assert event.user is None and event.actor == "customer"
