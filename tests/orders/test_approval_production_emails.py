"""The customer's e-mails at approval ("You approved round N — we'll print exactly this design", with the
file's SHA-256 fingerprint and what happens next) and when production starts ("Your figurine is being
printed", once per figurine when its first print job goes to printing): each enqueued after the commit of
the transition that causes it, each sent once however often its task runs, each with a sign-in link."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from orders.auth import portal_token_issue
from orders.models import ItemStatus, OrderEvent
from printing.models import PrintJob
from printing.services import print_job_move, reprint_create
from printing.tasks import send_production_started_email
from revisions.services import revision_publish
from revisions.tasks import send_revision_approved_email
from tests.factories import CustomerFactory, ItemFactory, OrderFactory, job_in_state
from tests.revisions.conftest import make_ready_round

pytestmark = pytest.mark.django_db

APPROVED_TASK = "revisions.tasks.send_revision_approved_email"
PRINTING_TASK = "printing.tasks.send_production_started_email"


@pytest.fixture
def published(sculptor, enqueued):
    customer = CustomerFactory(email="ana@example.com", name="Ana")
    order = OrderFactory(customer=customer, status="in_design")
    item = ItemFactory(order=order, status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, height_mm=150)
    make_ready_round(item, sculptor)  # round 1, then changes: the approved one is round 2
    revision = make_ready_round(item, sculptor, bump=0.01)
    revision_publish(revision_id=revision.pk, user=sculptor)
    return revision


def test_approving_a_round_e_mails_the_customer_once(published, enqueued, django_capture_on_commit_callbacks):
    customer = published.item.order.customer
    anon_api = APIClient()
    anon_api.credentials(HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=customer)}")
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_api.post(
            f"/api/v1/revisions/{published.pk}/approve/", {"confirm": True}, format="json"
        )
    assert response.status_code in (200, 201), response.json()
    assert (APPROVED_TASK, (published.pk,), None) in enqueued  # after the approval committed

    assert send_revision_approved_email(published.pk) is True
    assert send_revision_approved_email(published.pk) is False  # a redelivered task sends nothing
    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    number = published.number
    assert f"You approved round {number} — we'll print exactly this design" in message.subject
    body = message.body
    assert f"You approved round {number}" in body and "we'll print exactly this design" in body
    assert f"{published.sha256[:12]}…" in body and published.sha256 not in body  # the short form
    assert "What happens next" in body and "Expected delivery" in body
    assert "/portal/login/" in body  # a sign-in link, as in the other customer e-mails
    assert "&#x27;" not in body and "&amp;" not in body  # plain text, not HTML-escaped
    assert OrderEvent.objects.filter(type="email_sent", parameters__template="revision_approved").count() == 1


def test_no_approval_e_mail_for_a_round_that_is_not_approved(published):
    assert send_revision_approved_email(published.pk) is False
    assert mail.outbox == []


def test_the_first_print_job_going_to_printing_e_mails_once(
    operator, enqueued, django_capture_on_commit_callbacks
):
    job = job_in_state("batched")
    with django_capture_on_commit_callbacks(execute=True):
        print_job_move(print_job_id=job.pk, to="printing", user=operator)
    assert (PRINTING_TASK, (job.pk,), None) in enqueued  # from the job's transition, after commit

    assert send_production_started_email(job.pk) is True
    assert send_production_started_email(job.pk) is False
    (message,) = mail.outbox
    assert message.to == [job.item.order.customer.email]
    assert "Your figurine is being printed" in message.subject and "being printed" in message.body
    assert job.approved_sha256[:12] in message.body and "/portal/login/" in message.body


def test_a_tray_that_starts_printing_e_mails_each_figurine_once(
    operator, enqueued, django_capture_on_commit_callbacks
):
    job = job_in_state("batched")
    other = PrintJob.objects.create(
        item=job.item,
        revision=job.revision,
        approved_sha256=job.approved_sha256,
        height_mm=job.height_mm,
        status="batched",
        batch=job.batch,
        printer=job.printer,
        print_file_format="3mf",
        print_file_sha256=job.print_file_sha256,
        print_file=job.print_file.name,
        charge_cents=0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        print_job_move(print_job_id=job.pk, to="printing", user=operator)  # the whole tray prints
    assert PrintJob.objects.get(pk=other.pk).status == "printing"
    tasks = [args for func, args, _ in enqueued if func == PRINTING_TASK]
    assert sorted(tasks) == sorted([(job.pk,), (other.pk,)])
    assert [send_production_started_email(pk) for (pk,) in tasks].count(True) == 1  # one per figurine
    assert len(mail.outbox) == 1


def test_a_reprint_going_to_printing_sends_no_production_e_mail(operator, enqueued):
    shipped = job_in_state("delivered")
    reprint = reprint_create(
        item_id=shipped.item_id, reason="Design Guarantee claim: wrong colour", user=operator
    )
    assert send_production_started_email(reprint.pk) is False  # the claim's e-mail told the customer
    assert mail.outbox == []
