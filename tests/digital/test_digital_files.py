"""The approved design's digital files: the task after approval, the order page's downloads, the checked view.

The task makes the six files from the approved file only (re-running makes nothing new, a later round never
changes them, a stored file changed after approval fails the run with a clear error); the API lists them per
approved item with signed URLs whose downloads are whole and match their SHA-256, for the order's customer and
the staff; another customer gets 404.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.test import Client

from digital.models import DigitalFile, DigitalFilesJob
from digital.services import digital_files_request
from digital.tasks import make_digital_files
from glue.sweeper import requeue_stalled_work
from kits.mesh.io import load_mesh
from kits.printfiles.digital import DIGITAL_FORMATS
from orders.auth import portal_login_link_issue, portal_token_issue
from orders.models import ItemStatus
from orders.services.transitions import ITEM_FOLLOW_UPS, item_transition
from revisions.models import Revision, RevisionStatus
from studio.jobs import JobStatus
from tests.factories import ItemFactory, OrderFactory, RevisionFactory, approved_item, staff_user
from tests.kits.printfiles.test_digital_kit import BLUE, RED, two_colour_figure
from tests.orders.helpers import portal_sign_in

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _api(client: Client, order, token: str):
    return client.get(f"/api/v1/orders/{order.number}/", HTTP_AUTHORIZATION=f"Portal {token}")


@pytest.fixture
def made(settings):
    settings.DIGITAL_GAME_TRIANGLES = 1500
    item = approved_item(height_mm=120, mesh=two_colour_figure())
    result = make_digital_files(item.pk)
    assert result["status"] == JobStatus.COMPLETED, result
    return item


def test_approval_enqueues_the_digital_files_after_commit(enqueued, django_capture_on_commit_callbacks):
    assert any(f.func == "digital.tasks.make_digital_files" for f in ITEM_FOLLOW_UPS[ItemStatus.APPROVED])
    item = ItemFactory(status=ItemStatus.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        item_transition(item_id=item.pk, to=ItemStatus.APPROVED)
    assert ("digital.tasks.make_digital_files", (item.pk,), None) in enqueued


def test_the_task_makes_six_files_from_the_approved_file(made):
    approval = made.approval
    files = {row.format: row for row in DigitalFile.objects.filter(item=made)}
    assert sorted(files) == sorted(DIGITAL_FORMATS)
    for row in files.values():
        data = row.file.open("rb").read()
        assert len(data) == row.bytes and hashlib.sha256(data).hexdigest() == row.sha256
        assert row.source_sha256 == approval.sha256 and row.revision_id == approval.revision_id
        assert row.triangles > 0
    assert files["glb_game"].triangles <= 1500 < files["glb"].triangles
    job = DigitalFilesJob.objects.get(item=made)
    assert job.status == JobStatus.COMPLETED and job.attempts == 1
    assert job.data["source_sha256"] == approval.sha256 and len(job.data["files"]) == 6
    stl = load_mesh(files["stl"].file.path)
    assert np.ptp(stl.mesh.vertices[:, 2]) == pytest.approx(120.0, abs=0.1)
    game = load_mesh(files["glb_game"].file.path)
    colours = {tuple(int(c) for c in row[:3]) for row in np.asarray(game.mesh.visual.vertex_colors)}
    assert any(max(abs(a - b) for a, b in zip(c, RED, strict=True)) <= 1 for c in colours)
    assert any(max(abs(a - b) for a, b in zip(c, BLUE, strict=True)) <= 1 for c in colours)


def test_running_again_makes_nothing_new(made):
    before = list(DigitalFile.objects.filter(item=made).values_list("pk", "file", "sha256", "created_at"))
    assert make_digital_files(made.pk) is None  # a re-delivered task: its run is finished
    assert make_digital_files(made.pk) is None
    assert DigitalFilesJob.objects.filter(item=made).count() == 1
    assert (
        list(DigitalFile.objects.filter(item=made).values_list("pk", "file", "sha256", "created_at"))
        == before
    )


def test_a_later_round_never_changes_them(made):
    approval = made.approval
    before = dict(DigitalFile.objects.filter(item=made).values_list("format", "triangles"))
    later = RevisionFactory(item=made, number=approval.revision.number + 1, status=RevisionStatus.UPLOADED)
    later.mesh.save("later.stl", ContentFile(b"solid later\nendsolid later\n"))
    digital_files_request(item_id=made.pk)  # an operator asks for them again
    result = make_digital_files(made.pk)
    assert result["status"] == JobStatus.COMPLETED
    rows = DigitalFile.objects.filter(item=made)
    assert rows.count() == 6 and {row.source_sha256 for row in rows} == {approval.sha256}
    assert {row.revision_id for row in rows} == {approval.revision_id} != {later.pk}
    assert dict(rows.values_list("format", "triangles")) == before


def test_a_file_changed_after_approval_fails_with_a_clear_error(settings):
    item = approved_item(height_mm=100)
    revision = Revision.objects.get(pk=item.approval.revision_id)
    with open(revision.mesh.path, "ab") as handle:
        handle.write(b"tampered")
    result = make_digital_files(item.pk)
    assert result["status"] == JobStatus.FAILED
    job = DigitalFilesJob.objects.get(item=item)
    assert job.data["code"] == "sha256_mismatch"
    assert "changed after approval" in job.error and item.approval.sha256 in job.error
    assert not DigitalFile.objects.filter(item=item).exists()
    token = portal_token_issue(customer=item.order.customer)
    answer = _api(Client(), item.order, token).json()["items"][0]
    assert answer["downloads"] == [] and answer["downloads_status"] == "failed"


def test_the_order_lists_the_downloads_and_each_downloads_whole(made, settings):
    settings.DEBUG = False  # no /media/ route: the files come through the checked view
    order = made.order
    token = portal_token_issue(customer=order.customer)
    answer = _api(Client(), order, token)
    assert answer.status_code == 200
    (item,) = answer.json()["items"]
    assert item["downloads_status"] == "ready"
    assert [d["format"] for d in item["downloads"]] == list(DIGITAL_FORMATS)
    for download in item["downloads"]:
        assert set(download) == {"format", "url", "bytes", "sha256", "triangles"}
        assert download["url"].startswith("/api/v1/digital-files/") and "?sig=" in download["url"]
        response = Client().get(download["url"], HTTP_AUTHORIZATION=f"Portal {token}")
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        data = _body(response)
        assert len(data) == download["bytes"] and hashlib.sha256(data).hexdigest() == download["sha256"]

    url = item["downloads"][0]["url"]
    staff = Client()
    staff.force_login(staff_user("operator-dl", "Operators"))
    assert staff.get(url).status_code == 200 and staff.get(url.split("?")[0]).status_code == 200
    assert staff.get(f"/api/v1/orders/{order.number}/").json()["items"][0]["downloads_status"] == "ready"

    other = OrderFactory().customer
    other_token = portal_token_issue(customer=other)
    assert _api(Client(), order, other_token).status_code == 404
    assert (
        Client().get(url, HTTP_AUTHORIZATION=f"Portal {other_token}").status_code == 404
    )  # even with the link
    assert Client().get(url).status_code == 404  # nobody signed in
    assert (
        Client().get(url.split("?")[0], HTTP_AUTHORIZATION=f"Portal {token}").status_code == 404
    )  # unsigned
    settings.SIGNED_FILE_URL_SECONDS = -1
    assert Client().get(url, HTTP_AUTHORIZATION=f"Portal {token}").status_code == 404  # expired


def test_before_approval_the_list_is_empty_and_while_the_task_runs_it_says_so():
    item = ItemFactory(status=ItemStatus.IN_REVIEW)
    token = portal_token_issue(customer=item.order.customer)
    answer = _api(Client(), item.order, token).json()["items"][0]
    assert answer["downloads"] == [] and answer["downloads_status"] == "none"

    approved = approved_item()
    token = portal_token_issue(customer=approved.order.customer)
    assert _api(Client(), approved.order, token).json()["items"][0]["downloads_status"] == "making"
    DigitalFilesJob.objects.create(item=approved, status=JobStatus.RUNNING)
    answer = _api(Client(), approved.order, token).json()["items"][0]
    assert answer["downloads"] == [] and answer["downloads_status"] == "making"


def test_the_portal_order_page_offers_the_files_in_plain_words(made, client):

    order = made.order
    portal_sign_in(client, f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/")
    page = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert "Your 3D files" in page and 'data-downloads-status="ready"' in page
    assert page.count('data-testid="download"') == 6
    for words in ("printing at home", "Blender", "games", "iPhone", "AR"):
        assert words in page
    assert "/api/v1/digital-files/" in page


def test_the_sweeper_sends_a_lost_digital_files_task_again(enqueued):
    item = approved_item()  # approved a day ago; its task was lost (no run ever started)
    assert requeue_stalled_work()["digital_files"] == 1
    assert ("digital.tasks.make_digital_files", (item.pk,), None) in enqueued
    DigitalFilesJob.objects.create(item=item, status=JobStatus.COMPLETED)
    assert requeue_stalled_work()["digital_files"] == 0
