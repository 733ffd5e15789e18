"""E-mails go out at most once per kind and key, never under a row lock, and a failed one is retried."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from orders.models import Notification, OrderEvent
from orders.notifications import claim_lease, notification_claimed, notification_send
from orders.services import portal_token_reissue, send_order_confirmation
from orders.tasks import send_order_email_task
from printing.tasks import send_shipment_email
from revisions.models import Feedback
from revisions.tasks import (
    notify_sculptor_of_feedback,
    notify_sculptor_of_rejection,
    send_revision_published_email,
    warn_due_previews,
)
from tests.factories import ItemFactory, OrderFactory, PrintJobFactory, RevisionFactory, UserFactory, printer
from tests.orders import mail_backends

RECORDING = "tests.orders.mail_backends.TransactionRecordingBackend"
FAILING = "tests.orders.mail_backends.FailingBackend"


def _email_events(order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order, type="email_sent"))


@pytest.mark.django_db
def test_a_redelivered_task_sends_once_and_the_timeline_says_so_once():
    order = OrderFactory(status="paid")
    assert send_order_email_task(order.pk, "paid") is True
    assert send_order_email_task(order.pk, "paid") is False  # the broker delivered it again
    assert len(mail.outbox) == 1
    (row,) = Notification.objects.all()
    assert (row.kind, row.key, row.recipient, row.status, row.attempts) == (
        "order_paid",
        str(order.pk),
        order.customer.email,
        "sent",
        1,
    )
    assert row.sent_at is not None and row.error == ""
    (event,) = _email_events(order)
    assert event.parameters == {"template": "paid", "to": order.customer.email}


@pytest.mark.django_db
def test_two_kinds_with_the_same_key_both_send():
    order = OrderFactory(status="cancelled")
    assert send_order_email_task(order.pk, "paid") is True
    assert send_order_email_task(order.pk, "cancelled") is True
    assert len(mail.outbox) == 2
    assert sorted(Notification.objects.values_list("kind", "key")) == [
        ("order_cancelled", str(order.pk)),
        ("order_paid", str(order.pk)),
    ]
    assert notification_send(kind="a", key=7, recipient="x@example.com", compose=lambda: ("A", "a")) is True
    assert notification_send(kind="b", key=7, recipient="x@example.com", compose=lambda: ("B", "b")) is True
    assert notification_send(kind="b", key=7, recipient="x@example.com", compose=lambda: ("B", "b")) is False
    assert [m.subject for m in mail.outbox[2:]] == ["A", "B"]


@pytest.mark.django_db
def test_each_failed_payment_session_is_its_own_e_mail():
    order = OrderFactory(status="pending_payment")
    assert send_order_email_task(order.pk, "payment_failed", "cs_1") is True
    assert send_order_email_task(order.pk, "payment_failed", "cs_1") is False
    assert send_order_email_task(order.pk, "payment_failed", "cs_2") is True
    assert [e.parameters["reference"] for e in _email_events(order)] == ["cs_1", "cs_2"]


@pytest.mark.django_db
def test_a_failing_mail_server_leaves_it_retryable_and_the_retry_sends(settings):
    order = OrderFactory(status="paid")
    settings.EMAIL_BACKEND = FAILING
    with pytest.raises(ConnectionRefusedError):
        send_order_email_task(order.pk, "paid")  # the task fails visibly
    row = Notification.objects.get()
    assert row.status == "failed" and "mail server is down" in row.error
    assert not notification_claimed(kind="order_paid", key=order.pk)
    assert _email_events(order) == []  # nothing went out, the timeline says nothing

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_order_email_task(order.pk, "paid") is True  # the retry
    assert send_order_email_task(order.pk, "paid") is False
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")
    assert len(mail.outbox) == 1 and len(_email_events(order)) == 1


@pytest.mark.django_db
def test_a_failed_confirmation_is_recorded_and_the_order_is_kept(client, settings):
    order = OrderFactory()
    settings.EMAIL_BACKEND = FAILING
    assert send_order_confirmation(order_id=order.pk) is False  # logged, never raised
    assert Notification.objects.get(kind="order_confirmation").status == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_order_confirmation(order_id=order.pk) is True
    assert [e.parameters["template"] for e in _email_events(order)] == ["confirmation"]


@pytest.mark.django_db
def test_a_claim_another_worker_holds_is_left_alone_until_it_goes_stale():
    order = OrderFactory(status="paid")
    claim = Notification.objects.create(
        kind="order_paid",
        key=str(order.pk),
        recipient=order.customer.email,
        claimed_at=timezone.now(),
        attempts=1,
    )
    assert send_order_email_task(order.pk, "paid") is False  # another worker is sending it now
    assert mail.outbox == []
    Notification.objects.filter(pk=claim.pk).update(
        claimed_at=timezone.now() - claim_lease() - timedelta(seconds=1)
    )
    assert send_order_email_task(order.pk, "paid") is True  # that worker died: this try takes over
    claim.refresh_from_db()
    assert (claim.status, claim.attempts) == ("sent", 2)


@pytest.mark.django_db
def test_sending_inside_a_transaction_is_refused():
    with transaction.atomic(), pytest.raises(RuntimeError):
        notification_send(kind="a", key=1, recipient="x@example.com", compose=lambda: ("A", "a"))
    assert mail.outbox == [] and not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_e_mail_of_any_kind_goes_out_inside_a_transaction(settings):
    """Each e-mail of the studio, on a real (committing) database: none is sent with a transaction open."""
    settings.EMAIL_BACKEND = RECORDING
    mail_backends.SENT.clear()
    sculptor = UserFactory(username="sculptor-tx", email="sculptor-tx@example.com")
    order = OrderFactory(status="pending_payment")
    item = ItemFactory(order=order, status="sculpting", assigned_sculptor=sculptor)
    published = RevisionFactory(item=item, status="published", published_at=timezone.now())
    rejected = RevisionFactory(
        item=item, status="rejected", uploaded_by=sculptor, check_report={"issues": []}
    )
    feedback = Feedback.objects.create(revision=published, comment="Smile")
    job = PrintJobFactory(
        revision=published, status="shipped", printer=printer(), carrier="UPS", tracking_number="1Z9"
    )
    item.preview_due_at = timezone.now() + timedelta(minutes=30)
    item.save(update_fields=["preview_due_at"])

    def reissue():
        return portal_token_reissue(customer_id=order.customer_id)

    sends = [
        lambda: send_order_email_task(order.pk, "payment_failed", "cs_1"),
        lambda: send_order_confirmation(order_id=order.pk),
        reissue,
        lambda: send_revision_published_email(published.pk),
        lambda: notify_sculptor_of_feedback(feedback.pk),
        lambda: notify_sculptor_of_rejection(rejected.pk),
        lambda: warn_due_previews(within_business_hours=10_000),
        lambda: send_shipment_email(job.pk),
    ]
    for status in ("paid", "shipped", "refunded", "cancelled"):
        sends.append(lambda status=status: send_order_email_task(order.pk, status))
    for send in sends:
        assert send()
    assert len(mail_backends.SENT) == len(sends) == len(mail.outbox)
    assert [subject for subject, in_transaction in mail_backends.SENT if in_transaction] == []
    assert Notification.objects.filter(status="sent").count() == len(sends)
    redelivered = [send for send in sends if send is not reissue]
    for send in redelivered:  # and each one only once
        assert not send()
    assert len(mail.outbox) == len(sends)
    assert reissue() and len(mail.outbox) == len(sends) + 1  # a re-issued link is a new link: a new e-mail


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_every_e_mail_the_timeline_recorded_as_sent():
    """After the upgrade a redelivered task still sends nothing the old timeline says went out."""
    order = OrderFactory(status="paid")
    item = ItemFactory(order=order)
    before, after = [("orders", "0006_order_event_types")], [("orders", "0007_notifications")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("orders", "OrderEvent")
    to = order.customer.email
    for parameters in (
        {"template": "paid", "to": to},
        {"template": "payment_failed", "to": to, "reference": "cs_9"},
        {"template": "confirmation", "to": to},
        {"template": "revision_published", "to": to, "revision_id": 41},
        {"template": "print_job_shipped", "to": to, "print_job_id": 42},
    ):
        old.objects.create(
            order_id=order.pk, item_id=item.pk, subject="item", type="email_sent", parameters=parameters
        )
    old.objects.create(
        order_id=order.pk,
        item_id=item.pk,
        subject="item",
        type="preview_due_warning",
        parameters={"due": "2026-01-01T10:00:00+00:00", "to": "s@example.com"},
    )
    MigrationExecutor(connection).migrate(after)
    assert set(Notification.objects.filter(status="sent").values_list("kind", "key")) == {
        ("order_paid", str(order.pk)),
        ("order_payment_failed", f"{order.pk}:cs_9"),
        ("order_confirmation", str(order.pk)),
        ("revision_published", "41"),
        ("print_job_shipped", "42"),
        ("preview_due_warning", f"{item.pk}:2026-01-01T10:00:00+00:00"),
    }
    assert send_order_email_task(order.pk, "paid") is False and mail.outbox == []
    MigrationExecutor(connection).migrate(before)  # and back
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.postgres
def test_workers_racing_for_one_e_mail_on_postgres_send_it_once(require_postgres):
    order = OrderFactory(status="paid")
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(send_order_email_task(order.pk, "paid"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False] * 5 + [True]
    assert len(mail.outbox) == 1 and len(_email_events(order)) == 1
