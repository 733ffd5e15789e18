"""Stored files are never public: no route serves MEDIA_ROOT (with DEBUG on or off), and every page or
answer that links a stored file links its permission-checked view, which still serves those allowed."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import Resolver404, clear_url_caches, resolve
from django.utils import timezone

import glue.urls
from orders.auth import portal_login_link_issue
from orders.models import Photo
from printing.models import Batch, ClaimPhoto, GuaranteeClaim
from revisions.models import RevisionStatus
from tests.factories import ItemFactory, PrintJobFactory, RevisionFactory, printer
from tests.glue.builders import _jpeg
from tests.orders.helpers import portal_sign_in

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\x1d\x8a\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def stored(db):
    """One of each stored file: a photo, a published round with its previews, a tray, a print file, a claim photo."""
    item = ItemFactory()
    photo = Photo.objects.create(
        item=item, kind="front", image=ContentFile(_jpeg(10), name="front.jpg"), sha256="p", is_usable=True
    )
    revision = RevisionFactory(
        item=item,
        status=RevisionStatus.PUBLISHED,
        published_at=timezone.now(),
        web_glb=ContentFile(b"glTF-preview", name="preview.glb"),
        heatmap_glb=ContentFile(b"glTF-heatmap", name="heatmap.glb"),
    )
    tray = Batch.objects.create(
        printer=printer(),
        layout_png=ContentFile(PNG, name="layout.png"),
        tray_file=ContentFile(b"tray-3mf", name="tray.3mf"),
    )
    job = PrintJobFactory(revision=revision, item=item, print_file=ContentFile(b"job-3mf", name="job.3mf"))
    claim = GuaranteeClaim.objects.create(item=item, reason="wrong colour", print_job=job)
    claim_photo = ClaimPhoto.objects.create(
        claim=claim, image=ContentFile(_jpeg(20), name="arrived.jpg"), sha256="c"
    )
    files = [
        photo.image,
        revision.mesh,
        revision.web_glb,
        revision.heatmap_glb,
        tray.layout_png,
        tray.tray_file,
        job.print_file,
        claim_photo.image,
    ]
    for file in files:
        assert file.storage.exists(file.name)  # each is really on disk under MEDIA_ROOT
    return {
        "item": item,
        "photo": photo,
        "revision": revision,
        "tray": tray,
        "job": job,
        "claim": claim,
        "paths": [f"/media/{file.name}" for file in files],
    }


@pytest.fixture
def debug_urls():
    """glue.urls as `make run` loads it (DEBUG=1), restored afterwards."""

    def reload() -> None:
        importlib.reload(glue.urls)
        clear_url_caches()

    with override_settings(DEBUG=True):
        reload()
        yield
    reload()


def _get_every_path(client, paths) -> list[tuple[str, int]]:
    return [(path, client.get(path).status_code) for path in paths]


def test_no_route_serves_media_with_debug_off(stored, admin_client):
    for path in stored["paths"]:
        with pytest.raises(Resolver404):
            resolve(path)
    assert {code for _, code in _get_every_path(Client(), stored["paths"])} == {404}
    assert {code for _, code in _get_every_path(admin_client, stored["paths"])} == {404}


def test_no_route_serves_media_with_debug_on(stored, admin_client, debug_urls):
    for path in stored["paths"]:
        with pytest.raises(Resolver404):
            resolve(path)
    assert {code for _, code in _get_every_path(Client(), stored["paths"])} == {404}
    assert {code for _, code in _get_every_path(admin_client, stored["paths"])} == {404}


def test_the_checked_views_still_serve_the_owner_and_refuse_anyone_else(stored):
    photo, revision, order = stored["photo"], stored["revision"], stored["item"].order
    photo_path = f"/portal/photos/{photo.pk}/"
    preview_path = f"/portal/revisions/{revision.pk}/files/preview.glb"
    stranger = Client()
    assert stranger.get(photo_path).status_code == 404
    assert stranger.get(preview_path).status_code == 404
    owner = Client()
    portal_sign_in(owner, f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/")
    served = owner.get(photo_path)
    assert served.status_code == 200 and b"".join(served.streaming_content) == photo.image.open("rb").read()
    preview = owner.get(preview_path)
    assert preview.status_code == 200 and b"".join(preview.streaming_content) == b"glTF-preview"
    # the order page's API answer links the preview through the checked view, never /media/
    body = owner.get(f"/api/v1/orders/{order.number}/").json()
    preview_url = body["items"][0]["revisions"][0]["preview_url"]
    assert preview_url == f"http://testserver{preview_path}"
    assert "/media/" not in owner.get(f"/api/v1/orders/{order.number}/").content.decode()
    assert "/media/" not in owner.get(f"/portal/orders/{order.number}/").content.decode()
    assert "/media/" not in owner.get(f"/portal/revisions/{revision.pk}/").content.decode()


@pytest.mark.parametrize(
    "page, links",
    [
        ("photo", ["/portal/photos/{photo}/"]),
        (
            "revision",
            [
                "/portal/revisions/{revision}/files/mesh",
                "/portal/revisions/{revision}/files/preview.glb",
                "/portal/revisions/{revision}/files/heatmap.glb",
            ],
        ),
        ("batch", ["/api/v1/files/tray-layout/{tray}/", "/api/v1/files/tray-file/{tray}/"]),
        ("printjob", ["/api/v1/files/print-file/{job}/"]),
        ("item", ["/portal/photos/{photo}/"]),
        ("guaranteeclaim", []),
    ],
)
def test_admin_pages_show_stored_files_through_the_checked_views(stored, admin_client, page, links):
    ids = {
        "photo": stored["photo"].pk,
        "revision": stored["revision"].pk,
        "tray": stored["tray"].pk,
        "job": stored["job"].pk,
    }
    app = {"photo": "orders", "item": "orders", "revision": "revisions", "guaranteeclaim": "printing"}.get(
        page, "printing"
    )
    obj = {
        "photo": stored["photo"],
        "item": stored["item"],
        "revision": stored["revision"],
        "batch": stored["tray"],
        "printjob": stored["job"],
        "guaranteeclaim": stored["claim"],
    }[page]
    response = admin_client.get(f"/admin/{app}/{page}/{obj.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/media/" not in html
    for link in links:
        path = link.format(**ids)
        assert path in html, path
    # and what they link is served to the staff (each href, signed or not)
    for href in {h.replace("&amp;", "&") for h in re.findall(r'(?:href|src)="([^"]+)"', html)}:
        if any(href.startswith(link.format(**ids)) for link in links):
            assert admin_client.get(href).status_code == 200, href
