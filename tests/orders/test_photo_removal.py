"""Removing a photo, by the one rule of ``Photo.removal_refusal``, through the portal and the API alike:
a photo the check rejected can be removed after payment too, while the figurine is at the photo stage;
a good photo after payment, and any photo once reconstruction started, is kept with a clear refusal
(a message on the portal page, a 409 in the house error shape from the API)."""

from __future__ import annotations

import lxml.html
import pytest

from orders.models import Item, ItemStatus, Order, Photo
from orders.services import item_transition, order_mark_paid_offline
from tests.kits.photo.images import blurred, encode, figure_photo, photo_jpeg
from tests.orders.helpers import place_order, portal_header, portal_sign_in, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(client) -> dict:
    data = place_order(client)
    data["item_id"] = data["items"][0]["id"]
    data["auth"] = portal_header(data["portal_token"])
    return data


def add_photo(client, placed, *, good: bool, seed: int) -> Photo:
    data = photo_jpeg(seed=seed) if good else encode(blurred(figure_photo(seed=seed), 6.0), "JPEG")
    response = upload(client, placed["number"], placed["item_id"], data, **placed["auth"])
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.is_usable is good
    return photo


def api_delete(client, placed, photo: Photo):
    return client.delete(
        f"/api/v1/orders/{placed['number']}/items/{placed['item_id']}/photos/{photo.pk}/", **placed["auth"]
    )


def pay(placed) -> None:
    order_mark_paid_offline(order_id=Order.objects.get(number=placed["number"]).pk)


def removable(client, placed) -> dict[int, bool]:
    body = client.get(f"/api/v1/orders/{placed['number']}/", **placed["auth"]).json()
    return {p["id"]: p["removable"] for p in body["items"][0]["photos"]}


def test_before_payment_any_photo_can_be_removed(client, placed, enqueued):
    good = add_photo(client, placed, good=True, seed=1)
    assert removable(client, placed) == {good.pk: True}
    assert api_delete(client, placed, good).status_code == 204
    assert not Photo.objects.exists()


def test_after_payment_the_rejected_photo_goes_and_the_good_one_stays(client, placed, enqueued):
    rejected = add_photo(client, placed, good=False, seed=4)
    good = add_photo(client, placed, good=True, seed=2)
    pay(placed)
    item = Item.objects.get(pk=placed["item_id"])
    assert item.status == ItemStatus.READY_FOR_DESIGN  # paid with a good front photo; not yet reconstructing
    assert removable(client, placed) == {rejected.pk: True, good.pk: False}

    refused = api_delete(client, placed, good)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "conflict" and body["extra"]["code"] == "photo_kept"
    assert "paid" in body["message"] and "passed the check" in body["message"]
    assert Photo.objects.filter(pk=good.pk).exists()

    assert api_delete(client, placed, rejected).status_code == 204
    assert list(Photo.objects.values_list("pk", flat=True)) == [good.pk]
    item.refresh_from_db()
    assert item.status == ItemStatus.READY_FOR_DESIGN


def test_once_reconstruction_started_no_photo_is_removed(client, placed, enqueued):
    rejected = add_photo(client, placed, good=False, seed=4)
    add_photo(client, placed, good=True, seed=2)
    pay(placed)
    item_transition(item_id=placed["item_id"], to=ItemStatus.RECONSTRUCTING)
    assert set(removable(client, placed).values()) == {False}
    refused = api_delete(client, placed, rejected)
    assert refused.status_code == 409 and refused.json()["extra"]["status"] == "reconstructing"
    assert "can no longer be removed" in refused.json()["message"]
    assert Photo.objects.count() == 2


def test_an_unknown_photo_is_404(client, placed):
    response = client.delete(
        f"/api/v1/orders/{placed['number']}/items/{placed['item_id']}/photos/999999/", **placed["auth"]
    )
    assert response.status_code == 404 and set(response.json()) == {"message", "code", "extra"}


# ---- the portal ------------------------------------------------------------------------------------------


def portal_page(client, placed, response=None) -> lxml.html.HtmlElement:
    response = response or client.get(f"/portal/orders/{placed['number']}/")
    assert response.status_code == 200, response.content
    return lxml.html.fromstring(response.content.decode())


def photo_box(doc, photo: Photo):
    (box,) = doc.xpath(f'//*[@id="photo-{photo.pk}"]')
    return box


def portal_remove(client, placed, photo: Photo):
    return client.post(
        f"/portal/orders/{placed['number']}/items/{placed['item_id']}/photos/{photo.pk}/delete/", follow=True
    )


def page_messages(doc) -> list[str]:
    return [" ".join(li.text_content().split()) for li in doc.xpath('//ul[@class="messages"]/li')]


def test_the_portal_removes_a_rejected_photo_after_payment_and_keeps_the_good_one(client, placed, enqueued):
    rejected = add_photo(client, placed, good=False, seed=4)
    good = add_photo(client, placed, good=True, seed=2)
    pay(placed)
    portal_sign_in(client, placed["portal_url"])

    doc = portal_page(client, placed)
    assert photo_box(doc, rejected).xpath('.//*[@data-testid="photo-remove"]')
    kept = photo_box(doc, good)
    assert not kept.xpath('.//*[@data-testid="photo-remove"]') and "Kept" in kept.text_content()

    doc = portal_page(client, placed, portal_remove(client, placed, good))  # e.g. from a page left open
    (said,) = page_messages(doc)
    assert "this photo passed the check" in said
    assert Photo.objects.filter(pk=good.pk).exists()

    doc = portal_page(client, placed, portal_remove(client, placed, rejected))
    assert page_messages(doc) == ["Photo removed."]
    assert not doc.xpath(f'//*[@id="photo-{rejected.pk}"]') and doc.xpath(f'//*[@id="photo-{good.pk}"]')


def test_the_portal_says_why_once_reconstruction_started(client, placed, enqueued):
    rejected = add_photo(client, placed, good=False, seed=4)
    add_photo(client, placed, good=True, seed=2)
    pay(placed)
    item_transition(item_id=placed["item_id"], to=ItemStatus.RECONSTRUCTING)
    portal_sign_in(client, placed["portal_url"])
    assert not portal_page(client, placed).xpath('//*[@data-testid="photo-remove"]')
    doc = portal_page(client, placed, portal_remove(client, placed, rejected))
    (said,) = page_messages(doc)
    assert "reconstructing" in said and "can no longer be removed" in said
    assert Photo.objects.filter(pk=rejected.pk).exists()
