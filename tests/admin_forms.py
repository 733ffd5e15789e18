"""Posting an admin change form as a browser would: what the page shows, with a few fields changed."""

from __future__ import annotations

from typing import Any


def change_form_data(client, url: str, **changes: Any) -> dict[str, Any]:
    """The POST data of the admin change form at ``url`` (its editable fields and its inlines' management
    forms, as rendered), with ``changes`` on top (a field the form does not have is posted all the same,
    as a tampered request would)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data: dict[str, Any] = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None and value is not False:
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None and value is not False:
                    data[row.add_prefix(name)] = value
    data.update(changes)
    return data
