"""The packing slip of a print job: one PDF page that goes in the parcel (and on the packing table).

It says whose parcel it is (the order number, the customer's name and shipping address), what is in it
(the figurine's product line and height, the print or reprint job), and shows the figurine: the first
turntable render (PNG) of the approved revision the job prints, read from storage; a line of text in its
place when there is none (renders not made yet, the file gone, the storage unreachable).

Drawn with ReportLab (text stays text: searchable, sharp when printed, readable by tests), with
``invariant=1`` (the same job gives the same bytes) and page streams left uncompressed (a one-page slip
is small; the render inside stays compressed).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

from orders.portal_presenter import studio_date
from printing import roles
from printing.models import PrintJob
from studio.errors import StorageUnavailable
from studio.permissions import missing_permissions
from studio.storage import open_stored

logger = logging.getLogger(__name__)

STUDIO_NAME = "Figurine Studio"
NO_RENDER_TEXT = "No render of the approved design is available for this job."
#: The largest render the slip reads (a turntable PNG is far smaller).
MAX_RENDER_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SlipContent:
    """What the slip says, in words (and the render's bytes, when there is one)."""

    order_number: str
    customer_name: str
    address_lines: list[str]
    figurine: str
    job_line: str
    approved_sha256: str
    render_png: bytes | None
    printed_on: str


def render_name(job: PrintJob) -> str | None:
    """The storage name of the approved revision's first PNG render (None when it has none)."""
    for name in job.revision.renders or []:
        if isinstance(name, str) and name.lower().endswith(".png"):
            return name
    return None


def render_bytes(job: PrintJob) -> bytes | None:
    """The first render's PNG, or None when there is none or it cannot be read as an image."""
    name = render_name(job)
    if not name:
        return None
    try:
        with open_stored(name) as stored:
            data = stored.read(MAX_RENDER_BYTES + 1)
        if len(data) > MAX_RENDER_BYTES:
            raise ValueError("render too large")
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (FileNotFoundError, StorageUnavailable, UnidentifiedImageError, OSError, ValueError):
        logger.warning("packing slip of print job %s: render %s unreadable", job.pk, name, exc_info=True)
        return None
    return data


def address_lines(order) -> list[str]:
    """The shipping address as it goes on the label: street lines, then postcode and city, then country."""
    city = " ".join(part for part in (order.ship_postcode, order.ship_city) if part)
    lines = [order.ship_line1, order.ship_line2, city, order.ship_country]
    return [line.strip() for line in lines if line and line.strip()]


def slip_content(job: PrintJob) -> SlipContent:
    item = job.item
    order = item.order
    if job.is_reprint:
        origin = f" of print job #{job.reprint_of_id}" if job.reprint_of_id else ""
        job_line = f"Reprint job #{job.pk}{origin} (free, Design Guarantee)"
    else:
        job_line = f"Print job #{job.pk}"
    return SlipContent(
        order_number=order.number,
        customer_name=order.ship_name or order.customer.name or order.customer.email,
        address_lines=address_lines(order),
        figurine=f"{item.get_product_line_display()}, {job.height_mm} mm tall (item {item.pk})",
        job_line=job_line,
        approved_sha256=job.approved_sha256,
        render_png=render_bytes(job),
        printed_on=studio_date(timezone.now(), with_time=True),
    )


# ----------------------------------------------------------------------------------------------- drawing
def _lines(pdf: canvas.Canvas, x: float, y: float, lines: list[str], *, font: str, size: float, width: float):
    """Draw `lines` (each wrapped to `width`) from `y` down; returns the y below the last one."""
    pdf.setFont(font, size)
    for line in lines:
        for part in simpleSplit(line, font, size, width) or [""]:
            pdf.drawString(x, y, part)
            y -= size * 1.35
    return y


def _draw_render(pdf: canvas.Canvas, png: bytes | None, x: float, top: float, box: float) -> None:
    """The render fitted (aspect kept) into a square of `box` points whose top-left corner is (x, top)."""
    pdf.setStrokeColorRGB(0.75, 0.75, 0.75)
    pdf.rect(x, top - box, box, box)
    if png is None:
        pdf.setFont("Helvetica-Oblique", 10)
        for i, part in enumerate(simpleSplit(NO_RENDER_TEXT, "Helvetica-Oblique", 10, box - 24)):
            pdf.drawString(x + 12, top - box / 2 + 6 - i * 13, part)
        return
    image = ImageReader(io.BytesIO(png))
    width, height = image.getSize()
    scale = min((box - 12) / width, (box - 12) / height)
    w, h = width * scale, height * scale
    pdf.drawImage(image, x + (box - w) / 2, top - box + (box - h) / 2, w, h, mask="auto")


def packing_slip_pdf(job: PrintJob) -> bytes:
    """The slip of `job` as PDF bytes (one page, US Letter)."""
    content = slip_content(job)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1, pageCompression=0)
    pdf.setTitle(f"Packing slip {content.order_number}, job #{job.pk}")
    pdf.setAuthor(STUDIO_NAME)
    page_w, page_h = letter
    left, right = 0.8 * inch, page_w - 0.8 * inch
    y = page_h - 0.9 * inch

    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(left, y, f"{STUDIO_NAME} · Packing slip")
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(right, y, f"Printed {content.printed_on}")
    y -= 0.5 * inch
    pdf.setFont("Helvetica", 10)
    pdf.drawString(left, y, "Order")
    pdf.setFont("Helvetica-Bold", 24)
    pdf.drawString(left, y - 28, content.order_number)
    y -= 0.9 * inch

    column = (right - left) / 2 - 12
    top = y
    pdf.setFont("Helvetica", 10)
    pdf.drawString(left, y, "Ship to")
    y = _lines(pdf, left, y - 18, [content.customer_name], font="Helvetica-Bold", size=13, width=column)
    y = _lines(
        pdf,
        left,
        y,
        content.address_lines or ["(no shipping address)"],
        font="Helvetica",
        size=12,
        width=column,
    )

    y -= 12
    pdf.setFont("Helvetica", 10)
    pdf.drawString(left, y, "In this parcel")
    y = _lines(
        pdf, left, y - 18, [content.figurine, content.job_line], font="Helvetica", size=11, width=column
    )
    y = _lines(
        pdf,
        left,
        y - 4,
        [f"Approved file SHA-256 {content.approved_sha256[:16]}…"],
        font="Helvetica",
        size=8,
        width=column,
    )

    box = min(right - (left + column + 24), 3.4 * inch)
    _draw_render(pdf, content.render_png, right - box, top + 4, box)
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(right, top + 4 - box - 12, "The approved design")

    y = min(y, top - box) - 0.6 * inch
    pdf.setFont("Helvetica", 10)
    pdf.drawString(left, y, "Packed by ____________________    Checked against the render  [  ]")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(
        left,
        0.7 * inch,
        "Thank you for your order. Questions about your figurine: reply to your order e-mail.",
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------------- view
def packing_slip_view(modeladmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The job's slip, opened in the browser to print (the print queue's view permission; else 403)."""
    if missing_permissions(request.user, roles.VIEW_QUEUE):
        raise PermissionDenied
    if not str(object_id).isdigit():
        raise Http404
    job = get_object_or_404(
        PrintJob.objects.select_related("item__order__customer", "revision"), pk=int(object_id)
    )
    response = HttpResponse(packing_slip_pdf(job), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="packing-slip-{job.item.order.number}-job-{job.pk}.pdf"'
    )
    response["Cache-Control"] = "private, no-cache"
    return response
