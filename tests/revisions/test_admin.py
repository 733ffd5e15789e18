"""The sculptor's workroom in the admin: queue order, the item page, upload, publish, download."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import ItemStatus
from revisions.models import Revision, RevisionStatus
from revisions.selectors import item_round_metrics, work_queue
from revisions.services import revision_publish, revision_request_changes
from tests.factories import ItemFactory, UserFactory
from tests.kits.mesh.meshes import mesh_bytes, sphere_figurine
from tests.revisions.conftest import make_ready_round, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def sculptor_client(client, sculptor):
    client.force_login(sculptor)
    return client


def test_queue_puts_overdue_first_then_soonest(sculptor_client, sculptor):
    now = timezone.now()
    later = ItemFactory(
        status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, preview_due_at=now + timedelta(days=20)
    )
    late = ItemFactory(
        status=ItemStatus.SCULPTING, assigned_sculptor=sculptor, preview_due_at=now - timedelta(days=10)
    )
    soon = ItemFactory(status=ItemStatus.READY_FOR_DESIGN, preview_due_at=now + timedelta(days=5))
    ItemFactory(
        status=ItemStatus.IN_REVIEW, preview_due_at=now - timedelta(days=3)
    )  # waiting on the customer
    assert [e.item.pk for e in work_queue()] == [late.pk, soon.pk, later.pk]
    assert work_queue()[0].overdue and work_queue()[0].business_hours_left < 0
    assert [e.item.pk for e in work_queue(sculptor=sculptor)] == [late.pk, later.pk]
    assert [e.item.pk for e in work_queue(overdue_only=True)] == [late.pk]

    page = sculptor_client.get("/admin/revisions/revision/queue/").content.decode()
    assert (
        page.index(f'data-item="{late.pk}"')
        < page.index(f'data-item="{soon.pk}"')
        < page.index(f'data-item="{later.pk}"')
    )
    overdue = sculptor_client.get("/admin/revisions/revision/queue/?overdue=1").content.decode()
    assert f'data-item="{late.pk}"' in overdue and f'data-item="{soon.pk}"' not in overdue


def test_item_page_upload_publish_and_download(sculptor_client, item, customer, sculptor, enqueued):
    data = mesh_bytes(sphere_figurine())
    response = sculptor_client.post(
        f"/admin/revisions/revision/item/{item.pk}/upload/",
        {"mesh": upload_file(data, "v1.stl"), "note": "Hi"},
    )
    assert response.status_code == 302
    revision = Revision.objects.get(item=item)
    assert revision.status == RevisionStatus.CHECKING and revision.sha256 == hashlib.sha256(data).hexdigest()
    from revisions.tasks import check_revision

    assert check_revision(revision.pk) == "ready"
    page = sculptor_client.get(f"/admin/revisions/revision/item/{item.pk}/").content.decode()
    assert "Publish to the customer" in page and "printable" in page
    assert sculptor_client.post(f"/admin/revisions/revision/{revision.pk}/publish/").status_code == 302
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.PUBLISHED

    revision_request_changes(
        revision_id=revision.pk,
        customer=customer,
        comment="Taller hat",
        pins=[{"position": [1.24, -2.5, 38.76], "text": "Hat"}],
    )
    page = sculptor_client.get(f"/admin/revisions/revision/item/{item.pk}/").content.decode()
    assert "Taller hat" in page and "<li>Hat <small" in page and "at 1.2, -2.5, 38.8 mm" in page

    download = sculptor_client.get(f"/admin/revisions/revision/item/{item.pk}/download/")
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == revision.sha256
    assert "attachment" in download["Content-Disposition"]


def test_admin_upload_refusal_is_a_message_not_an_error(sculptor_client, sculptor, enqueued):
    done = ItemFactory(status=ItemStatus.APPROVED)
    response = sculptor_client.post(
        f"/admin/revisions/revision/item/{done.pk}/upload/",
        {"mesh": upload_file(b"solid x", "x.stl")},
        follow=True,
    )
    assert response.status_code == 200 and "can be uploaded only while" in response.content.decode()
    assert not Revision.objects.exists()


def test_workroom_needs_staff_permissions(client, item):
    client.force_login(UserFactory(username="nobody", is_staff=True))  # staff without the group
    assert client.get(f"/admin/revisions/revision/item/{item.pk}/").status_code == 403
    client.logout()
    assert client.get("/admin/revisions/revision/queue/").status_code == 302  # to the login page


def test_round_metrics(item, sculptor, customer, enqueued):
    first = make_ready_round(item, sculptor)
    revision_publish(revision_id=first.pk, user=sculptor)
    revision_request_changes(revision_id=first.pk, customer=customer, comment="More")
    second = make_ready_round(item, sculptor, bump=1)
    revision_publish(revision_id=second.pk, user=sculptor)
    metrics = item_round_metrics(item)
    assert metrics["rounds"] == 2 and metrics["published_rounds"] == 2
    first_round = metrics["per_round"][0]
    assert first_round["studio_hours"] >= 0 and first_round["customer_hours"] >= 0
    assert metrics["per_round"][1]["answered_at"] is None
