"""Catalog pricing, and print job and tray transitions (the only code that changes their states)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from orders import events
from printing.lock_objects import lock_print_job, lock_tray
from printing.models import ProductLine, ShippingRule, Size
from studio.errors import ApplicationError
from studio.workflow import FollowUp, TransitionResult, run_transition

PRINT_JOB_FOLLOW_UPS: dict[str, list[FollowUp]] = {}
TRAY_FOLLOW_UPS: dict[str, list[FollowUp]] = {}


@dataclass(frozen=True)
class ItemPrice:
    unit_price_cents: int
    persons: int
    price_cents: int


def catalog_price(*, product_line: str, height_mm: int, persons: int = 1) -> ItemPrice:
    """Price one figurine from the catalog (per person for family sets). Raises on what is not sold."""
    line = ProductLine.objects.filter(code=product_line, active=True).first()
    if line is None:
        raise ApplicationError(f"We don't offer the product line '{product_line}'.")
    size = Size.objects.filter(product_line=line, height_mm=height_mm, active=True).first()
    if size is None:
        heights = ", ".join(
            str(h) for h in line.sizes.filter(active=True).values_list("height_mm", flat=True)
        )
        raise ApplicationError(f"{line.name} comes in {heights} mm; {height_mm} mm is not available.")
    if not line.min_persons <= persons <= line.max_persons:
        raise ApplicationError(
            f"{line.name} is made for {line.min_persons}–{line.max_persons} persons, not {persons}."
        )
    multiplier = persons if line.per_person else 1
    return ItemPrice(
        unit_price_cents=size.price_cents, persons=persons, price_cents=size.price_cents * multiplier
    )


def shipping_price(*, subtotal_cents: int) -> int:
    """Free from the active rule's threshold, else its flat fee (settings when no rule is active)."""
    rule = ShippingRule.objects.filter(active=True).first()
    free_from = rule.free_from_cents if rule else settings.SHIPPING_FREE_FROM_CENTS
    flat_fee = rule.flat_fee_cents if rule else settings.SHIPPING_FLAT_FEE_CENTS
    return 0 if subtotal_cents >= free_from else flat_fee


def print_job_transition(
    *,
    print_job_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
    guard=None,
) -> TransitionResult:
    """Move a print job to `to` (locks, checks the table, writes the event, enqueues after commit)."""

    return run_transition(
        lock=lambda: lock_print_job(print_job_id),
        target=to,
        guard=guard,
        update=update,
        write_event=events.status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=PRINT_JOB_FOLLOW_UPS,
    )


def tray_transition(
    *,
    tray_id: int,
    to: str,
    user: Any = None,
    actor: str = "system",
    parameters: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move a tray (batch) to `to`."""
    return run_transition(
        lock=lambda: lock_tray(tray_id),
        target=to,
        write_event=events.status_changed_event,
        user=user,
        actor=actor,
        parameters=parameters,
        follow_ups=TRAY_FOLLOW_UPS,
    )
