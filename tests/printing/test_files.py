"""The print queue's files are served to the staff only, from storage, on disk and with DEBUG off."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from rest_framework.authtoken.models import Token

from orders.auth import portal_token_issue
from printing.models import Batch, PrintJob
from tests.factories import job_in_state, printer

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_print_file_is_a_staff_download_and_a_404_for_anyone_else(
    staff_api, staff_client, operator, settings
):
    settings.DEBUG = False  # no /media/ route: the files must come through the checked view
    job = job_in_state("queued")
    detail = staff_api.get(f"/api/v1/print-jobs/{job.pk}/").json()
    signed_url = detail["print_file_url"]
    assert signed_url.startswith(f"/api/v1/files/print-file/{job.pk}/?sig=")
    url = signed_url.split("?")[0]
    response = staff_client.get(url)
    assert response.status_code == 200
    assert _body(response) == job.print_file.open("rb").read()
    assert response["Content-Disposition"].startswith("attachment;")
    token = Token.objects.create(user=operator)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200

    customer = job.item.order.customer
    own_customer = Client().get(url, HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=customer)}")
    assert own_customer.status_code == 404  # print files are the studio's, not the customer's
    assert Client().get(url).status_code == 404
    assert staff_client.get(f"/api/v1/files/print-file/{job.pk + 1000}/").status_code == 404
    assert staff_client.get(f"/api/v1/files/passwords/{job.pk}/").status_code == 404
    # the signed URL works on its own (a download tool, a printer's workstation) until it expires
    anonymous = Client().get(signed_url)
    assert anonymous.status_code == 200 and _body(anonymous) == job.print_file.open("rb").read()
    assert Client().get(signed_url.replace("print-file", "tray-file")).status_code == 404
    settings.SIGNED_FILE_URL_SECONDS = -1
    assert Client().get(signed_url).status_code == 404
    PrintJob.objects.filter(pk=job.pk).update(print_file="")
    assert staff_client.get(url).status_code == 404


def test_tray_layout_is_shown_inline_to_the_staff(staff_api, staff_client):
    job_in_state("queued", footprint=(50, 50))
    response = staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json")
    assert response.status_code == 201, response.json()
    tray = Batch.objects.get(pk=response.json()["id"])
    layout = staff_client.get(response.json()["layout_png_url"])
    assert layout.status_code == 200 and layout["Content-Type"] == "image/png"
    assert "attachment" not in layout.get("Content-Disposition", "")
    assert _body(layout)[:8] == b"\x89PNG\r\n\x1a\n"
    tray.tray_file.save("tray.3mf", ContentFile(b"PK tray file bytes"))  # what the worker writes
    tray_file = staff_client.get(staff_api.get(f"/api/v1/trays/{tray.pk}/").json()["tray_file_url"])
    assert tray_file.status_code == 200 and _body(tray_file) == b"PK tray file bytes"
    assert tray_file["Content-Type"] == "model/3mf" and "attachment" in tray_file["Content-Disposition"]
