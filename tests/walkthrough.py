"""Shared plumbing of the real-browser walk-throughs (tests/glue/test_walkthrough_*.py): one person's main
path through their workplace at desktop and phone sizes.

A :class:`Walk` is a chromium page that remembers what went wrong on the way (a document or fetch answered
5xx, an uncaught page error) and saves a screenshot per step as
``test-artifacts/walkthrough_<role>_<step>_<viewport>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from tests.browser import ARTIFACTS, WEBGL_ARGS, chromium_page

VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
#: Requests whose answer is a page the person reads, or the page's own calls behind a button.
WATCHED = {"document", "fetch", "xhr"}


@dataclass
class Walk:
    page: Any
    base_url: str
    role: str
    viewport: str
    problems: list[str] = field(default_factory=list)
    documents: list[tuple[int, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def goto(self, path: str, **kwargs):
        response = self.page.goto(self.url(path), **kwargs)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def shot(self, step: str) -> str:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"walkthrough_{self.role}_{step}_{self.viewport}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return str(path)

    def assert_clean(self) -> None:
        """No 5xx answer to any page or call, no uncaught error on any page, and pages were seen."""
        assert self.documents, "no page was visited"
        assert self.problems == [], self.problems

    def no_horizontal_overflow(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[self.viewport]["width"] + 1, f"the page is {width} px wide"


def _on_response(walk: Walk, response) -> None:
    kind = response.request.resource_type
    if kind not in WATCHED:
        return
    if kind == "document":
        walk.documents.append((response.status, response.url))
    if response.status >= 500:
        walk.problems.append(f"{response.status} for {kind} {response.request.method} {response.url}")


@contextmanager
def walk(monkeypatch, live_server, *, role: str, viewport: str, webgl: bool = False) -> Iterator[Walk]:
    """A fresh chromium page of `viewport` ("desktop" or "phone") that records 5xx answers and page errors."""
    extra = WEBGL_ARGS if webgl else ()
    with chromium_page(monkeypatch, viewport=VIEWPORTS[viewport], extra_args=extra) as page:
        page.set_default_timeout(30_000)
        current = Walk(page=page, base_url=live_server.url, role=role, viewport=viewport)
        page.on("response", lambda response: _on_response(current, response))
        page.on("pageerror", lambda exc: current.problems.append(f"page error on {page.url}: {exc}"))
        yield current


def sign_in_staff(current: Walk, user) -> None:
    """Staff in the browser: the session of ``Client.force_login`` handed to the page as its cookie."""
    client = Client()
    client.force_login(user)
    current.page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": current.base_url}]
    )


def run_admin_action(current: Walk, action: str, *, rows: list[int]) -> None:
    """On an admin change list: tick the rows (by primary key), choose `action` and press Go."""
    page = current.page
    for pk in rows:
        page.locator(f"input.action-select[value='{pk}']").check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.locator("button[name=index]").click()


def admin_messages(current: Walk) -> list[str]:
    return [text.strip() for text in current.page.locator("ul.messagelist li").all_inner_texts()]
