"""The studio's only door to Stripe: Checkout Sessions, refunds and webhook signatures.

``STRIPE_SECRET_KEY`` empty means the studio runs offline (operators record payments in the admin).
``STRIPE_API_BASE`` points the client at another server (stripe-mock, or a test double on loopback).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

from studio.errors import ApplicationError

logger = logging.getLogger(__name__)

#: Seconds a webhook signature stays valid (Stripe's default tolerance).
WEBHOOK_TOLERANCE_S = 300


class PaymentProviderError(ApplicationError):
    """Stripe could not be reached or refused the request; nothing was charged (HTTP 502)."""

    status_code = 502
    code = "payment_provider_error"


class WebhookSignatureError(ApplicationError):
    """A webhook whose signature, timestamp or body does not check out (HTTP 400)."""

    code = "bad_signature"


class WebhookEventInvalid(ApplicationError):
    """A signed webhook whose body is not a Stripe event the studio can read (HTTP 400, nothing recorded)."""

    code = "invalid_event"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount_cents: int


def stripe_online() -> bool:
    """True when a Stripe secret key is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not stripe_online():
        raise PaymentProviderError("Online payment is not configured; an operator records payments.")
    options: dict[str, Any] = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        base = settings.STRIPE_API_BASE.rstrip("/")
        stripe.api_base = base  # module-level calls (if any) follow the same server
        options["base_addresses"] = {"api": base}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def create_checkout_session(params: dict[str, Any], *, idempotency_key: str) -> CheckoutSession:
    """Create a Checkout Session (same key, same session: Stripe replays the first answer)."""
    try:
        session = _client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        logger.warning("Stripe refused the checkout (%s): %s", idempotency_key, exc)
        raise PaymentProviderError(
            f"The payment page could not be prepared: {exc.user_message or exc}"
        ) from exc
    data = session.to_dict()
    expires = data.get("expires_at")
    return CheckoutSession(
        id=data["id"],
        url=data["url"],
        expires_at=datetime.fromtimestamp(int(expires), tz=UTC) if expires else None,
    )


def expire_checkout_session(session_id: str) -> bool:
    """Close an open Checkout Session so it can no longer be paid; False when Stripe says it is not open."""
    try:
        _client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError as exc:  # already completed or expired
        logger.info("checkout %s not expired: %s", session_id, exc)
        return False
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe could not close the payment page: {exc}") from exc
    return True


def create_refund(
    *, payment_intent: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
) -> RefundResult:
    """Refund (part of) a payment intent."""
    try:
        refund = _client().v1.refunds.create(
            {"payment_intent": payment_intent, "amount": amount_cents, "metadata": metadata},
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe refused the refund of %s: %s", payment_intent, exc)
        raise PaymentProviderError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
    data = refund.to_dict()
    return RefundResult(
        id=data["id"], status=data.get("status") or "pending", amount_cents=int(data["amount"])
    )


def verify_webhook(payload: bytes, signature_header: str | None) -> Any:
    """Check the ``Stripe-Signature`` header against the raw body and answer the body's JSON.

    Raises WebhookSignatureError when the signature is wrong and WebhookEventInvalid when the signed
    body is no JSON; what the JSON must look like is checked by ``orders.services.stripe_events``.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookSignatureError(
            "Stripe webhooks are not configured here (STRIPE_WEBHOOK_SECRET is empty)."
        )
    if not signature_header:
        raise WebhookSignatureError("Missing Stripe-Signature header.")
    try:
        # Only the signature: building a stripe.Event from the body would fail on a body that is
        # no event object; its shape is checked on its own, with a clear answer.
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_S
        )
    except stripe.SignatureVerificationError as exc:
        text = str(exc)
        if "tolerance" in text.lower():
            message = "Stripe signature timestamp is outside the tolerance window (stale or replayed event)."
        elif "No signatures found" in text:
            message = "Stripe signature does not match the payload (tampered body or wrong secret)."
        else:
            message = f"Stripe signature could not be verified: {text}"
        raise WebhookSignatureError(message) from exc
    except UnicodeDecodeError as exc:
        raise WebhookEventInvalid("The webhook body is not UTF-8 text.") from exc
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise WebhookEventInvalid("The webhook body is not valid JSON.") from exc
