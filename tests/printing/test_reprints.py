"""Reprints: from a failed QC and from a Design Guarantee claim — free, the same approved file."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.auth import portal_token_issue
from orders.models import OrderEvent
from orders.tasks import send_order_email_task
from printing.models import GuaranteeClaim, PrintJob
from printing.services import guarantee_claim_approve
from printing.tasks import make_print_file, send_shipment_email
from tests.factories import CustomerFactory, approved_item, job_in_state, printer
from tests.kits.photo.images import photo_jpeg

pytestmark = pytest.mark.django_db


def move(api, job, to, **body):
    return api.post(f"/api/v1/print-jobs/{job.pk}/transition/", {"to": to, **body}, format="json")


def test_failed_qc_creates_a_free_reprint_of_the_same_file(
    staff_api, enqueued, django_capture_on_commit_callbacks
):
    job = job_in_state("printed")
    with django_capture_on_commit_callbacks(execute=True):
        response = move(staff_api, job, "qc_failed", reason="colour banding on the dress")
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == "qc_failed" and job.qc_note == "colour banding on the dress"
    (reprint,) = job.reprints.all()
    assert reprint.is_reprint and reprint.charge_cents == 0 and reprint.status == "queued"
    assert reprint.approved_sha256 == job.approved_sha256 and reprint.revision_id == job.revision_id
    assert "colour banding" in reprint.reprint_reason and reprint.height_mm == job.height_mm
    assert reprint.due_at == job.due_at  # the promise to the customer still stands
    assert ("printing.tasks.make_print_file", (reprint.pk,), None) in enqueued
    assert OrderEvent.objects.filter(item=job.item, type="reprint_created").exists()
    job.item.refresh_from_db()
    assert job.item.status == "in_production"


def test_reprint_prints_the_identical_print_file(staff_api, enqueued):
    item = approved_item(height_mm=100)
    job = PrintJob.objects.get(
        pk=staff_api.post(
            f"/api/v1/items/{item.pk}/print-jobs/", {"printer_id": printer().pk}, format="json"
        ).json()["id"]
    )
    make_print_file(job.pk)
    for to in ("batched", "printing", "printed"):
        assert move(staff_api, job, to).status_code == 200
    move(staff_api, job, "qc_failed", reason="cracked base")
    reprint = PrintJob.objects.get(reprint_of=job)
    assert make_print_file(reprint.pk)["status"] == "completed"
    job.refresh_from_db()
    reprint.refresh_from_db()
    assert (
        reprint.print_file_sha256 == job.print_file_sha256 and reprint.approved_sha256 == job.approved_sha256
    )
    assert (
        reprint.print_report["reused_from_job"] == job.pk and reprint.print_file.name != job.print_file.name
    )


def test_reprint_exports_again_when_the_first_print_file_was_altered(staff_api, enqueued):
    item = approved_item(height_mm=100)
    job = PrintJob.objects.get(
        pk=staff_api.post(
            f"/api/v1/items/{item.pk}/print-jobs/", {"printer_id": printer().pk}, format="json"
        ).json()["id"]
    )
    make_print_file(job.pk)
    for to in ("batched", "printing", "printed"):
        move(staff_api, job, to)
    move(staff_api, job, "qc_failed", reason="cracked base")
    with open(PrintJob.objects.get(pk=job.pk).print_file.path, "ab") as handle:
        handle.write(b"junk")
    reprint = PrintJob.objects.get(reprint_of=job)
    assert make_print_file(reprint.pk)["status"] == "completed"
    reprint.refresh_from_db()
    assert (
        "reused_from_job" not in reprint.print_report
        and reprint.print_report["source_sha256"] == job.approved_sha256
    )
    assert reprint.print_report["height_mm"] == pytest.approx(100, abs=0.5)


def test_operator_reprint_of_a_delivered_item(staff_api, enqueued):
    job = job_in_state("delivered")
    response = staff_api.post(
        f"/api/v1/items/{job.item_id}/reprints/", {"reason": "lost by the carrier"}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["is_reprint"] and data["charge_cents"] == 0 and data["approved_sha256"] == job.approved_sha256
    assert data["reprint_of_id"] == job.pk and data["reprint_reason"] == "lost by the carrier"
    job.item.refresh_from_db()
    assert job.item.status == "in_production"
    # one reprint at a time
    again = staff_api.post(f"/api/v1/items/{job.item_id}/reprints/", {"reason": "again"}, format="json")
    assert again.status_code == 409 and "already has reprint" in again.json()["message"]


def test_reprint_needs_a_reason_and_a_printed_item(staff_api, enqueued):
    job = job_in_state("delivered")
    assert (
        staff_api.post(f"/api/v1/items/{job.item_id}/reprints/", {"reason": ""}, format="json").status_code
        == 400
    )
    item = approved_item()
    response = staff_api.post(f"/api/v1/items/{item.pk}/reprints/", {"reason": "why not"}, format="json")
    assert response.status_code == 409
    assert not PrintJob.objects.filter(item=item).exists()


def test_shipping_a_reprint_emails_the_customer(staff_api, enqueued, django_capture_on_commit_callbacks):
    job = job_in_state("delivered")
    assert send_order_email_task(job.item.order_id, "shipped") is True  # the order's own shipped e-mail
    mail.outbox.clear()
    staff_api.post(f"/api/v1/items/{job.item_id}/reprints/", {"reason": "broken in transit"}, format="json")
    reprint = PrintJob.objects.get(reprint_of=job)
    PrintJob.objects.filter(pk=reprint.pk).update(
        print_file=job.print_file.name,
        print_file_sha256=job.print_file_sha256,
        footprint_mm=[40, 40],
        print_file_format="3mf",
    )
    for to in ("batched", "printing", "printed", "qc_passed", "packed"):
        assert move(staff_api, reprint, to).status_code == 200, to
    with django_capture_on_commit_callbacks(execute=True):
        response = move(staff_api, reprint, "shipped", carrier="DHL", tracking_number="JD0142")
    assert response.status_code == 200
    reprint.item.refresh_from_db()
    assert reprint.item.status == "shipped"
    assert ("printing.tasks.send_shipment_email", (reprint.pk,), None) in enqueued
    assert send_shipment_email(reprint.pk) is True
    assert send_shipment_email(reprint.pk) is False  # once
    (message,) = mail.outbox
    assert "JD0142" in message.body and "DHL" in message.body and "replacement" in message.subject.lower()
    assert move(staff_api, reprint, "delivered").status_code == 200
    reprint.item.refresh_from_db()
    assert reprint.item.status == "delivered"


def test_first_shipment_of_the_order_uses_the_order_email(
    staff_api, enqueued, django_capture_on_commit_callbacks
):
    job = job_in_state("packed")
    with django_capture_on_commit_callbacks(execute=True):
        assert move(staff_api, job, "shipped", carrier="UPS", tracking_number="1Z42").status_code == 200
    job.item.refresh_from_db()
    assert job.item.status == "shipped" and job.item.order.status == "shipped"
    funcs = [func for func, _, _ in enqueued]
    assert "orders.tasks.send_order_email_task" in funcs and "printing.tasks.send_shipment_email" not in funcs


def claim(api, item, reason="the glasses are missing", photos=1):
    files = [SimpleUploadedFile(f"p{i}.jpg", photo_jpeg(), content_type="image/jpeg") for i in range(photos)]
    return api.post(
        f"/api/v1/items/{item.pk}/reprints/", {"reason": reason, "photos": files}, format="multipart"
    )


def customer_api(api, customer):
    api.credentials(HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=customer)}")
    return api


def test_design_guarantee_claim_waits_for_review_then_reprints_free(anon_api, operator, enqueued):
    job = job_in_state("delivered")
    api = customer_api(anon_api, job.item.order.customer)
    response = claim(api, job.item, photos=2)
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (
        answer["status"] == "submitted" and answer["print_job_id"] is None and answer["decline_reason"] == ""
    )
    record = GuaranteeClaim.objects.get(pk=answer["claim_id"])
    assert record.print_job == job and record.photos.count() == 2 and record.status == "submitted"
    assert all(p.image and p.width == 600 for p in record.photos.all())  # photo_jpeg is 600 × 800
    assert record.reprint is None and not PrintJob.objects.filter(is_reprint=True).exists()  # not yet
    job.item.refresh_from_db()
    assert job.item.status == "delivered"
    assert OrderEvent.objects.filter(item=job.item, type="guarantee_claim", actor="customer").exists()
    assert claim(api, job.item).status_code == 409  # one claim under review at a time

    record = guarantee_claim_approve(claim_id=record.pk, user=operator)
    reprint = record.reprint
    assert record.status == "approved" and record.reviewed_by == operator
    assert reprint.is_reprint and reprint.charge_cents == 0 and reprint.approved_sha256 == job.approved_sha256
    assert reprint.reprint_of == job
    assert "Design Guarantee" in reprint.reprint_reason and "glasses" in reprint.reprint_reason
    job.item.refresh_from_db()
    assert job.item.status == "in_production"


def test_claims_are_refused_when_they_should_be(anon_api, enqueued):
    job = job_in_state("delivered")
    other = customer_api(anon_api, CustomerFactory())
    assert claim(other, job.item).status_code == 404  # not their figurine
    api = customer_api(anon_api, job.item.order.customer)
    assert claim(api, job.item, photos=0).status_code == 400
    assert claim(api, job.item, reason="").status_code == 400
    bad = SimpleUploadedFile("p.jpg", b"not a photo at all", content_type="image/jpeg")
    response = api.post(
        f"/api/v1/items/{job.item_id}/reprints/", {"reason": "x", "photos": [bad]}, format="multipart"
    )
    assert response.status_code == 400 and "Photo 1" in response.json()["message"]
    assert not PrintJob.objects.filter(is_reprint=True).exists()
    in_production = job_in_state("printing")
    api = customer_api(anon_api, in_production.item.order.customer)
    assert claim(api, in_production.item).status_code == 409


def portal_client(client, customer):
    from orders.auth import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client


def test_portal_claim_page(client, enqueued):
    job = job_in_state("delivered")
    url = f"/portal/items/{job.item_id}/guarantee/"
    assert client.get(url).status_code == 401  # signed out
    portal_client(client, job.item.order.customer)
    page = client.get(url)
    assert page.status_code == 200 and 'name="photos"' in page.content.decode()
    refused = client.post(url, {"reason": "the dog has no tail"})
    assert refused.status_code == 400 and "photo" in refused.content.decode()
    photo = SimpleUploadedFile("arrived.jpg", photo_jpeg(), content_type="image/jpeg")
    done = client.post(url, {"reason": "the dog has no tail", "photos": [photo]})
    assert done.status_code == 201 and "We are looking at your photos" in done.content.decode()
    record = GuaranteeClaim.objects.get(item=job.item)
    assert record.status == "submitted" and record.reprint is None and record.photos.count() == 1
    again = client.get(url).content.decode()  # under review: no second form
    assert 'data-testid="claim-under-review"' in again and 'name="photos"' not in again


def test_portal_claim_page_hides_other_customers_items(client):
    job = job_in_state("delivered")
    portal_client(client, CustomerFactory())
    assert client.get(f"/portal/items/{job.item_id}/guarantee/").status_code == 404


def test_failed_qc_with_a_reprint_already_on_its_way_adds_none(staff_api, enqueued):
    job = job_in_state("printed")
    granted = staff_api.post(
        f"/api/v1/items/{job.item_id}/reprints/", {"reason": "customer asked"}, format="json"
    )
    assert granted.status_code == 201
    assert move(staff_api, job, "qc_failed", reason="smudged paint").status_code == 200
    assert PrintJob.objects.filter(item=job.item, is_reprint=True).count() == 1
