"""An order as the customer's order page shows it: figurines with photos, published rounds, a parcel."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from orders import events
from orders.models import ItemStatus, OrderStatus, Payment, PaymentStatus, Photo
from printing.models import PrintJobStatus
from revisions.models import RevisionStatus
from tests.factories import ItemFactory, OrderFactory, PrintJobFactory, RevisionFactory

#: A photo finding with its measures, as the photo check writes it.
BLURRY = {
    "code": "blurry",
    "severity": "warning",
    "message": "A little soft.",
    "advice": "Hold still.",
    "sharpness": 41.5,
}


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 120, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


def order_with_items(count: int):
    """A paid order of `count` figurines: each with two photos and a published round; the first shipped."""
    order = OrderFactory(status=OrderStatus.IN_DESIGN)
    Payment.objects.create(
        order=order, provider="offline", status=PaymentStatus.SUCCEEDED, amount_cents=order.total_cents
    )
    events.order_placed_event(order=order, actor="customer", items=count, total_cents=order.total_cents)
    for index in range(count):
        item = ItemFactory(order=order, status=ItemStatus.IN_REVIEW, persons=1 + index % 2)
        for kind, shade in (("front", 10 * index), ("side", 10 * index + 5)):
            Photo.objects.create(
                item=item,
                kind=kind,
                image=ContentFile(_jpeg(shade), name=f"{kind}.jpg"),
                sha256=f"{index}{kind}",
                is_usable=True,
                report={"acceptable": True, "issues": [BLURRY] if kind == "side" else []},
            )
        revision = RevisionFactory(item=item, status=RevisionStatus.PUBLISHED, published_at=timezone.now())
        if index == 0:
            PrintJobFactory(
                revision=revision,
                item=item,
                status=PrintJobStatus.SHIPPED,
                carrier="DHL",
                tracking_number=f"JD{order.pk:06d}",
                shipped_at=timezone.now(),
            )
    return order
