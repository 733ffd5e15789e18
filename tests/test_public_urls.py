"""Addresses the studio writes into e-mails and Stripe: PUBLIC_BASE_URL + the routed path (studio.http.public_url)."""

from __future__ import annotations

import pytest

from orders.services.payments import checkout_session_params
from orders.services.portal import magic_link_url, order_portal_url
from studio.http import public_url
from tests.factories import ItemFactory


@pytest.fixture(autouse=True)
def _base(settings):
    settings.PUBLIC_BASE_URL = "https://studio.example"


def test_public_urls_are_the_base_and_the_routed_path():
    assert public_url("portal-home") == "https://studio.example/portal/"
    assert public_url("portal-login", "tok-en_1") == "https://studio.example/portal/login/tok-en_1/"
    assert public_url("portal-order", "FS-00042") == "https://studio.example/portal/orders/FS-00042/"
    assert public_url("portal-revision", 7) == "https://studio.example/portal/revisions/7/"
    assert (
        public_url("admin:revisions_item_page", 9)
        == "https://studio.example/admin/revisions/revision/item/9/"
    )


def test_magic_links_order_pages_and_checkout_returns_use_them(db):
    item = ItemFactory()
    order = item.order
    assert magic_link_url("abc") == "https://studio.example/portal/login/abc/"
    assert order_portal_url(order) == f"https://studio.example/portal/orders/{order.number}/"
    params = checkout_session_params(order)
    assert params["success_url"] == f"https://studio.example/portal/orders/{order.number}/?checkout=success"
    assert params["cancel_url"] == f"https://studio.example/portal/orders/{order.number}/?checkout=cancelled"
