"""Pricing an order from the catalog and creating it (customer, items, portal token, checkout)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from orders import events
from orders.auth import portal_token_issue
from orders.models import DIGITAL_ONLY_LINES, Customer, Item, Order, Style
from orders.services.catalog import catalog_price, shipping_price
from studio.errors import ApplicationError

logger = logging.getLogger(__name__)

#: Order numbers use letters and digits nobody confuses when reading them aloud (no 0/O, 1/I/L).
ORDER_NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ORDER_NUMBER_LENGTH = 6
MAX_ITEMS_PER_ORDER = 20


@dataclass(frozen=True)
class ItemRequest:
    """One figurine as the customer asks for it."""

    product_line: str
    height_mm: int
    persons: int = 1
    style: str = Style.REALISTIC
    notes: str = ""


@dataclass
class PricedItem:
    request: ItemRequest
    unit_price_cents: int
    price_cents: int


@dataclass
class OrderQuote:
    """The price of an order in integer cents: items, subtotal, shipping, total."""

    items: list[PricedItem]
    subtotal_cents: int
    shipping_cents: int
    total_cents: int
    currency: str = field(default_factory=lambda: settings.STUDIO_CURRENCY)


@dataclass
class OrderCreated:
    order: Order
    portal_token: str  # raw, shown once
    portal_url: str
    checkout_url: str | None


def order_quote(*, items: list[ItemRequest]) -> OrderQuote:
    """Price items from the catalog (per person for family sets) and add shipping."""
    if not items:
        raise ApplicationError("An order needs at least one figurine.")
    if len(items) > MAX_ITEMS_PER_ORDER:
        raise ApplicationError(f"An order holds at most {MAX_ITEMS_PER_ORDER} figurines.")
    priced: list[PricedItem] = []
    for request in items:
        if request.style not in Style.values:
            raise ApplicationError(f"Style must be one of {', '.join(Style.values)}, not '{request.style}'.")
        price = catalog_price(
            product_line=request.product_line, height_mm=request.height_mm, persons=request.persons
        )
        priced.append(PricedItem(request, price.unit_price_cents, price.price_cents))
    subtotal = sum(p.price_cents for p in priced)
    digital_only = all(p.request.product_line in DIGITAL_ONLY_LINES for p in priced)  # nothing to ship
    shipping = 0 if digital_only else shipping_price(subtotal_cents=subtotal)
    return OrderQuote(
        items=priced, subtotal_cents=subtotal, shipping_cents=shipping, total_cents=subtotal + shipping
    )


def order_number_generate() -> str:
    """A readable random order number such as ``FS-7KQ2MX``."""
    return "FS-" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(ORDER_NUMBER_LENGTH))


def _customer_for_order(*, email: str, name: str, phone: str = "") -> Customer:
    email = email.strip().lower()
    customer, created = Customer.objects.get_or_create(
        email=email, defaults={"name": name.strip(), "phone": phone}
    )
    if not created and not customer.name and name.strip():
        customer.name = name.strip()
        customer.save(update_fields=["name"])
    return customer


def order_create(
    *,
    email: str,
    name: str,
    items: list[ItemRequest],
    shipping: dict[str, str] | None = None,
    phone: str = "",
    notes: str = "",
    send_email: bool = True,
    checkout: bool = True,
) -> OrderCreated:
    """Create a priced order in ``pending_payment`` with its items, a portal token and (online) a checkout.

    ``checkout=False`` opens no Stripe Checkout even online (an order an operator marks paid offline).

    The token is scoped to this order: whoever ordered with an e-mail address sees this order, not the
    address owner's earlier orders. ``portal_url`` is a single-use sign-in link (scoped the same way);
    the confirmation e-mail carries a sign-in link of its own.
    """
    from orders.services.payments import checkout_session_create, stripe_online
    from orders.services.portal import login_link_url, send_order_confirmation

    quote = order_quote(items=items)
    shipping = shipping or {}
    with transaction.atomic():
        customer = _customer_for_order(email=email, name=name, phone=phone)
        order = None
        for _attempt in range(10):
            try:
                with transaction.atomic():
                    order = Order.objects.create(
                        number=order_number_generate(),
                        customer=customer,
                        currency=quote.currency,
                        subtotal_cents=quote.subtotal_cents,
                        shipping_cents=quote.shipping_cents,
                        total_cents=quote.total_cents,
                        ship_name=shipping.get("name", "") or name,
                        ship_line1=shipping.get("line1", ""),
                        ship_line2=shipping.get("line2", ""),
                        ship_city=shipping.get("city", ""),
                        ship_postcode=shipping.get("postcode", ""),
                        ship_country=(shipping.get("country", "") or "").upper(),
                        notes=notes,
                    )
                break
            except IntegrityError:
                continue  # the random number was taken: draw again
        if order is None:  # pragma: no cover - 31**6 numbers
            raise ApplicationError("Could not allocate an order number; please try again.")
        for priced in quote.items:
            request = priced.request
            Item.objects.create(
                order=order,
                product_line=request.product_line,
                height_mm=request.height_mm,
                persons=request.persons,
                style=request.style,
                notes=request.notes,
                unit_price_cents=priced.unit_price_cents,
                price_cents=priced.price_cents,
            )
        raw_token = portal_token_issue(customer=customer, order=order)
        portal_url = login_link_url(customer=customer, order=order, reason="order_answer")
        events.order_placed_event(
            order=order,
            actor=f"customer:{customer.email}",
            items=len(quote.items),
            total_cents=quote.total_cents,
        )
        if send_email:
            transaction.on_commit(lambda: send_order_confirmation(order_id=order.pk))

    checkout_url = None
    if checkout and stripe_online():
        try:
            checkout_url = checkout_session_create(order_id=order.pk)
        except ApplicationError as exc:
            logger.warning("checkout for %s not created now (the portal retries): %s", order.number, exc)
    return OrderCreated(order=order, portal_token=raw_token, portal_url=portal_url, checkout_url=checkout_url)
