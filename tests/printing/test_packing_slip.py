"""The packing slip printed from a print job's admin page: a PDF with the order number, the customer's
name and shipping address, the figurine and the job, and the approved design's render embedded as an
image; a slip still comes out (with a line of text instead) when there is no render or it is gone; a
sculptor gets 403. The slip's page streams are uncompressed, so its text is read from the bytes."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from orders.models import Customer, Order
from printing.models import PrintJob
from printing.packing_slip import NO_RENDER_TEXT
from tests.factories import job_in_state, staff_user

pytestmark = pytest.mark.django_db


def slip_url(job: PrintJob) -> str:
    return f"/admin/printing/printjob/{job.pk}/packing-slip/"


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(staff_user("slip-operator", "Operators"))
    return client


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 96), (200, 120, 60, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def packed_job(*, renders: list[str] | None = None) -> PrintJob:
    job = job_in_state("packed")
    Order.objects.filter(pk=job.item.order_id).update(
        ship_name="Ada Lovelace",
        ship_line1="12 Analytical Row",
        ship_line2="Flat 3",
        ship_city="Springfield",
        ship_postcode="01101",
        ship_country="US",
    )
    revision = job.revision
    revision.renders = renders or []
    revision.save(update_fields=["renders"])
    return PrintJob.objects.select_related("item__order").get(pk=job.pk)


def pdf_text(body: bytes) -> str:
    return body.decode("latin-1")


def test_the_slip_is_a_pdf_with_the_order_the_address_and_the_render(operator_client):
    name = default_storage.save("revisions/renders/turn-000.png", ContentFile(png_bytes()))
    job = packed_job(renders=["revisions/renders/turn.glb", name, "revisions/renders/turn-001.png"])

    response = operator_client.get(slip_url(job))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'filename="packing-slip-{job.item.order.number}-job-{job.pk}.pdf"' in response["Content-Disposition"]
    )
    body = response.content
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert f"({job.item.order.number})" in text
    for line in ("Ada Lovelace", "12 Analytical Row", "Flat 3", "01101 Springfield", "US"):
        assert f"({line})" in text, line
    assert f"Print job #{job.pk}" in text
    assert "Solo portrait, 100 mm tall" in text
    assert "/Subtype /Image" in text and "/Width 64" in text and "/Height 96" in text
    assert NO_RENDER_TEXT not in text


def test_a_job_without_a_render_still_gets_a_slip(operator_client):
    job = packed_job(renders=[])
    response = operator_client.get(slip_url(job))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert f"({job.item.order.number})" in text and "(12 Analytical Row)" in text
    assert "/Subtype /Image" not in text
    assert "No render of the approved design" in text


@pytest.mark.parametrize("content", [None, b"not a png at all"])
def test_a_render_gone_or_broken_gives_the_placeholder(operator_client, content):
    name = "revisions/renders/missing.png"
    if content is not None:
        name = default_storage.save("revisions/renders/broken.png", ContentFile(content))
    job = packed_job(renders=[name])
    response = operator_client.get(slip_url(job))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "/Subtype /Image" not in text and "No render of the approved design" in text


def test_a_reprint_says_so_and_the_customer_name_is_the_fallback(operator_client):
    original = job_in_state("shipped")
    job = packed_job()
    PrintJob.objects.filter(pk=job.pk).update(is_reprint=True, reprint_of=original, charge_cents=0)
    Order.objects.filter(pk=job.item.order_id).update(ship_name="")
    Customer.objects.filter(pk=job.item.order.customer_id).update(name="Grace Hopper")
    text = pdf_text(operator_client.get(slip_url(job)).content)
    assert f"Reprint job #{job.pk} of print job #{original.pk}" in text
    assert "(Grace Hopper)" in text


def test_the_job_page_has_the_packing_slip_button(operator_client):
    job = packed_job()
    html = operator_client.get(f"/admin/printing/printjob/{job.pk}/change/").content.decode()
    assert f'href="{slip_url(job)}" id="packing-slip-link"' in html


def test_a_sculptor_gets_403_and_an_unknown_job_404(operator_client):
    job = packed_job()
    sculptor = Client()
    sculptor.force_login(staff_user("slip-sculptor", "Sculptors"))
    assert sculptor.get(slip_url(job)).status_code == 403
    assert operator_client.get("/admin/printing/printjob/999999/packing-slip/").status_code == 404
