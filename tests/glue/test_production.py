"""Production serving: no page asks another host for anything, and with DEBUG=0 WhiteNoise serves every
static file the pages name (hashed, compressed), from a real `collectstatic` of the production storage."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from orders.auth import portal_login_link_issue
from orders.portal_presenter import CARRIER_TRACKING_URLS
from tests.factories import staff_user
from tests.glue.builders import order_with_items
from tests.orders.helpers import portal_sign_in

pytestmark = pytest.mark.django_db

#: attributes by which a page makes the browser fetch something (plus <a href>: a link elsewhere is flagged too,
#: except the carriers' tracking pages, which the customer opens on purpose and nothing loads by itself)
FETCHING = {"src", "href", "srcset", "poster", "action", "data", "formaction"}
OWN_HOSTS = {"", "testserver"}
LINKED_HOSTS = {urlsplit(url).hostname for url in CARRIER_TRACKING_URLS.values()}


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.references: list[tuple[str, str, str]] = []
        self._in_inline = False
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in FETCHING and value:
                for part in value.split(",") if name == "srcset" else [value]:
                    self.references.append((tag, name, part.strip().split(" ")[0]))
        self._in_inline = tag in {"script", "style"}

    def handle_endtag(self, tag):
        self._in_inline = False

    def handle_data(self, data):
        if self._in_inline:
            self.inline.append(data)


def references(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


def external(html: str) -> list[str]:
    """Every reference of the page to another host (http(s):// or //host), in attributes and inline code."""
    parsed = references(html)
    found = [
        f"<{tag} {name}={value}>"
        for tag, name, value in parsed.references
        if not (tag == "a" and urlsplit(value).scheme == "https" and urlsplit(value).hostname in LINKED_HOSTS)
        and (
            value.startswith("//")
            or (urlsplit(value).scheme in {"http", "https"} and urlsplit(value).hostname not in OWN_HOSTS)
        )
    ]
    for code in parsed.inline:
        for marker in (
            "url(http",
            "url('http",
            'url("http',
            "import 'http",
            'import "http',
            'from "http',
            "from 'http",
        ):
            if marker in code:
                found.append(f"inline code: {marker}...")
    return found


def _pages(client) -> dict[str, str]:
    """The pages of every door: the portal (signed in as the order's customer), the admin, the API docs."""
    order = order_with_items(1)
    revision = order.items.get().revisions.get()
    pages = {"/portal/login/": None, "/admin/login/": None, "/api/docs/": None}
    answers = {path: client.get(path) for path in pages}
    portal_sign_in(client, f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/")
    for path in ("/portal/", f"/portal/orders/{order.number}/", f"/portal/revisions/{revision.pk}/"):
        answers[path] = client.get(path)
    client.force_login(staff_user("admin-offline", is_superuser=True))
    for path in ("/admin/", "/admin/workers/", f"/admin/orders/order/{order.pk}/change/"):
        answers[path] = client.get(path)
    for path, answer in answers.items():
        assert answer.status_code == 200, (path, answer.status_code)
    return {path: answer.content.decode() for path, answer in answers.items()}


def test_no_page_asks_another_host_for_anything(client):
    pages = _pages(client)
    for path, html in pages.items():
        assert external(html) == [], path
    # the docs are Swagger UI from the studio itself (drf-spectacular-sidecar), the preview the vendored viewer
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in pages["/api/docs/"]
    assert any(
        "vendor/model-viewer/model-viewer.min.js" in html
        for path, html in pages.items()
        if "revisions" in path
    )


def test_the_checker_finds_a_cdn():
    assert external('<script src="https://unpkg.com/swagger-ui-dist/swagger-ui-bundle.js"></script>')
    assert external('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert external("<style>body{background:url(https://cdn.example/bg.png)}</style>")
    assert not external('<script src="/static/x.js"></script><a href="http://testserver/portal/">x</a>')
    assert not external(
        '<a href="https://www.dhl.com/global-en/home/tracking/tracking-express.html">track</a>'
    )
    assert external('<img src="https://www.dhl.com/logo.png">')  # a carrier's host still loads nothing


@pytest.fixture(scope="module")
def collected(tmp_path_factory, django_db_blocker):
    """A real `collectstatic` with the production storage (hashed names, gzip and brotli copies)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=_production_storages()):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def _production_storages():
    from django.conf import settings

    return {**settings.STORAGES, "staticfiles": {"BACKEND": "studio.staticfiles.StudioStaticFilesStorage"}}


@pytest.mark.slow
def test_with_debug_off_whitenoise_serves_every_static_file_the_pages_name(client, settings, collected):
    settings.DEBUG = False
    settings.STATIC_ROOT = collected
    settings.STORAGES = _production_storages()
    pages = _pages(client)
    served: set[str] = set()
    for path, html in pages.items():
        assert external(html) == [], path
        for _, _, value in references(html).references:
            if not value.startswith("/static/") or value in served:
                continue
            response = client.get(value, HTTP_ACCEPT_ENCODING="gzip, br")
            assert response.status_code == 200, (path, value)
            body = b"".join(response.streaming_content)
            assert body, value
            assert "immutable" in response["Cache-Control"], value  # a hashed name: cached for good
            served.add(value)
    names = " ".join(sorted(served))
    for wanted in (
        "/static/admin/css/base.",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.",
        "/static/vendor/model-viewer/model-viewer.min.",
    ):
        assert wanted in names, wanted
    viewer = next(name for name in served if "model-viewer.min." in name)
    compressed = client.get(viewer, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"
    assert client.get("/static/vendor/model-viewer/no-such-file.js").status_code == 404
