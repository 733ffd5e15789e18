"""The studio's promises in words, for templates and e-mails (``{% load promises %}``).

``{% preview_promise %}`` -> "48 business hours", ``{% delivery_promise %}`` -> "2–4 weeks",
``{% delivery_latest_promise %}`` -> "4 weeks": rendered from ``orders.promises`` and its settings.
"""

from __future__ import annotations

from django import template

from orders import promises

register = template.Library()


@register.simple_tag
def preview_promise() -> str:
    return promises.preview_promise_text()


@register.simple_tag
def delivery_promise() -> str:
    return promises.delivery_promise_text()


@register.simple_tag
def delivery_latest_promise() -> str:
    return promises.delivery_latest_text()
