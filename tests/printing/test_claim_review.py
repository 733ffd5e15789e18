"""Design Guarantee claims are reviewed by an operator before a free reprint is made.

submitted → approved (the reprint of the same approved file is made by the approval) | declined (with the
reason the customer reads). Each review is a guarded transition with its event, e-mails the customer once
after the commit, and shows on the customer's order page and in the API; the admin offers "Approve and
reprint" and "Decline…" to Operators only; claims made before review existed become approved.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import OrderEvent
from printing.models import GuaranteeClaim, PrintJob
from printing.services import guarantee_claim_approve, guarantee_claim_decline, reprint_create
from printing.tasks import send_claim_reviewed_email
from studio.errors import ApplicationError, Conflict, TransitionNotAllowed
from tests.factories import job_in_state
from tests.printing.test_reprints import claim, customer_api, portal_client

REVIEW_TASK = "printing.tasks.send_claim_reviewed_email"
BEFORE = [("printing", "0008_printfilejob_lease")]
AFTER = [("printing", "0009_guarantee_claim_review")]


def submitted_claim(reason: str = "the glasses are missing") -> GuaranteeClaim:
    shipped = job_in_state("delivered")
    api = customer_api(APIClient(), shipped.item.order.customer)
    response = claim(api, shipped.item, reason=reason, photos=1)
    assert response.status_code == 201, response.json()
    return GuaranteeClaim.objects.get(pk=response.json()["claim_id"])


@pytest.fixture
def floor(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_approval_makes_the_free_reprint_of_the_approved_file_once(
    operator, enqueued, django_capture_on_commit_callbacks
):
    record = submitted_claim()
    shipped = record.print_job
    with django_capture_on_commit_callbacks(execute=True):
        approved = guarantee_claim_approve(claim_id=record.pk, user=operator)
    reprint = approved.reprint
    assert approved.status == "approved" and approved.reviewed_by == operator and approved.reviewed_at
    assert reprint.is_reprint and reprint.charge_cents == 0 and reprint.reprint_of == shipped
    assert reprint.approved_sha256 == shipped.approved_sha256 and reprint.revision_id == shipped.revision_id
    assert reprint.reprint_reason == "Design Guarantee claim: the glasses are missing"
    assert (REVIEW_TASK, (record.pk,), None) in enqueued and (
        "printing.tasks.make_print_file",
        (reprint.pk,),
        None,
    ) in enqueued
    event = OrderEvent.objects.get(type="guarantee_claim", to_status="approved")
    assert event.from_status == "submitted" and event.item_id == record.item_id
    assert (
        event.parameters == {"claim_id": record.pk, "print_job_id": reprint.pk}
        and event.actor == "staff:operator"
    )
    record.item.refresh_from_db()
    assert record.item.status == "in_production"

    with pytest.raises(TransitionNotAllowed):  # reviewed once: a second approval or a decline is refused
        guarantee_claim_approve(claim_id=record.pk, user=operator)
    with pytest.raises(TransitionNotAllowed):
        guarantee_claim_decline(claim_id=record.pk, reason="changed my mind", user=operator)
    assert PrintJob.objects.filter(is_reprint=True).count() == 1


@pytest.mark.django_db
def test_decline_needs_a_reason_and_makes_no_reprint(operator, enqueued):
    record = submitted_claim()
    with pytest.raises(ApplicationError):
        guarantee_claim_decline(claim_id=record.pk, reason="  ", user=operator)
    record.refresh_from_db()
    assert record.status == "submitted" and not OrderEvent.objects.filter(to_status="declined").exists()

    declined = guarantee_claim_decline(
        claim_id=record.pk, reason="The glasses are in the approved design's round 2 too.", user=operator
    )
    assert declined.status == "declined" and declined.decline_reason.startswith("The glasses")
    assert declined.reprint is None and not PrintJob.objects.filter(is_reprint=True).exists()
    with pytest.raises(TransitionNotAllowed):
        guarantee_claim_approve(claim_id=record.pk, user=operator)
    record.item.refresh_from_db()
    assert record.item.status == "delivered"
    # declined, the customer may claim again with more photos
    again = claim(customer_api(APIClient(), record.item.order.customer), record.item)
    assert again.status_code == 201 and again.json()["status"] == "submitted"


@pytest.mark.django_db
def test_an_approval_the_item_cannot_take_changes_nothing(operator, enqueued):
    record = submitted_claim()
    granted = reprint_create(item_id=record.item_id, reason="the operator already granted one", user=operator)
    with pytest.raises(Conflict):
        guarantee_claim_approve(claim_id=record.pk, user=operator)
    record.refresh_from_db()
    assert record.status == "submitted" and record.reprint is None
    assert list(PrintJob.objects.filter(is_reprint=True)) == [granted]
    assert not OrderEvent.objects.filter(type="guarantee_claim", to_status="approved").exists()


@pytest.mark.django_db
def test_the_customer_is_e_mailed_once_per_review(operator, enqueued):
    approved = guarantee_claim_approve(claim_id=submitted_claim().pk, user=operator)
    assert send_claim_reviewed_email(approved.pk) is True
    assert send_claim_reviewed_email(approved.pk) is False  # a redelivered task sends nothing
    declined = guarantee_claim_decline(
        claim_id=submitted_claim("the dog's tail").pk, reason="It's the tail you approved.", user=operator
    )
    assert send_claim_reviewed_email(declined.pk) is True
    assert send_claim_reviewed_email(declined.pk) is False
    yes, no = mail.outbox
    assert yes.to == [approved.item.order.customer.email] and "A free reprint is on its way" in yes.subject
    assert "A free reprint is on its way" in yes.body and approved.reprint.approved_sha256[:12] in yes.body
    assert "/portal/login/" in yes.body and "/portal/login/" in no.body
    assert "It's the tail you approved." in no.body  # the operator's words, not HTML-escaped
    assert send_claim_reviewed_email(submitted_claim("x").pk) is False  # nothing to say before a review


@pytest.mark.django_db
def test_the_customer_sees_each_claims_status(client, operator, enqueued):
    record = submitted_claim()
    order = record.item.order
    portal_client(client, order.customer)
    page = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'data-claim-status="submitted"' in page and "We are looking at your photos" in page
    assert "make a claim</a>" not in page  # one claim under review at a time

    guarantee_claim_decline(
        claim_id=record.pk, reason="The colours match the approved design.", user=operator
    )
    page = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'data-claim-status="declined"' in page and "The colours match the approved design." in page
    assert "make a claim</a>" in page

    second = claim(customer_api(APIClient(), order.customer), record.item, reason="the base is cracked")
    guarantee_claim_approve(claim_id=second.json()["claim_id"], user=operator)
    page = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'data-claim-status="approved"' in page and "A free reprint is on its way" in page
    timeline = [line["text"] for line in client.get(f"/portal/orders/{order.number}/").context["timeline"]]
    assert "Your Design Guarantee claim was approved: a free reprint is on its way." in timeline
    assert "Your Design Guarantee claim was declined: The colours match the approved design." in timeline

    api = customer_api(APIClient(), order.customer)
    (item,) = api.get(f"/api/v1/orders/{order.number}/").json()["items"]
    assert [(c["status"], c["decline_reason"]) for c in item["guarantee_claims"]] == [
        ("declined", "The colours match the approved design."),
        ("approved", ""),
    ]
    assert (
        item["guarantee_claims"][1]["print_job_id"]
        == GuaranteeClaim.objects.get(pk=second.json()["claim_id"]).reprint_id
    )


@pytest.mark.django_db
def test_the_schema_documents_the_claims_status():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    created = components["GuaranteeClaimCreated"]["properties"]
    assert {"status", "decline_reason", "print_job_id"} <= set(created)
    claim_on_item = components["GuaranteeClaimOutput"]["properties"]
    assert {"status", "status_text", "decline_reason"} <= set(claim_on_item)
    assert "guarantee_claims" in components["OrderItemOutput"]["properties"]
    assert components["GuaranteeClaimStatusEnum"]["enum"] == ["submitted", "approved", "declined"]


@pytest.mark.django_db
def test_operators_approve_and_decline_in_the_admin(floor, sculptor, enqueued):
    first, second, third = submitted_claim(), submitted_claim("wrong hair colour"), submitted_claim("no tail")
    change = floor.get(reverse("admin:printing_guaranteeclaim_change", args=[first.pk])).content.decode()
    assert "Approve and reprint" in change and "Decline…" in change and "the glasses are missing" in change
    assert 'alt="photo of what arrived"' in change

    # the decline form asks for the reason; without one nothing changes
    decline_url = reverse("admin:printing_guaranteeclaim_decline", args=[second.pk])
    form = floor.get(decline_url)
    assert form.status_code == 200 and 'name="decline_reason"' in form.content.decode()
    assert floor.post(decline_url, {"decline_reason": ""}).status_code == 400
    assert GuaranteeClaim.objects.get(pk=second.pk).status == "submitted"
    assert floor.post(decline_url, {"decline_reason": "The hair is as approved."}).status_code == 302
    assert GuaranteeClaim.objects.get(pk=second.pk).decline_reason == "The hair is as approved."

    assert floor.get(reverse("admin:printing_guaranteeclaim_approve", args=[first.pk])).status_code == 405
    assert floor.post(reverse("admin:printing_guaranteeclaim_approve", args=[first.pk])).status_code == 302
    assert GuaranteeClaim.objects.get(pk=first.pk).reprint.is_reprint

    # the list actions: decline shows a reason page first, then declines with it
    changelist = reverse("admin:printing_guaranteeclaim_changelist")
    ask = floor.post(changelist, {"action": "decline_action", "_selected_action": [third.pk]})
    assert ask.status_code == 200 and 'name="decline_reason"' in ask.content.decode()
    done = floor.post(
        changelist,
        {
            "action": "decline_action",
            "_selected_action": [third.pk],
            "decline_confirmed": "1",
            "decline_reason": "As approved.",
        },
    )
    assert done.status_code == 302 and GuaranteeClaim.objects.get(pk=third.pk).status == "declined"
    refused = floor.post(
        changelist, {"action": "approve_action", "_selected_action": [third.pk], "index": 0}, follow=True
    )
    assert any("cannot" in str(m) or "declined" in str(m).lower() for m in refused.context["messages"])
    assert GuaranteeClaim.objects.get(pk=third.pk).reprint is None

    bench = Client()
    bench.force_login(sculptor)
    fourth = submitted_claim("cracked")
    assert bench.post(reverse("admin:printing_guaranteeclaim_approve", args=[fourth.pk])).status_code == 403
    assert (
        bench.post(
            reverse("admin:printing_guaranteeclaim_decline", args=[fourth.pk]), {"decline_reason": "x"}
        ).status_code
        == 403
    )
    assert GuaranteeClaim.objects.get(pk=fourth.pk).status == "submitted"


@pytest.mark.django_db(transaction=True)
def test_the_migration_approves_claims_that_already_have_their_reprint_and_back(enqueued):
    with_reprint = submitted_claim()
    reprint = reprint_create(item_id=with_reprint.item_id, reason="Design Guarantee claim: old")
    GuaranteeClaim.objects.filter(pk=with_reprint.pk).update(reprint=reprint)
    without = GuaranteeClaim.objects.create(item=job_in_state("delivered").item, reason="no reprint yet")

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    assert GuaranteeClaim.objects.get(pk=with_reprint.pk).status == "approved"
    assert GuaranteeClaim.objects.get(pk=with_reprint.pk).reviewed_at is not None
    assert GuaranteeClaim.objects.get(pk=without.pk).status == "submitted"

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = (
        MigrationExecutor(connection)
        .loader.project_state(BEFORE)
        .apps.get_model("printing", "GuaranteeClaim")
    )
    assert old.objects.get(pk=with_reprint.pk).reprint_id == reprint.pk  # nothing lost going back
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_operators_review_claims_in_the_api_and_other_roles_are_refused(staff_api, sculptor, enqueued):
    first, second = submitted_claim(), submitted_claim("wrong colour")
    bench = APIClient()
    bench.force_authenticate(sculptor)
    assert bench.post(f"/api/v1/guarantee-claims/{first.pk}/approve/").status_code == 403
    assert bench.post(f"/api/v1/guarantee-claims/{second.pk}/decline/", {"reason": "x"}).status_code == 403
    assert not GuaranteeClaim.objects.exclude(status="submitted").exists()

    approved = staff_api.post(f"/api/v1/guarantee-claims/{first.pk}/approve/")
    assert approved.status_code == 200, approved.json()
    answer = approved.json()
    assert (
        answer["status"] == "approved"
        and answer["print_job_id"] == GuaranteeClaim.objects.get(pk=first.pk).reprint_id
    )
    assert staff_api.post(f"/api/v1/guarantee-claims/{first.pk}/approve/").status_code == 409

    assert (
        staff_api.post(f"/api/v1/guarantee-claims/{second.pk}/decline/", {}, format="json").status_code == 400
    )
    declined = staff_api.post(
        f"/api/v1/guarantee-claims/{second.pk}/decline/", {"reason": "As approved."}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "As approved."
    assert staff_api.post("/api/v1/guarantee-claims/999999/approve/").status_code == 404
