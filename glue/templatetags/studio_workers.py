"""``{% queue_report as report %}``: the admin index's warning when a queue has work and no worker."""

from __future__ import annotations

from django import template

from glue.admin_workers import queue_report as _queue_report

register = template.Library()


@register.simple_tag
def queue_report() -> dict:
    return _queue_report()
