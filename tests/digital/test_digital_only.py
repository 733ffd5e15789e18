"""The "3D model only" product line: priced from the catalog ($49 by default, no shipping), its item goes
``approved → delivered`` once its digital files are made, with no print job, and the customer is told; a
printed figurine can never take that move, and a digital-only one never goes to production."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from digital.models import DigitalFile
from digital.services import digital_item_deliver
from digital.tasks import make_digital_files, send_files_delivered_email
from kits.printfiles.digital import DIGITAL_FORMATS
from orders.models import Item, ItemStatus, Order, OrderEvent, OrderStatus, ProductLine
from orders.services import order_mark_paid_offline
from orders.services.transitions import item_transition
from printing.models import PrintJob
from printing.selectors import items_ready_to_print
from printing.services import print_job_create
from revisions.services import revision_approve, revision_publish
from studio.errors import ApplicationError, Conflict, TransitionNotAllowed
from tests.factories import OrderFactory, approved_item, printer
from tests.orders.helpers import place_order
from tests.revisions.conftest import make_ready_round

pytestmark = pytest.mark.django_db

DIGITAL = [{"product_line": "digital", "height_mm": 150, "style": "realistic", "notes": ""}]


def test_the_catalog_sells_it_at_49_dollars_without_shipping(client):
    line = ProductLine.objects.get(code="digital")
    assert line.name == "3D model only" and line.active
    assert set(line.sizes.values_list("height_mm", "price_cents")) == {(100, 4900), (150, 4900), (200, 4900)}
    lines = {entry["code"]: entry for entry in client.get("/api/v1/catalog/").json()["product_lines"]}
    assert lines["digital"]["name"] == "3D model only"
    assert {size["price_cents"] for size in lines["digital"]["sizes"]} == {4900}
    data = place_order(Client(), email="files@example.com", items=DIGITAL)
    order = Order.objects.get(number=data["number"])
    assert (order.subtotal_cents, order.shipping_cents, order.total_cents) == (4900, 0, 4900)
    line.sizes.filter(height_mm=150).update(price_cents=5900)  # an operator's price in the admin
    again = Order.objects.get(number=place_order(Client(), email="more@example.com", items=DIGITAL)["number"])
    assert again.total_cents == 5900


def test_a_digital_only_order_goes_from_payment_to_delivered_with_its_files_and_no_print_job(
    sculptor, operator, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.DIGITAL_GAME_TRIANGLES = 500
    data = place_order(Client(), email="files@example.com", items=DIGITAL)
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    order_mark_paid_offline(order_id=order.pk, user=operator, method="bank transfer")
    # the design road is the figurines' (photos, sculpting): played through the same services
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.SCULPTING, assigned_sculptor=sculptor)
    revision = make_ready_round(item, sculptor)
    revision_publish(revision_id=revision.pk, user=sculptor)
    with django_capture_on_commit_callbacks(execute=True):
        revision_approve(revision_id=revision.pk, customer=order.customer, confirm=True)
    assert ("digital.tasks.make_digital_files", (item.pk,), None) in enqueued
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED and item not in items_ready_to_print()

    with django_capture_on_commit_callbacks(execute=True):
        result = make_digital_files(item.pk)  # the worker runs the task the approval enqueued
    assert result["status"] == "completed", result
    item.refresh_from_db()
    order.refresh_from_db()
    assert item.status == ItemStatus.DELIVERED and order.status == OrderStatus.DELIVERED
    assert sorted(DigitalFile.objects.filter(item=item).values_list("format", flat=True)) == sorted(
        DIGITAL_FORMATS
    )
    assert not PrintJob.objects.filter(item=item).exists()
    moves = list(
        OrderEvent.objects.filter(item=item, type="status_changed", subject="item").values_list(
            "from_status", "to_status"
        )
    )
    assert moves[-1] == ("approved", "delivered")
    order_moves = list(
        OrderEvent.objects.filter(order=order, type="status_changed", subject="order").values_list(
            "to_status", flat=True
        )
    )
    assert (
        "in_production" not in order_moves and "shipped" not in order_moves and order_moves[-1] == "delivered"
    )

    # the customer is told, once, in their words, with a way in
    assert ("digital.tasks.send_files_delivered_email", (item.pk,), None) in enqueued
    mail.outbox.clear()
    assert send_files_delivered_email(item.pk) is True
    assert send_files_delivered_email(item.pk) is False
    (message,) = mail.outbox
    assert message.to == ["files@example.com"] and "ready to download" in message.subject
    assert '"Your 3D files"' in message.body and "Nothing is printed or shipped" in message.body
    assert "/portal/login/" in message.body
    # and the order page lists the six downloads
    answer = Client().get(
        f"/api/v1/orders/{order.number}/", HTTP_AUTHORIZATION=f"Portal {data['portal_token']}"
    )
    downloads = answer.json()["items"][0]["downloads"]
    assert sorted(d["format"] for d in downloads) == sorted(DIGITAL_FORMATS)
    # a re-delivered task changes nothing
    assert make_digital_files(item.pk) is None
    assert Item.objects.get(pk=item.pk).status == ItemStatus.DELIVERED


def test_a_printed_item_cannot_go_approved_to_delivered(enqueued):
    item = approved_item(height_mm=100)
    make_digital_files(item.pk)  # its files are made too, at no charge
    assert DigitalFile.objects.filter(item=item).count() == len(DIGITAL_FORMATS)
    with pytest.raises(TransitionNotAllowed):
        item_transition(item_id=item.pk, to=ItemStatus.DELIVERED)
    assert digital_item_deliver(item_id=item.pk) is False
    assert Item.objects.get(pk=item.pk).status == ItemStatus.APPROVED
    assert item in items_ready_to_print()


def test_a_digital_only_item_is_not_delivered_before_its_files_nor_ever_printed(enqueued):
    item = approved_item(height_mm=100, order=OrderFactory(status=OrderStatus.APPROVED))
    Item.objects.filter(pk=item.pk).update(product_line="digital")
    with pytest.raises(Conflict, match="not all made"):
        digital_item_deliver(item_id=item.pk)
    assert Item.objects.get(pk=item.pk).status == ItemStatus.APPROVED
    printer()
    with pytest.raises(ApplicationError):
        print_job_create(item_id=item.pk)
    assert not PrintJob.objects.filter(item=item).exists()
    with pytest.raises(TransitionNotAllowed):
        item_transition(item_id=item.pk, to=ItemStatus.IN_PRODUCTION)
    assert Item.objects.get(pk=item.pk).status == ItemStatus.APPROVED
