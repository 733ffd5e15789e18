"""Helpers for the orders tests: placing orders, signing Stripe events, drawing photos."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from typing import Any

from PIL import Image

from tests.kits.photo.images import figure_photo

WEBHOOK_SECRET = "whsec_test_studio_secret"

ORDER_BODY: dict[str, Any] = {
    "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
    "shipping_address": {
        "line1": "12 St James's Square",
        "city": "London",
        "postcode": "SW1Y 4JH",
        "country": "gb",
    },
    "items": [{"product_line": "solo", "height_mm": 150, "style": "realistic", "notes": "Blue dress"}],
}


def order_body(email: str = "ada@example.com", items: list[dict] | None = None) -> dict[str, Any]:
    body = json.loads(json.dumps(ORDER_BODY))
    body["customer"]["email"] = email
    if items is not None:
        body["items"] = items
    return body


def place_order(client, email: str = "ada@example.com", items: list[dict] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/orders/", order_body(email, items), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def portal_header(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Portal {token}"}


SIGN_IN_LINK = re.compile(r"https?://[^\s/]+(/portal/login/[A-Za-z0-9_-]{20,}/)")


def sign_in_link(text: str) -> str:
    """The path of the (first) single-use sign-in link in an e-mail body or an answer."""
    found = SIGN_IN_LINK.search(text)
    assert found, f"no sign-in link in: {text!r}"
    return found.group(1)


def portal_sign_in(client, link: str):
    """Follow a sign-in link as a customer does: open it (a page with a button, which spends nothing),
    then press the button (the POST spends the link and sets the session). Answers the POST's response."""
    path = sign_in_link(link) if "://" in link else link
    page = client.get(path)
    assert page.status_code == 200, page.content
    response = client.post(path)
    assert response.status_code == 303, response.content
    return response


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for the payload (the scheme stripe.Webhook verifies)."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def session_event(
    event_id: str,
    number: str,
    amount: int,
    *,
    type: str = "checkout.session.completed",
    payment_status: str = "paid",
    session_id: str = "cs_test_1",
    payment_intent: str = "pi_test_1",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": type,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": "usd",
                "payment_status": payment_status,
                "payment_intent": payment_intent,
                "client_reference_id": number,
                "metadata": {"order_number": number},
                "payment_method_types": ["card"],
            }
        },
    }


def post_event(client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    payload = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret=secret, timestamp=timestamp),
    )


def jpeg_with_gps(seed: int = 3) -> bytes:
    """A clean photo carrying EXIF with GPS coordinates and a camera model."""
    image = figure_photo(seed=seed)
    exif = Image.Exif()
    exif[0x0110] = "Studio Test Camera"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 40.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def upload(
    client,
    number: str,
    item_id: int,
    data: bytes,
    *,
    name: str = "me.jpg",
    kind: str = "front",
    person_index: int = 0,
    **headers,
):
    return client.post(
        f"/api/v1/orders/{number}/items/{item_id}/photos/",
        {"image": _named(data, name), "kind": kind, "person_index": person_index},
        **headers,
    )


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")
