"""Every print job move through `POST print-jobs/{id}/transition/`: legal ones apply, illegal ones 409."""

from __future__ import annotations

import itertools

import pytest

from orders.models import OrderEvent
from printing.models import PRINT_JOB_TRANSITIONS, PrintJob
from tests.factories import job_in_state

pytestmark = pytest.mark.django_db

LEGAL = [(a, b) for a, targets in PRINT_JOB_TRANSITIONS.items() for b in targets]
ILLEGAL = [
    (a, b)
    for a, b in itertools.product(PRINT_JOB_TRANSITIONS, PRINT_JOB_TRANSITIONS)
    if b not in PRINT_JOB_TRANSITIONS[a]
]
BODY = {"tracking_number": "1Z999AA10123456784", "carrier": "UPS", "reason": "layer lines on the face"}


def url(job):
    return f"/api/v1/print-jobs/{job.pk}/transition/"


@pytest.mark.parametrize("current,target", LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_move_applies(current, target, staff_api, enqueued):
    job = job_in_state(current)
    response = staff_api.post(url(job), {"to": target, **BODY}, format="json")
    assert response.status_code == 200, response.json()
    job.refresh_from_db()
    assert job.status == target == response.json()["status"]
    event = OrderEvent.objects.filter(subject="print_job", subject_id=job.pk, type="status_changed").last()
    assert (event.from_status, event.to_status) == (current, target)
    assert event.user.username == "operator"


@pytest.mark.parametrize("current,target", ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_move_is_409_and_changes_nothing(current, target, staff_api, enqueued):
    job = job_in_state(current)
    before = OrderEvent.objects.count()
    response = staff_api.post(url(job), {"to": target, **BODY}, format="json")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert current in body["message"] and target in body["message"]
    job.refresh_from_db()
    assert job.status == current
    assert OrderEvent.objects.count() == before
    assert PrintJob.objects.filter(reprint_of=job).count() == 0


def test_unknown_state_is_400(staff_api):
    job = job_in_state("queued")
    response = staff_api.post(url(job), {"to": "melted"}, format="json")
    assert response.status_code == 400 and "melted" in response.json()["message"]


def test_unknown_job_is_404(staff_api):
    assert (
        staff_api.post("/api/v1/print-jobs/999999/transition/", {"to": "printing"}, format="json").status_code
        == 404
    )


def test_customers_and_strangers_cannot_move_jobs(anon_api, django_user_model):
    job = job_in_state("queued")
    assert anon_api.post(url(job), {"to": "batched"}, format="json").status_code in (401, 403)
    user = django_user_model.objects.create_user("someone", is_staff=False)
    anon_api.force_authenticate(user)
    assert anon_api.post(url(job), {"to": "batched"}, format="json").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued"


def test_shipping_needs_carrier_and_tracking_number(staff_api, enqueued):
    job = job_in_state("packed")
    response = staff_api.post(url(job), {"to": "shipped", "carrier": "UPS"}, format="json")
    assert response.status_code == 400
    assert "tracking_number" in response.json()["message"]
    job.refresh_from_db()
    assert job.status == "packed" and job.tracking_number == ""


def test_shipping_with_only_a_tracking_number(staff_api, enqueued):
    """DESIGN names `to` and `tracking_number` for shipping: the carrier is optional."""
    job = job_in_state("packed")
    response = staff_api.post(url(job), {"to": "shipped", "tracking_number": "1Z42"}, format="json")
    assert response.status_code == 200, response.json()
    job.refresh_from_db()
    assert (job.status, job.tracking_number, job.carrier) == ("shipped", "1Z42", "")
    assert job.item.status == "shipped"


def test_qc_failure_needs_a_reason(staff_api, enqueued):
    job = job_in_state("printed")
    response = staff_api.post(url(job), {"to": "qc_failed"}, format="json")
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == "printed" and not job.reprints.exists()


def test_printing_needs_an_untouched_print_file(staff_api, enqueued):
    job = job_in_state("batched")
    with open(job.print_file.path, "ab") as handle:
        handle.write(b" tampered")
    response = staff_api.post(url(job), {"to": "printing"}, format="json")
    assert response.status_code == 409 and "changed" in response.json()["message"]
    job.refresh_from_db()
    assert job.status == "batched"


def test_printing_without_a_print_file_is_refused(staff_api, enqueued):
    job = job_in_state("batched")
    PrintJob.objects.filter(pk=job.pk).update(print_file="", print_file_sha256="")
    response = staff_api.post(url(job), {"to": "printing"}, format="json")
    assert response.status_code == 409 and "no print file" in response.json()["message"]
