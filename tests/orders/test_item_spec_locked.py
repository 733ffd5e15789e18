"""What the customer paid for and approved stays what it is: an item's product line, size, persons and price
are final from payment on, its style from approval on, in the admin and in the services alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Item, ItemStatus, Order, OrderStatus
from orders.services import item_change_spec
from studio.errors import ApplicationError, Conflict
from tests.admin_forms import change_form_data
from tests.factories import ItemFactory, OrderFactory, approved_item

pytestmark = pytest.mark.django_db


def _change_url(item: Item) -> str:
    return f"/admin/orders/item/{item.pk}/change/"


def _unpaid_item() -> Item:
    order = OrderFactory(
        status=OrderStatus.PENDING_PAYMENT,
        subtotal_cents=22900,
        total_cents=22900,
        stripe_checkout_session_id="cs_test_old",
        stripe_checkout_url="https://checkout.stripe.test/c/pay/cs_test_old",
        stripe_checkout_expires_at=timezone.now() + timedelta(hours=20),
    )
    return ItemFactory(order=order, product_line="solo", height_mm=150)


def _paid_item_in_design() -> Item:
    order = OrderFactory(status=OrderStatus.IN_DESIGN, paid_at=timezone.now())
    return ItemFactory(order=order, status=ItemStatus.SCULPTING)


def _spec(item: Item) -> tuple:
    item = Item.objects.get(pk=item.pk)
    return (
        item.product_line,
        item.height_mm,
        item.persons,
        item.unit_price_cents,
        item.price_cents,
        item.style,
    )


def _totals(order: Order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return (order.subtotal_cents, order.shipping_cents, order.total_cents)


# ------------------------------------------------------------------------------------------ the predicate
def test_the_spec_is_open_only_while_the_order_waits_for_its_payment():
    unpaid = _unpaid_item()
    assert not unpaid.spec_locked and not unpaid.design_locked
    paid = _paid_item_in_design()
    assert paid.spec_locked and not paid.design_locked
    approved = approved_item()
    assert approved.spec_locked and approved.design_locked
    cancelled = ItemFactory(status=ItemStatus.CANCELLED)
    assert cancelled.spec_locked and cancelled.design_locked
    marked_paid = ItemFactory(order=OrderFactory(paid_at=timezone.now()))
    assert marked_paid.spec_locked


# ------------------------------------------------------------------------------------------ the admin form
def test_posting_another_size_and_product_to_an_approved_item_changes_nothing(admin_client):
    item = approved_item(height_mm=150)
    before, totals = _spec(item), _totals(item.order)
    page = admin_client.get(_change_url(item)).content.decode()
    for field in ("product_line", "height_mm", "persons", "style", "price_cents"):
        assert f'name="{field}"' not in page, field
    data = change_form_data(
        admin_client,
        _change_url(item),
        product_line="couple",
        height_mm=200,
        persons=2,
        style="chibi",
        price_cents=100,
        unit_price_cents=100,
        notes="operator note",
    )
    response = admin_client.post(_change_url(item), data)
    assert response.status_code == 302
    assert _spec(item) == before and _totals(item.order) == totals
    assert Item.objects.get(pk=item.pk).notes == "operator note"  # what may change still does


def test_a_paid_item_keeps_its_spec_but_its_style_may_change_before_approval(admin_client):
    item = _paid_item_in_design()
    data = change_form_data(admin_client, _change_url(item), height_mm=200, product_line="pet", style="chibi")
    assert admin_client.post(_change_url(item), data).status_code == 302
    after = Item.objects.get(pk=item.pk)
    assert (after.product_line, after.height_mm, after.price_cents) == ("solo", 150, 22900)
    assert after.style == "chibi"


def test_before_payment_a_change_of_size_is_priced_again(admin_client):
    item = _unpaid_item()
    data = change_form_data(admin_client, _change_url(item), height_mm=200)
    assert admin_client.post(_change_url(item), data).status_code == 302
    after = Item.objects.get(pk=item.pk)
    assert (after.height_mm, after.unit_price_cents, after.price_cents) == (200, 32900, 32900)
    order = Order.objects.get(pk=item.order_id)
    assert (order.subtotal_cents, order.total_cents) == (32900, 32900 + order.shipping_cents)
    # the stored payment page was for the old total: the next one is made for the new total
    assert order.stripe_checkout_url == "" and order.stripe_checkout_expires_at is None
    assert order.events.filter(type="checkout_closed").exists()


def test_before_payment_a_size_the_catalog_does_not_sell_is_a_form_error(admin_client):
    item = _unpaid_item()
    before, totals = _spec(item), _totals(item.order)
    data = change_form_data(admin_client, _change_url(item), height_mm=175)
    response = admin_client.post(_change_url(item), data)
    assert response.status_code == 200 and "175 mm is not available" in response.content.decode()
    assert _spec(item) == before and _totals(item.order) == totals


def test_items_are_not_added_in_the_admin(admin_client):
    order = OrderFactory()
    assert admin_client.get("/admin/orders/item/add/").status_code == 403
    response = admin_client.post(
        "/admin/orders/item/add/",
        {"order": order.pk, "product_line": "solo", "height_mm": 100, "persons": 1, "style": "realistic"},
    )
    assert response.status_code == 403 and not order.items.exists()


# ------------------------------------------------------------------------------------------ the service
@pytest.mark.parametrize("make", [approved_item, _paid_item_in_design], ids=["approved", "paid"])
def test_the_service_refuses_a_locked_spec(make):
    item = make()
    before, totals = _spec(item), _totals(item.order)
    with pytest.raises(Conflict) as refused:
        item_change_spec(item_id=item.pk, product_line="couple", height_mm=200, persons=2)
    assert refused.value.status_code == 409 and "can no longer change" in refused.value.message
    assert _spec(item) == before and _totals(item.order) == totals


def test_the_service_refuses_a_new_style_after_approval():
    item = approved_item()
    with pytest.raises(Conflict):
        item_change_spec(
            item_id=item.pk,
            product_line=item.product_line,
            height_mm=item.height_mm,
            persons=1,
            style="chibi",
        )
    assert Item.objects.get(pk=item.pk).style == "realistic"


def test_the_service_prices_a_permitted_change_and_refuses_what_is_not_sold():
    item = _unpaid_item()
    changed = item_change_spec(item_id=item.pk, product_line="family", height_mm=100, persons=3)
    assert (changed.product_line, changed.persons, changed.unit_price_cents, changed.price_cents) == (
        "family",
        3,
        13900,
        3 * 13900,
    )
    assert _totals(item.order)[0] == 3 * 13900
    with pytest.raises(ApplicationError) as refused:
        item_change_spec(item_id=item.pk, product_line="pet", height_mm=200, persons=1)
    assert refused.value.status_code == 400
    assert _spec(item)[:3] == ("family", 100, 3)
