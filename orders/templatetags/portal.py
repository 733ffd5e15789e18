"""Template helpers for the portal and e-mails: money from integer cents, issue severities."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def money(cents: int | None, currency: str = "usd") -> str:
    """``14900`` -> ``$149.00`` (other currencies: ``149.00 EUR``)."""
    if cents is None:
        return "—"
    amount = f"{int(cents) / 100:,.2f}"
    return f"${amount}" if (currency or "usd").lower() == "usd" else f"{amount} {currency.upper()}"


@register.filter
def human(value: str | None) -> str:
    """``ready_for_design`` -> ``Ready for design``."""
    return (value or "").replace("_", " ").capitalize()
