"""Portal access: single-use sign-in links (issue, spend, request a new one), operators re-issuing and
revoking access, and the customer e-mails that carry a link.

The long-lived portal token (the API's ``Authorization: Portal`` credential) never goes into a URL:
every link a customer is sent carries a fresh single-use code (``orders.models.PortalLoginLink``)
that is spent at its first sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders import events
from orders.auth import hash_token, portal_login_link_issue
from orders.models import Customer, Item, Order, PortalLoginLink, PortalToken
from orders.notifications import notification_send
from orders.stripe_client import stripe_online
from studio.errors import ApplicationError, NotFound
from studio.http import public_url

logger = logging.getLogger(__name__)

#: The reason a customer's own request for a new link records (and what its rate limit counts).
REQUESTED = "requested"


class LoginLinkSpent(ApplicationError):
    """The sign-in link was used already, or has expired: it signs no one in (HTTP 410)."""

    status_code = 410
    code = "link_spent"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, extra={"reason": reason})
        self.reason = reason


def magic_link_url(raw_code: str) -> str:
    """The address of a sign-in link (its code is spent at the first sign-in)."""
    return public_url("portal-login", raw_code)


def login_link_url(*, customer: Customer, order: Order | None = None, reason: str = "") -> str:
    """A fresh single-use sign-in link for an e-mail (scoped to ``order`` when given)."""
    return magic_link_url(portal_login_link_issue(customer=customer, order=order, reason=reason))


def order_portal_url(order: Order) -> str:
    """The clean order page (needs the session a sign-in link set)."""
    return public_url("portal-order", order.number)


def link_validity_days() -> int:
    """How many days an e-mailed sign-in link works (rounded down, at least 1), for the e-mails' text."""
    return max(1, settings.PORTAL_LOGIN_LINK_HOURS // 24)


def portal_login_link_spend(*, raw_code: str) -> PortalLoginLink:
    """Spend a sign-in link: the first call answers it (now used), every later one is refused.

    The row is locked while it is checked and marked, so two clicks at once sign in only once.
    Raises NotFound for an unknown code, LoginLinkSpent for a used or expired one; nothing changes then.
    """
    if not raw_code or len(raw_code) > 200:
        raise NotFound("We could not recognise this sign-in link.")
    with transaction.atomic():
        link = (
            PortalLoginLink.objects.select_for_update(
                of=("self",)
            )  # the link's row, not its (nullable) order
            .select_related("customer", "order")
            .filter(code_hash=hash_token(raw_code))
            .first()
        )
        if link is None:
            raise NotFound("We could not recognise this sign-in link.")
        if link.used_at is not None:
            raise LoginLinkSpent("This sign-in link was used already.", reason="used")
        if link.expires_at <= timezone.now():
            raise LoginLinkSpent("This sign-in link has expired.", reason="expired")
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return link


def _over_limit(key: str, limit: int) -> bool:
    """Count one more request under ``key`` for an hour; True once more than ``limit`` were made."""
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit


def portal_login_link_request(*, email: str, ip_address: str | None = None) -> bool:
    """E-mail a new sign-in link (to all of the customer's orders) to ``email`` if a customer has it.

    The caller answers the same whatever this returns (no one learns which addresses are customers).
    Rate-limited per address (``PORTAL_LINK_REQUESTS_PER_HOUR``, counted in the database) and per
    client address (``PORTAL_LINK_REQUESTS_PER_IP_HOUR``, in the cache). True when an e-mail went out.
    """
    email = (email or "").strip()
    if ip_address and _over_limit(f"portal-link-ip:{ip_address}", settings.PORTAL_LINK_REQUESTS_PER_IP_HOUR):
        logger.info("sign-in link request refused: too many from this address")
        return False
    customer = Customer.objects.filter(email__iexact=email).first() if email else None
    if customer is None:
        return False
    recent = PortalLoginLink.objects.filter(
        customer=customer, reason=REQUESTED, created_at__gt=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= settings.PORTAL_LINK_REQUESTS_PER_HOUR:
        logger.info("sign-in link request for customer %s refused: too many this hour", customer.pk)
        return False
    return _send_link(customer=customer, reason=REQUESTED, subject="Your Figurine Studio sign-in link")


def _send_link(*, customer: Customer, reason: str, subject: str) -> bool:
    raw = portal_login_link_issue(customer=customer, reason=reason)
    link = PortalLoginLink.objects.get(code_hash=hash_token(raw))
    return _send(
        kind="portal_link",
        key=link.pk,
        to=customer.email,
        subject=subject,
        template="emails/portal_link.txt",
        context=lambda: {
            "customer": customer,
            "portal_url": magic_link_url(raw),
            "login_page_url": public_url("portal-login-request"),
            "days": link_validity_days(),
            "reissued": reason != REQUESTED,
        },
    )


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
) -> bool:
    """Give a customer fresh access: revoke their portal tokens and unused sign-in links (unless
    ``revoke_others`` is False) and e-mail a new single-use sign-in link. True when it was e-mailed.

    The new link opens all of the customer's orders; it goes only to the customer's own address.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if revoke_others:
            now = timezone.now()
            customer.portal_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
            customer.login_links.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        order = customer.orders.order_by("-created_at").first()
        if order is not None:
            events.portal_token_issued_event(
                order=order, revoked_others=revoke_others, user=user, actor="operator"
            )
    if not send_email:
        return False
    return _send_link(customer=customer, reason="reissued", subject="Your Figurine Studio link")


def send_order_confirmation(*, order_id: int) -> bool:
    """E-mail the order confirmation with its own fresh single-use sign-in link (scoped to the order)."""
    order = Order.objects.select_related("customer").get(pk=order_id)
    return _send(
        kind="order_confirmation",
        key=order.pk,
        to=order.customer.email,
        subject=f"Your Figurine Studio order {order.number}",
        template="emails/order_confirmation.txt",
        context=lambda: {
            "order": order,
            "customer": order.customer,
            "items": list(order.items.all()),
            "portal_url": login_link_url(customer=order.customer, order=order, reason="order_confirmation"),
            "login_page_url": public_url("portal-login-request"),
            "days": link_validity_days(),
            "offline": not stripe_online(),
        },
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
    context: Callable[[], dict[str, Any]],
    on_sent: Callable[[], object] | None = None,
) -> bool:
    """Send once per kind and key (`orders.notifications`); a failure is recorded there, not raised.

    ``context`` is called only once the e-mail is ours to send, so a sign-in link is issued only then.
    """
    try:
        return notification_send(
            kind=kind,
            key=key,
            recipient=to,
            compose=lambda: (subject, render_to_string(template, context())),
            on_sent=on_sent,
        )
    except Exception:  # noqa: BLE001 - a mail outage must not lose the order; operators can re-send
        logger.warning("could not send %s to %s", template, to)
        return False


def customer_email_send(
    *,
    kind: str,
    key: str | int,
    item: Item,
    subject: str,
    template: str,
    context: dict[str, Any] | None = None,
    event_keys: dict[str, Any] | None = None,
) -> bool:
    """The e-mail ``kind`` about ``key`` to the customer of ``item``'s order, at most once (see
    ``orders.notifications``); True when sent now.

    The template gets the order, the customer, the item, ``context`` and ``login_url``: a fresh single-use
    sign-in link, issued only once the e-mail is ours to send. The timeline's line (staff) names ``kind``
    and ``event_keys`` (the round, print job or claim it was about).
    """
    order = item.order

    def compose() -> tuple[str, str]:
        values = {
            "order": order,
            "customer": order.customer,
            "item": item,
            **(context or {}),
            "login_url": login_link_url(customer=order.customer, order=order, reason=kind),
        }
        return subject, render_to_string(template, values)

    return notification_send(
        kind=kind,
        key=key,
        recipient=order.customer.email,
        compose=compose,
        on_sent=lambda: events.email_sent_event(
            item=item, template=kind, to=order.customer.email, **(event_keys or {})
        ),
    )
