"""How a customer is recognised: a portal token (the API header), or the session a sign-in link set.

Two secrets, both long and random, only their SHA-256 stored:

* the portal token (``Authorization: Portal <token>``, answered once by ``POST orders/``) is the
  long-lived API credential; it expires and can be revoked, and never appears in a URL;
* a sign-in link (``/portal/login/<code>/``, e-mailed) works once and for a few days: spending it
  (orders.services.portal_login_link_spend) sets the portal session.

Reading either never writes anything (a GET never changes anything).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from orders.models import Customer, PortalLoginLink, PortalToken
from studio.permissions import is_staff_user

SESSION_KEY = "portal_customer_id"
#: Session key of the one order a scoped magic link opened (absent: all the customer's orders).
SESSION_ORDER_KEY = "portal_order_id"
HEADER_KEYWORD = "Portal"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def portal_token_issue(*, customer: Customer, created_by=None, days: int | None = None, order=None) -> str:
    """Create a new token for the customer and return the raw secret (shown once, never stored).

    With ``order`` the token opens only that order (see :func:`order_scope_for_request`).
    """
    raw = secrets.token_urlsafe(32)
    PortalToken.objects.create(
        customer=customer,
        order=order,
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days or settings.PORTAL_TOKEN_DAYS),
        created_by=created_by,
    )
    return raw


def portal_token_find(raw: str) -> PortalToken | None:
    """The token a raw secret stands for, active or not (with its customer and order); None when unknown.

    The one lookup of a raw token: the API's header comes through here."""
    if not raw or len(raw) > 200:
        return None
    return PortalToken.objects.select_related("customer", "order").filter(token_hash=hash_token(raw)).first()


def portal_token_resolve(raw: str) -> PortalToken | None:
    """The active token for a raw secret, or None (unknown, expired or revoked)."""
    token = portal_token_find(raw)
    return token if token is not None and token.is_active else None


def portal_login_link_issue(
    *, customer: Customer, order=None, reason: str = "", hours: int | None = None
) -> str:
    """Create a single-use sign-in link for the customer and return its raw code (never stored).

    With ``order`` the session it opens sees only that order. It expires after
    ``PORTAL_LOGIN_LINK_HOURS`` (or ``hours``).
    """
    raw = secrets.token_urlsafe(32)
    PortalLoginLink.objects.create(
        customer=customer,
        order=order,
        code_hash=hash_token(raw),
        reason=reason[:40],
        expires_at=timezone.now() + timedelta(hours=hours or settings.PORTAL_LOGIN_LINK_HOURS),
    )
    return raw


def portal_login_link_find(raw: str) -> PortalLoginLink | None:
    """The sign-in link a raw code stands for, usable or not; None when unknown (reads only)."""
    if not raw or len(raw) > 200:
        return None
    return (
        PortalLoginLink.objects.select_related("customer", "order").filter(code_hash=hash_token(raw)).first()
    )


class PortalCustomer:
    """The request's principal when a customer is recognised: not a staff user, never in the admin."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        self.pk = None
        self.id = None
        self.username = f"customer:{customer.email}"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username


class PortalTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Portal <token>` for the customer API."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != HEADER_KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Portal <token>.")
        token = portal_token_resolve(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed("This portal token has expired or was revoked.")
        return PortalCustomer(token.customer), token

    def authenticate_header(self, request) -> str:
        return HEADER_KEYWORD


class PortalSessionAuthentication(authentication.SessionAuthentication):
    """The session a sign-in link set (CSRF enforced like any session)."""

    def authenticate(self, request):
        django_request = request._request
        customer_id = django_request.session.get(SESSION_KEY) if hasattr(django_request, "session") else None
        if not customer_id:
            return None
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            return None
        self.enforce_csrf(request)
        return PortalCustomer(customer), None


def customer_for_request(request) -> Customer | None:
    """The customer behind a DRF or Django request (token header or portal session), else None."""
    user = getattr(request, "user", None)
    if isinstance(user, PortalCustomer):
        return user.customer
    session = getattr(request, "session", None)
    customer_id = session.get(SESSION_KEY) if session is not None else None
    if not customer_id:
        return None
    known = getattr(request, "_portal_customer", None)  # asked once per request (views ask more than once)
    if known is None or known.pk != customer_id:
        known = Customer.objects.filter(pk=customer_id).first()
        request._portal_customer = known
    return known


def order_scope_for_request(request) -> int | None:
    """The one order id the request's token or session is limited to, or None (all the customer's orders).

    Tokens issued when ordering are scoped to that order, so knowing someone's e-mail address and
    placing an order with it never opens their other orders.
    """
    auth = getattr(request, "auth", None)
    if isinstance(auth, PortalToken):
        return auth.order_id
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY):
        return session.get(SESSION_ORDER_KEY)
    return None


def customer_can_see_order(request, order) -> bool:
    """True when the request's customer owns ``order`` and their token or session is not scoped elsewhere."""
    customer = customer_for_request(request)
    if customer is None or order.customer_id != customer.pk:
        return False
    scope = order_scope_for_request(request)
    return scope is None or scope == order.pk


def authenticate_api_headers(request) -> None:
    """Let a plain Django view (a file download) accept the API's header credentials too.

    A staff or portal session already identifies the request; otherwise a ``Portal`` token or a
    staff ``Token`` header sets ``request.user``. Bad credentials leave the request anonymous (the
    view then answers 404, as for anyone who may not see the file).
    """
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.request import Request

    user = getattr(request, "user", None)
    if is_staff_user(user) or customer_for_request(request) is not None:
        return
    drf_request = Request(request)
    for authenticator in (PortalTokenAuthentication(), TokenAuthentication()):
        try:
            found = authenticator.authenticate(drf_request)
        except exceptions.AuthenticationFailed:
            return
        if found is not None:
            request.user, request.auth = found
            return
