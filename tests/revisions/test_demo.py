"""`manage.py demo` runs one order end to end and prints its timeline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from orders.models import Item
from revisions.models import Approval, Feedback


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_runs_end_to_end_and_prints_the_timeline():
    out = io.StringIO()
    call_command("demo", "--no-migrate", "--render-size", "48", "--triangles", "6000", stdout=out)
    text = out.getvalue()
    item = Item.objects.get()
    approval = Approval.objects.get(item=item)
    assert approval.revision.number == 2 and approval.origin == "demo"
    assert approval.sha256 == approval.revision.sha256
    assert Feedback.objects.get().pins.count() == 2
    assert item.print_jobs.exists()
    assert f"Timeline of order {item.order.number}" in text
    assert "published -> changes_requested" in text and "published -> approved" in text
    assert "E-mails sent:" in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_json_is_the_outcome_and_the_timeline():
    import json

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "demo", "--no-migrate", "--render-size", "48", "--triangles", "6000", "--json", stdout=out, stderr=err
    )
    report = json.loads(out.getvalue())
    item = Item.objects.get()
    assert report["ok"] and report["order"]["number"] == item.order.number
    assert report["item"]["status"] == item.status == "delivered"
    assert report["approved"]["sha256"] == Approval.objects.get(item=item).sha256
    assert [j["is_reprint"] for j in report["print_jobs"]] == [False, True]
    moves = [(e["subject"], e["from_status"], e["to_status"]) for e in report["timeline"]]
    assert ("revision", "published", "approved") in moves
    assert report["emails"] and "Timeline of order" in err.getvalue()
