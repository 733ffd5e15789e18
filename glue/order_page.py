"""The customer's order page, composed from the apps that own its parts.

``orders`` gives the order, its items, photos, payments and timeline; ``revisions`` the rounds the
customer has been shown; ``printing`` the parcels and the Design Guarantee claims; ``digital`` the
approved design's downloads. The API (``GET orders/{number}/``) and the portal
page answer the same data. A constant number of queries whatever the number of items.
"""

from __future__ import annotations

from typing import Any

from digital.selectors import downloads_by_item
from orders import selectors as order_selectors
from orders.models import Order
from printing.selectors import guarantee_claims_by_item, tracking_by_item
from revisions.selectors import published_rounds_by_item


def order_page(order: Order, request=None, *, staff: bool = False) -> dict[str, Any]:
    """The order as the API and the portal show it (see the module docstring)."""
    detail = order_selectors.order_detail(order, request, staff=staff)
    item_ids = [item["id"] for item in detail["items"]]
    rounds = published_rounds_by_item(item_ids, request)
    parcels = tracking_by_item(item_ids)
    claims = guarantee_claims_by_item(item_ids)
    downloads = downloads_by_item(item_ids)
    for item in detail["items"]:
        item["revisions"] = rounds[item["id"]]
        item["tracking"] = parcels[item["id"]]
        item["guarantee_claims"] = claims[item["id"]]
        item["downloads"] = downloads[item["id"]]["downloads"]
        item["downloads_status"] = downloads[item["id"]]["downloads_status"]
    detail["tracking"] = [parcel for item in detail["items"] for parcel in item["tracking"]]
    return detail
