"""Real-browser test plumbing: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# WebGL on the CPU (SwiftShader) for the 3D viewer in a headless, GPU-less browser.
WEBGL_ARGS = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


@contextmanager
def chromium_page(monkeypatch, *, viewport: dict[str, int], extra_args: Sequence[str] = ()) -> Iterator:
    """A fresh headless chromium page; skips the test when chromium or Playwright is missing."""
    # Playwright's sync API runs an event loop in this thread while the test's ORM calls stay
    # synchronous. Set only for the test, so no deployment check elsewhere sees the variable.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (make browser)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args], headless=True)
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
