"""Changing what an item is (product line, size, persons, style) while that is still allowed.

The rule itself is the model's (:attr:`Item.spec_locked`, :attr:`Item.design_locked`); this service
applies it to every write: a change to a locked item is refused with 409 and changes nothing. An allowed
spec change is priced again from the catalog, the order's totals follow, and the order's stored Checkout
(made for the old total) is dropped, so the next payment page charges the new total.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from orders import events
from orders.lock_objects import lock_item
from orders.models import Item, ItemStatus, Style
from orders.roles import SCULPTORS_GROUP
from orders.services.catalog import catalog_price, shipping_price
from studio.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)


def item_spec_locked_error(item: Item) -> Conflict:
    """The refusal for a write to a locked item's spec (one wording for the admin and the services)."""
    if item.design_locked:
        why = f"is {item.get_status_display().lower()}"
    else:
        why = f"is on order {item.order.number}, which is {item.order.get_status_display().lower()}"
    return Conflict(
        f"Figurine {item.pk} {why}: its product line, size, persons and price can no longer change. "
        "Cancel it (with a refund where paid) and order the figurine wanted instead.",
        extra={"item_status": item.status, "order_status": item.order.status},
    )


def _expire_checkout_later(session_id: str) -> None:
    def expire() -> None:
        from orders.stripe_client import expire_checkout_session, stripe_online

        if not stripe_online():
            return
        try:
            expire_checkout_session(session_id)
        except Exception:  # noqa: BLE001 - the webhook still refuses an underpayment of the new total
            logger.exception("could not close the old checkout %s after a change of spec", session_id)

    transaction.on_commit(expire)


def item_change_spec(
    *,
    item_id: int,
    product_line: str,
    height_mm: int,
    persons: int,
    style: str | None = None,
    user: Any = None,
) -> Item:
    """Change an item's product line, size and persons (and style) before its spec is locked.

    Refused with 409 (nothing changed) once :attr:`Item.spec_locked` (paid, approved, cancelled), 400
    when the catalog has no such size. The item is priced again, the order's subtotal, shipping and
    total follow, and a stored Checkout for the old total is dropped (and closed at Stripe).
    """
    with transaction.atomic():
        item = lock_item(item_id)
        order = item.order
        style = item.style if style is None else style
        if style not in Style.values:
            raise ApplicationError(f"Style must be one of {', '.join(Style.values)}, not '{style}'.")
        changed = (item.product_line, item.height_mm, item.persons) != (product_line, height_mm, persons)
        if changed and item.spec_locked:
            raise item_spec_locked_error(item)
        if style != item.style and item.design_locked:
            raise Conflict(
                f"Figurine {item.pk} is {item.get_status_display().lower()}: its style can no longer change.",
                extra={"item_status": item.status},
            )
        if not changed and style == item.style:
            return item
        fields = ["style"]
        item.style = style
        if changed:
            price = catalog_price(product_line=product_line, height_mm=height_mm, persons=persons)
            item.product_line, item.height_mm, item.persons = product_line, height_mm, price.persons
            item.unit_price_cents, item.price_cents = price.unit_price_cents, price.price_cents
            fields += ["product_line", "height_mm", "persons", "unit_price_cents", "price_cents"]
        item.save(update_fields=[*fields, "updated_at"])
        if changed:
            _reprice_order(order, user=user)
    return item


def _reprice_order(order, *, user: Any = None) -> None:
    subtotal = sum(order.items.exclude(status=ItemStatus.CANCELLED).values_list("price_cents", flat=True))
    order.subtotal_cents = subtotal
    order.shipping_cents = shipping_price(subtotal_cents=subtotal)
    order.total_cents = subtotal + order.shipping_cents
    fields = ["subtotal_cents", "shipping_cents", "total_cents", "updated_at"]
    session_id = order.stripe_checkout_session_id
    if order.stripe_checkout_url:
        order.stripe_checkout_url = ""
        order.stripe_checkout_expires_at = None
        fields += ["stripe_checkout_url", "stripe_checkout_expires_at"]
        events.checkout_closed_event(order=order, session_id=session_id)
        if session_id:
            _expire_checkout_later(session_id)
    order.save(update_fields=fields)


def is_sculptor(user: Any) -> bool:
    """An active staff member of the Sculptors group: the only people a figurine is assigned to."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and user.groups.filter(name=SCULPTORS_GROUP).exists()
    )


def item_assign_sculptor(*, item_id: int, sculptor: Any | None, user: Any = None) -> Item:
    """Give the figurine to ``sculptor`` (None: unassign), with a line on its timeline.

    Only a sculptor can be given a figurine; a delivered or cancelled one takes no assignment (409).
    Assigning the one already assigned changes nothing.
    """
    if sculptor is not None and not is_sculptor(sculptor):
        raise ApplicationError(
            f"{sculptor} is not an active sculptor; figurines go to members of the {SCULPTORS_GROUP} group.",
            extra={"field": "sculptor"},
        )
    with transaction.atomic():
        item = lock_item(item_id)
        if item.status in (ItemStatus.DELIVERED, ItemStatus.CANCELLED):
            raise Conflict(
                f"Figurine {item.pk} is {item.get_status_display().lower()}: there is nothing left to design.",
                extra={"item_status": item.status},
            )
        previous = item.assigned_sculptor
        if (previous and previous.pk) == (sculptor and sculptor.pk):
            return item
        item.assigned_sculptor = sculptor
        item.save(update_fields=["assigned_sculptor", "updated_at"])
        events.sculptor_assigned_event(item=item, sculptor=sculptor, previous=previous, user=user)
    return item
