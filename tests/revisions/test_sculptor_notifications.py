"""A round's news reaches a sculptor even when nobody is assigned yet: the customer's changes and a
rejected base mesh (no uploader) go to the whole Sculptors team, never nowhere."""

from __future__ import annotations

import pytest
from django.core import mail

from orders.models import Item
from revisions.models import Revision
from revisions.services import revision_publish, revision_request_changes, revision_upload
from revisions.tasks import check_revision, notify_sculptor_of_feedback, notify_sculptor_of_rejection
from tests.factories import staff_user
from tests.kits.mesh.meshes import mesh_bytes, open_sphere
from tests.revisions.conftest import upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(sculptor):
    """The round's sculptor, another active one, one who left, and an operator (not a sculptor)."""
    staff_user("ben", "Sculptors", email="ben@example.com")
    staff_user("cleo", "Sculptors", email="cleo@example.com", is_active=False)
    staff_user("olga", "Operators", email="olga@example.com")
    return sorted(["ben@example.com", sculptor.email])


def test_feedback_on_an_unassigned_item_reaches_the_sculptors_team(
    ready_round, item, sculptor, customer, team
):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    Item.objects.filter(pk=item.pk).update(assigned_sculptor=None)
    feedback = revision_request_changes(
        revision_id=ready_round.pk, customer=customer, comment="Bigger smile", pins=[]
    )
    assert notify_sculptor_of_feedback(feedback.pk) is True
    assert notify_sculptor_of_feedback(feedback.pk) is False  # still once
    (message,) = mail.outbox
    assert sorted(message.to) == team and "Bigger smile" in message.body


def test_the_assigned_sculptor_alone_hears_of_feedback(ready_round, item, sculptor, customer, team):
    revision_publish(revision_id=ready_round.pk, user=sculptor)
    feedback = revision_request_changes(revision_id=ready_round.pk, customer=customer, comment="Ok", pins=[])
    assert notify_sculptor_of_feedback(feedback.pk) is True
    (message,) = mail.outbox
    assert message.to == [sculptor.email]


def test_a_rejected_base_mesh_of_an_unassigned_item_reaches_the_team(
    item, sculptor, enqueued, on_commit, team
):
    revision = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(open_sphere())), user=sculptor)
    with on_commit(execute=True):
        check_revision(revision.pk)
    # as the reconstruction leaves it: no uploader, and nobody assigned yet
    Revision.objects.filter(pk=revision.pk).update(uploaded_by=None)
    Item.objects.filter(pk=item.pk).update(assigned_sculptor=None)
    assert notify_sculptor_of_rejection(revision.pk) is True
    (message,) = mail.outbox
    assert sorted(message.to) == team and "not_watertight" in message.body


def test_nobody_to_tell_sends_nothing_and_says_so(item, sculptor, enqueued, on_commit, caplog):
    revision = revision_upload(item_id=item.pk, file=upload_file(mesh_bytes(open_sphere())), user=sculptor)
    with on_commit(execute=True):
        check_revision(revision.pk)
    Revision.objects.filter(pk=revision.pk).update(uploaded_by=None)
    Item.objects.filter(pk=item.pk).update(assigned_sculptor=None)
    sculptor.groups.clear()
    assert notify_sculptor_of_rejection(revision.pk) is False
    assert not mail.outbox and "no sculptor to tell" in caplog.text
