"""Every stored file through a real S3 protocol server on loopback (moto's server mode): the studio's
default storage is django-storages' S3 backend talking HTTP to it, as it would to a bucket.

A customer's photo upload, the sculptor's round with its check (previews, renders), approval (the
mesh hashed again from the bucket), the print file, and each download: the studio checks who asks,
then answers with the bucket's own presigned URL, which a plain HTTP client fetches from the bucket.
An unreachable bucket is a clear 503 with nothing half-stored.
"""

from __future__ import annotations

import hashlib
import socket
import urllib.request
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from django.test import Client
from django.urls import reverse

from orders.models import Item, Order, Photo
from printing.models import PrintJob
from printing.services.print_jobs import print_job_create
from printing.tasks import make_print_file
from revisions.models import Revision, RevisionStatus
from revisions.services import revision_approve, revision_publish
from tests.factories import staff_user
from tests.kits.photo.images import photo_jpeg
from tests.orders.helpers import place_order, portal_header, upload
from tests.revisions.conftest import make_ready_round

moto_server = pytest.importorskip("moto.server")

BUCKET = "studio-files-test"
pytestmark = pytest.mark.xdist_group("object-storage")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client_config() -> Config:
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=2,
        read_timeout=10,
        retries={"max_attempts": 1, "mode": "standard"},
    )


def _use_bucket(settings, endpoint: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
                "client_config": _client_config(),
            },
        },
    }


@pytest.fixture
def bucket(settings, s3_endpoint, monkeypatch, tmp_path):
    """An empty bucket as the studio's default storage; answers a boto3 client to look into it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", config=_client_config())
    existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    if BUCKET in existing:
        for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    else:
        s3.create_bucket(Bucket=BUCKET)
    _use_bucket(settings, s3_endpoint)
    s3.keys = lambda: sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    yield s3
    assert not any(settings.MEDIA_ROOT.rglob("*.*")) if settings.MEDIA_ROOT.exists() else True


def _object_sha256(s3, key: str) -> str:
    return hashlib.sha256(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest()


def _fetch_presigned(response, endpoint: str) -> bytes:
    """Follow the studio's redirect as a browser would: a presigned URL on the bucket, fetched with no
    credentials of ours (urllib, no AWS keys)."""
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(endpoint + "/" + BUCKET + "/"), location
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    with urllib.request.urlopen(location, timeout=10) as answer:  # noqa: S310 - loopback test server
        return answer.read()


@pytest.mark.django_db
def test_upload_check_approve_print_and_download_all_through_the_bucket(bucket, s3_endpoint, settings):
    client = Client()
    placed = place_order(client, email="bucket@example.com")
    placed["item_id"] = placed["items"][0]["id"]
    auth = portal_header(placed["portal_token"])

    # the customer's photo: stored in the bucket, served through a presigned URL after the check
    response = upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=31), **auth)
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.image.name in bucket.keys()
    assert _object_sha256(bucket, photo.image.name) == photo.sha256
    photo_url = response.json()["url"]
    assert Client().get(urlsplit(photo_url).path).status_code == 404  # no signature, no session
    body = _fetch_presigned(client.get(photo_url), s3_endpoint)
    assert hashlib.sha256(body).hexdigest() == photo.sha256

    # the sculptor's round: mesh stored in the bucket, the real check task reads it back from there and
    # writes its previews and renders there
    sculptor = staff_user("bucket-sculptor", "Sculptors")
    # (design started: set as the workflow's earlier steps would leave it, which other tests cover)
    Item.objects.filter(pk=photo.item_id).update(
        status="sculpting", assigned_sculptor=sculptor, height_mm=150
    )
    Order.objects.filter(pk=photo.item.order_id).update(status="in_design")
    item = Item.objects.get(pk=photo.item_id)
    revision = make_ready_round(item, sculptor, run_checks=True)
    keys = bucket.keys()
    for stored in (revision.mesh.name, revision.web_glb.name, *revision.renders):
        assert stored in keys, (stored, keys)
    assert _object_sha256(bucket, revision.mesh.name) == revision.sha256

    revision_publish(revision_id=revision.pk, user=sculptor, note="First look")
    preview = client.get(f"/portal/revisions/{revision.pk}/files/preview.glb", **auth)
    assert preview.status_code == 200  # the viewer's GLB is streamed (a bucket would need CORS)
    assert b"".join(preview.streaming_content if preview.streaming else [preview.content])
    render = _fetch_presigned(
        client.get(f"/portal/revisions/{revision.pk}/files/render-0.png", **auth), s3_endpoint
    )
    assert render.startswith(b"\x89PNG")
    # the round's AR file (iPhone Quick Look): in the bucket, a presigned URL with Quick Look's content type
    assert revision.ar_usdz and revision.ar_usdz.name in keys
    ar = client.get(f"/portal/revisions/{revision.pk}/files/ar.usdz", **auth)
    assert "response-content-type=model%2Fvnd.usdz%2Bzip" in ar.get("Location", "")
    usdz = _fetch_presigned(ar, s3_endpoint)
    assert usdz.startswith(b"PK") and hashlib.sha256(usdz).hexdigest() == _object_sha256(
        bucket, revision.ar_usdz.name
    )

    # approval hashes the mesh again from the bucket and locks it
    approval = revision_approve(revision_id=revision.pk, customer=item.order.customer, confirm=True)
    assert approval.sha256 == revision.sha256
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.APPROVED

    # the print file is made from the bucket's copy and stored there; the operator downloads it
    operator = staff_user("bucket-operator", "Operators")
    job = print_job_create(item_id=item.pk, user=operator)
    make_print_file(job.pk)
    job = PrintJob.objects.get(pk=job.pk)
    assert job.print_file and job.print_file.name in bucket.keys()
    staff = Client()
    staff.force_login(operator)
    data = _fetch_presigned(staff.get(reverse("printing-file", args=["print-file", job.pk])), s3_endpoint)
    assert hashlib.sha256(data).hexdigest() == _object_sha256(bucket, job.print_file.name)
    assert not (settings.MEDIA_ROOT.exists() and any(settings.MEDIA_ROOT.rglob("*.*")))  # nothing on disk


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_an_unreachable_bucket_is_a_clear_503_and_nothing_is_half_stored(bucket, s3_endpoint, settings):
    client = Client()
    placed = place_order(client, email="down@example.com")
    placed["item_id"] = placed["items"][0]["id"]
    auth = portal_header(placed["portal_token"])
    _use_bucket(settings, f"http://127.0.0.1:{_closed_port()}")  # the bucket stops answering

    response = upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=32), **auth)
    assert response.status_code == 503, response.content
    answer = response.json()
    assert answer["code"] == "storage_unavailable" and "nothing was saved" in answer["message"]
    assert response["Retry-After"]
    assert not Photo.objects.filter(item_id=placed["item_id"]).exists()

    _use_bucket(settings, s3_endpoint)  # back: nothing from the failed upload is there, the next one works
    assert bucket.keys() == []
    response = upload(client, placed["number"], placed["item_id"], photo_jpeg(seed=32), **auth)
    assert response.status_code == 201, response.content
    assert bucket.keys() == [Photo.objects.get(item_id=placed["item_id"]).image.name]
