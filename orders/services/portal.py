"""Portal access: magic links, operators re-issuing and revoking tokens, and customer e-mails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders import events
from orders.auth import portal_token_find, portal_token_issue
from orders.models import Customer, Order, PortalToken
from orders.notifications import notification_send
from orders.stripe_client import stripe_online
from studio.http import public_url

logger = logging.getLogger(__name__)


def magic_link_url(raw_token: str) -> str:
    """The link that signs a customer in (exchanged for a session, then a clean URL)."""
    return public_url("portal-login", raw_token)


def order_portal_url(order: Order) -> str:
    """The clean order page (needs the session a magic link set)."""
    return public_url("portal-order", order.number)


def portal_token_revoke(*, token_id: int, user: Any = None) -> bool:
    """Revoke a token now; False when it was already revoked."""
    with transaction.atomic():
        token = PortalToken.objects.select_for_update().get(pk=token_id)
        if token.revoked_at is not None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        order = token.order or token.customer.orders.order_by("-created_at").first()
        if order is not None:
            events.portal_token_revoked_event(order=order, token_id=token.pk, user=user, actor="operator")
    return True


def portal_token_reissue(
    *, customer_id: int, user: Any = None, revoke_others: bool = True, send_email: bool = True
) -> str:
    """Issue a fresh customer-wide token (the old ones revoked) and e-mail the new magic link."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if revoke_others:
            customer.portal_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        created_by = user if getattr(user, "pk", None) else None
        raw = portal_token_issue(customer=customer, created_by=created_by)
        order = customer.orders.order_by("-created_at").first()
        if order is not None:
            events.portal_token_issued_event(
                order=order, revoked_others=revoke_others, user=user, actor="operator"
            )
    if send_email:
        _send(
            kind="portal_link",
            key=portal_token_find(raw).pk,
            to=customer.email,
            subject="Your Figurine Studio link",
            template="emails/portal_link.txt",
            context={
                "customer": customer,
                "portal_url": magic_link_url(raw),
                "days": settings.PORTAL_TOKEN_DAYS,
            },
        )
    return raw


def send_order_confirmation(*, order_id: int, raw_token: str) -> bool:
    """E-mail the order confirmation with the magic link (the raw token exists only here and in the answer)."""
    order = Order.objects.select_related("customer").get(pk=order_id)
    context = {
        "order": order,
        "customer": order.customer,
        "items": list(order.items.all()),
        "portal_url": magic_link_url(raw_token),
        "days": settings.PORTAL_TOKEN_DAYS,
        "offline": not stripe_online(),
    }
    return _send(
        kind="order_confirmation",
        key=order.pk,
        to=order.customer.email,
        subject=f"Your Figurine Studio order {order.number}",
        template="emails/order_confirmation.txt",
        context=context,
        on_sent=lambda: events.email_sent_event(
            order=order, template="confirmation", to=order.customer.email
        ),
    )


def _send(
    *,
    kind: str,
    key: int,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    on_sent: Callable[[], object] | None = None,
) -> bool:
    """Send once per kind and key (`orders.notifications`); a failure is recorded there, not raised."""
    try:
        return notification_send(
            kind=kind,
            key=key,
            recipient=to,
            compose=lambda: (subject, render_to_string(template, context)),
            on_sent=on_sent,
        )
    except Exception:  # noqa: BLE001 - a mail outage must not lose the order; operators can re-send
        logger.warning("could not send %s to %s", template, to)
        return False
