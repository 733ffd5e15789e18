"""The sculptor's item page shows the rounds in 3D, side by side: each round's web preview, its heatmap
of what changed, and the customer's pins drawn on the round they were left on (numbered like the list)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from revisions.services import revision_publish, revision_request_changes
from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page
from tests.revisions.conftest import make_ready_round


def _two_rounds_with_pins(item, sculptor, customer):
    first = make_ready_round(item, sculptor, run_checks=True)
    revision_publish(revision_id=first.pk, user=sculptor)
    revision_request_changes(
        revision_id=first.pk,
        customer=customer,
        comment="Two things",
        pins=[
            {"position": [0, -20, 20], "normal": [0, -1, 0], "text": "Smaller nose"},
            {"position": [0, 0, 40], "normal": [0, 0, 1], "text": "More hair on top"},
        ],
    )
    second = make_ready_round(item, sculptor, bump=1.5, run_checks=True)
    return first, second


def _config(html: str) -> dict:
    found = re.search(r'<script id="viewer-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no viewer config on the page"
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_the_item_page_carries_both_rounds_their_heatmap_and_the_pins(item, sculptor, customer, enqueued):
    first, second = _two_rounds_with_pins(item, sculptor, customer)
    client = Client()
    client.force_login(sculptor)
    html = client.get(reverse("admin:revisions_item_page", args=[item.pk])).content.decode()
    assert html.count("<model-viewer") == 2 and "vendor/model-viewer/model-viewer.min.js" in html
    rounds = _config(html)["rounds"]
    assert [r["number"] for r in rounds] == [second.number, first.number]  # newest on the left
    newest, older = rounds
    assert (
        newest["heatmap"] == reverse("revision-file", args=[second.pk, "heatmap.glb"])
        and newest["pins"] == []
    )
    assert older["heatmap"] is None  # the first round has nothing to compare with
    assert [(p["n"], p["text"], p["position"]) for p in older["pins"]] == [
        (1, "Smaller nose", [0, -20, 20]),
        (2, "More hair on top", [0, 0, 40]),
    ]
    # the feedback list reads as words with the same numbers, the coordinates only as a small aside
    assert re.search(r"<li>Smaller nose <small", html)
    for round_ in rounds:  # each viewer's file is served to the sculptor
        assert client.get(round_["glb"]).status_code == 200


@pytest.fixture
def browser_page(monkeypatch):
    with chromium_page(monkeypatch, viewport={"width": 1280, "height": 900}, extra_args=WEBGL_ARGS) as page:
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.problems = problems
        yield page


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_sculptor_sees_the_pins_on_the_round_and_the_heatmap(
    live_server, browser_page, item, sculptor, customer
):
    _two_rounds_with_pins(item, sculptor, customer)
    client = Client()
    client.force_login(sculptor)
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}{reverse('admin:revisions_item_page', args=[item.pk])}")
    page.wait_for_selector("body[data-viewer-a='loaded']", timeout=120_000)
    page.wait_for_selector("body[data-viewer-b='loaded']", timeout=120_000)
    # left: the newest round, no pins; right: the round the customer pinned, two dots that model-viewer placed
    assert page.locator("#viewer-a .hotspot").count() == 0
    assert page.locator("#viewer-b .hotspot").count() == 2
    assert page.locator(".ws-pin-count[data-side='b']").inner_text() == "2 pins"
    page.locator("#viewer-b .hotspot").first.wait_for(state="visible")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin_item_viewers.png"), full_page=True)

    page.locator(".ws-heatmap[data-side='a']").check()  # what changed, in place
    page.wait_for_function(
        "document.getElementById('viewer-a').dataset.loaded.endsWith('heatmap.glb')", timeout=120_000
    )
    assert page.locator(".ws-heatmap[data-side='b']").is_disabled()  # round 1 has no previous round
    page.screenshot(path=str(ARTIFACTS / "admin_item_heatmap.png"), full_page=True)
    assert page.problems == [], page.problems
