"""The revisions API: staff upload and publish; the customer reads, pins, approves; 404/409 as promised."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.auth import portal_token_issue
from orders.models import ItemStatus
from revisions.models import Approval, Revision, RevisionStatus
from revisions.services import revision_publish
from tests.factories import CustomerFactory, ItemFactory, OrderFactory
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api(sculptor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sculptor).key}")
    return client


@pytest.fixture
def customer_api(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=customer)}")
    return client


@pytest.fixture
def published(ready_round, sculptor):
    return revision_publish(revision_id=ready_round.pk, user=sculptor)


def test_staff_uploads_a_round_as_multipart(staff_api, item, enqueued):
    data = mesh_bytes(sphere_figurine(), "ply")
    response = staff_api.post(
        f"/api/v1/items/{item.pk}/revisions/",
        {"mesh": upload_file(data, "round.ply"), "note": "v1"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "checking" and body["number"] == 1
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["original_filename"] == "round.ply"


def test_upload_errors_are_clear_4xx(staff_api, item, enqueued):
    assert staff_api.post(f"/api/v1/items/{item.pk}/revisions/", {}, format="multipart").status_code == 400
    response = staff_api.post(
        f"/api/v1/items/{item.pk}/revisions/", {"mesh": upload_file(b"x", "photo.jpg")}, format="multipart"
    )
    assert response.status_code == 400 and "GLB" in response.json()["message"]
    done = ItemFactory(status=ItemStatus.APPROVED)
    response = staff_api.post(
        f"/api/v1/items/{done.pk}/revisions/",
        {"mesh": upload_file(mesh_bytes(sphere_figurine()))},
        format="multipart",
    )
    assert response.status_code == 409
    assert (
        staff_api.post(
            "/api/v1/items/99999/revisions/", {"mesh": upload_file(b"solid")}, format="multipart"
        ).status_code
        == 404
    )


def test_an_oversized_request_is_refused_before_it_is_read(staff_api, item, settings, enqueued):
    settings.MAX_MESH_UPLOAD_BYTES = 1000
    big = upload_file(b"solid x\n" + b" " * (2 * 1024 * 1024), "big.stl")
    response = staff_api.post(f"/api/v1/items/{item.pk}/revisions/", {"mesh": big}, format="multipart")
    assert response.status_code == 400 and "limit" in response.json()["message"]
    assert not Revision.objects.exists()


def test_customers_cannot_use_staff_endpoints(customer_api, item, ready_round):
    assert customer_api.post(f"/api/v1/items/{item.pk}/revisions/", {}, format="multipart").status_code == 403
    assert (
        customer_api.post(f"/api/v1/revisions/{ready_round.pk}/publish/", {}, format="json").status_code
        == 403
    )
    assert APIClient().post(f"/api/v1/revisions/{ready_round.pk}/publish/").status_code in (401, 403)


def test_publish_then_the_customer_sees_the_round(staff_api, customer_api, ready_round, item, enqueued):
    assert customer_api.get(f"/api/v1/revisions/{ready_round.pk}/").status_code == 404  # not yet published
    response = staff_api.post(
        f"/api/v1/revisions/{ready_round.pk}/publish/", {"note": "Have a look"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    body = customer_api.get(f"/api/v1/revisions/{ready_round.pk}/").json()
    assert body["status"] == "published" and body["sha256"] == ready_round.sha256
    assert body["note"] == "Have a look"
    assert "mesh" not in body["files"]  # the full-resolution file is the studio's
    assert (
        staff_api.post(f"/api/v1/revisions/{ready_round.pk}/publish/", {}, format="json").status_code == 409
    )


def test_detail_for_staff_has_files_reports_and_diff(staff_api, item, sculptor, enqueued):
    make_ready_round(item, sculptor, run_checks=True)
    second = make_ready_round(item, sculptor, bump=1, run_checks=True)
    body = staff_api.get(f"/api/v1/revisions/{second.pk}/").json()
    assert body["check_report"]["printable"] is True
    assert body["diff"]["previous_round"] == 1 and body["diff"]["max_mm"] > 0
    assert len(body["files"]["renders"]) == 8
    glb = staff_api.get(body["files"]["web_glb"])
    assert glb.status_code == 200 and glb["Content-Type"] == "model/gltf-binary"
    assert b"".join(glb.streaming_content)[:4] == b"glTF"
    mesh = staff_api.get(body["files"]["mesh"])
    assert hashlib.sha256(b"".join(mesh.streaming_content)).hexdigest() == second.sha256


def test_web_glbs_are_gzipped_for_browsers_that_accept_it(staff_api, item, sculptor, enqueued):
    ready = make_ready_round(item, sculptor, run_checks=True)
    url = staff_api.get(f"/api/v1/revisions/{ready.pk}/").json()["files"]["web_glb"]
    stored = ready.web_glb.open("rb").read()
    plain = staff_api.get(url)
    assert "Content-Encoding" not in plain and b"".join(plain.streaming_content) == stored
    packed = staff_api.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed.status_code == 200 and packed["Content-Encoding"] == "gzip"
    assert packed["Content-Type"] == "model/gltf-binary" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == stored and len(packed.content) < len(stored)
    refused = staff_api.get(url, HTTP_ACCEPT_ENCODING="gzip;q=0, br")
    assert "Content-Encoding" not in refused
    # the full-resolution mesh download is never re-encoded
    mesh = staff_api.get(url.replace("preview.glb", "mesh"), HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in mesh
    assert hashlib.sha256(b"".join(mesh.streaming_content)).hexdigest() == ready.sha256


def test_another_customer_gets_404_everywhere(published, enqueued):
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=CustomerFactory())}")
    assert stranger.get(f"/api/v1/revisions/{published.pk}/").status_code == 404
    assert stranger.get(f"/portal/revisions/{published.pk}/files/preview.glb").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/revisions/{published.pk}/approve/", {"confirm": True}, format="json"
        ).status_code
        == 404
    )
    response = stranger.post(
        f"/api/v1/revisions/{published.pk}/request-changes/", {"comment": "x"}, format="json"
    )
    assert response.status_code == 404
    published.refresh_from_db()
    assert published.status == RevisionStatus.PUBLISHED


def test_a_token_scoped_to_another_order_sees_nothing(published, customer, enqueued):
    other_order = OrderFactory(customer=customer)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Portal {portal_token_issue(customer=customer, order=other_order)}"
    )
    assert client.get(f"/api/v1/revisions/{published.pk}/").status_code == 404


def test_request_changes_with_pins_and_read_them_back(customer_api, staff_api, published, item, enqueued):
    pins = [{"position": [3.25, -19.5, 30.0], "normal": [0, -1, 0], "text": "Bigger smile"}]
    response = customer_api.post(
        f"/api/v1/revisions/{published.pk}/request-changes/",
        {"comment": "Close!", "pins": pins},
        format="json",
    )
    assert response.status_code == 201, response.json()
    feedback = staff_api.get(f"/api/v1/revisions/{published.pk}/").json()["feedback"]
    assert feedback[0]["comment"] == "Close!"
    assert [(p["position"], p["normal"], p["text"]) for p in feedback[0]["pins"]] == [
        ([3.25, -19.5, 30.0], [0.0, -1.0, 0.0], "Bigger smile")
    ]
    item.refresh_from_db()
    assert item.status == ItemStatus.CHANGES_REQUESTED


@pytest.mark.parametrize(
    "body",
    [
        {"comment": "x", "pins": [{"position": [0, 0, "NaN"], "text": "y"}]},
        {"comment": "x", "pins": [{"position": [0, 0, 1e300], "text": "y"}]},
        {"comment": "x", "pins": {"position": [0, 0, 0]}},
        {"comment": 5},
        {"comment": ""},
    ],
)
def test_bad_feedback_is_a_400_and_changes_nothing(customer_api, published, body, enqueued):
    response = customer_api.post(f"/api/v1/revisions/{published.pk}/request-changes/", body, format="json")
    assert response.status_code == 400 and response.json()["message"]
    published.refresh_from_db()
    assert published.status == RevisionStatus.PUBLISHED


def test_approve_records_origin_and_refuses_a_second_time(customer_api, published, item, enqueued):
    refused = customer_api.post(
        f"/api/v1/revisions/{published.pk}/approve/", {"confirm": False}, format="json"
    )
    assert refused.status_code == 400 and "confirmation" in refused.json()["message"]
    assert not Approval.objects.exists()
    response = customer_api.post(  # the POST itself is the explicit act: no body needed
        f"/api/v1/revisions/{published.pk}/approve/", HTTP_USER_AGENT="Tester/2.0"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["approval"]["sha256"] == published.sha256
    approval = Approval.objects.get(revision=published)
    assert (approval.ip_address, approval.user_agent, approval.origin) == ("127.0.0.1", "Tester/2.0", "api")
    again = customer_api.post(f"/api/v1/revisions/{published.pk}/approve/", {"confirm": True}, format="json")
    assert again.status_code == 409
    assert Approval.objects.count() == 1


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no trusted proxy: a client cannot choose its own address
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the proxy's entry, not the client's claim
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "not-an-ip", "127.0.0.1"),
    ],
)
def test_approval_records_the_client_address_the_proxies_vouch_for(
    customer_api, published, settings, proxies, forwarded, expected, enqueued
):
    settings.TRUSTED_PROXIES = proxies
    response = customer_api.post(f"/api/v1/revisions/{published.pk}/approve/", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200, response.json()
    assert Approval.objects.get(revision=published).ip_address == expected


def test_superseded_round_cannot_be_approved_over_the_api(customer_api, published, item, sculptor, enqueued):
    newer = make_ready_round(item, sculptor, bump=2)
    revision_publish(revision_id=newer.pk, user=sculptor)
    response = customer_api.post(
        f"/api/v1/revisions/{published.pk}/approve/", {"confirm": True}, format="json"
    )
    assert response.status_code == 409
    assert Revision.objects.get(pk=published.pk).status == RevisionStatus.SUPERSEDED
    assert not Approval.objects.exists()


def test_preview_page_renders_for_the_customer_only(portal_client, client, item, sculptor, enqueued):
    published = revision_publish(
        revision_id=make_ready_round(item, sculptor, run_checks=True).pk, user=sculptor
    )
    page = portal_client.get(f"/portal/revisions/{published.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/model-viewer/model-viewer.min.js" in html and "<model-viewer" in html
    assert f"round {published.number}" in html
    portal_client.logout()
    assert client.get(f"/portal/revisions/{published.pk}/").status_code in (401, 404)


def test_customer_files_exclude_the_full_resolution_mesh(customer_api, published, enqueued):
    assert customer_api.get(f"/portal/revisions/{published.pk}/files/mesh").status_code == 404
    assert customer_api.get(f"/portal/revisions/{published.pk}/files/render-99.png").status_code == 404
    assert customer_api.get(f"/portal/revisions/{published.pk}/files/../../etc").status_code == 404


def test_approval_of_a_cancelled_item_changes_nothing(customer_api, published, item, enqueued):
    from orders.services import item_transition

    item_transition(item_id=item.pk, to=ItemStatus.CANCELLED)
    response = customer_api.post(
        f"/api/v1/revisions/{published.pk}/approve/", {"confirm": True}, format="json"
    )
    assert response.status_code == 409
    assert not Approval.objects.exists()
    assert Revision.objects.get(pk=published.pk).status == RevisionStatus.PUBLISHED
