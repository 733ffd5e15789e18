"""Order services: the only code that writes orders, items, photos and payments.

* ``transitions`` — order and item state changes (guarded, audited, follow-ups after commit);
* ``catalog`` — the size and price catalog: a figurine's price, shipping;
* ``ordering`` — pricing and creating an order;
* ``items`` — changing an item's spec while :attr:`Item.spec_locked` allows it;
* ``photos`` — photo intake and ``item_mark_ready_if_possible``;
* ``payments`` — Stripe Checkout, offline payments and refunds;
* ``stripe_events`` — the Stripe webhook events, each applied once;
* ``portal`` — single-use sign-in links, portal tokens (re-issue, revoke) and customer e-mails.
"""

from orders.services.catalog import ItemPrice, ShippingTerms, catalog_price, shipping_price, shipping_terms
from orders.services.items import is_sculptor, item_assign_sculptor, item_change_spec, item_spec_locked_error
from orders.services.ordering import ItemRequest, OrderQuote, order_create, order_number_generate, order_quote
from orders.services.payments import checkout_session_create, order_mark_paid_offline, order_refund
from orders.services.photos import item_mark_ready_if_possible, photo_delete, photo_upload
from orders.services.portal import (
    LoginLinkSpent,
    customer_email_send,
    login_link_url,
    magic_link_url,
    portal_login_link_request,
    portal_login_link_spend,
    portal_token_reissue,
    portal_token_revoke,
    send_order_confirmation,
)
from orders.services.stripe_events import stripe_event_process
from orders.services.transitions import (
    ITEM_FOLLOW_UPS,
    ORDER_FOLLOW_UPS,
    item_transition,
    order_sync_status,
    order_target_status,
    order_transition,
)

__all__ = [
    "ItemPrice",
    "ShippingTerms",
    "catalog_price",
    "shipping_price",
    "shipping_terms",
    "ITEM_FOLLOW_UPS",
    "ORDER_FOLLOW_UPS",
    "ItemRequest",
    "OrderQuote",
    "checkout_session_create",
    "item_assign_sculptor",
    "item_change_spec",
    "is_sculptor",
    "item_mark_ready_if_possible",
    "item_spec_locked_error",
    "item_transition",
    "LoginLinkSpent",
    "customer_email_send",
    "login_link_url",
    "magic_link_url",
    "portal_login_link_request",
    "portal_login_link_spend",
    "order_create",
    "order_mark_paid_offline",
    "order_number_generate",
    "order_quote",
    "order_refund",
    "order_sync_status",
    "order_target_status",
    "order_transition",
    "photo_delete",
    "photo_upload",
    "portal_token_reissue",
    "portal_token_revoke",
    "send_order_confirmation",
    "stripe_event_process",
]
