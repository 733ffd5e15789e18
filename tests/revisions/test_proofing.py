"""Proofing on the customer's preview page as Frame.io and Ziflow do it (issue 16), read from the HTML the
customer gets: the sculptor's replies under their comment, the "your sculptor has your changes, next
preview by …" promise, rounds side by side, the approve button that says why it is disabled, "Click" and
"Tap", the photos folded away. What only a browser can tell (the layout, the synced cameras) is in
``test_proofing_browser.py``."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from orders.auth import SESSION_KEY
from orders.models import ItemStatus, Photo
from orders.portal_presenter import studio_date
from orders.promises import preview_due_after
from revisions.models import Feedback, FeedbackReply, Revision, RevisionStatus
from revisions.replies import feedback_reply_create
from revisions.selectors import preview_due_at
from revisions.services import revision_publish, revision_request_changes
from studio.errors import ApplicationError, PermissionDenied
from tests.revisions.conftest import make_ready_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(ready_round, sculptor):
    return revision_publish(revision_id=ready_round.pk, user=sculptor)


@pytest.fixture
def customer_client(customer):
    client = Client()
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client


def _staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, revision) -> str:
    response = client.get(f"/portal/revisions/{revision.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _next_round(item, sculptor, first):
    """Round 2 published after round 1; round 1 given a web preview (as its checks write one), so the page
    has a previous round to show (the checks themselves run in the browser tests)."""
    Revision.objects.filter(pk=first.pk).update(web_glb=f"meshes/r{first.number}/preview.glb")
    second = make_ready_round(item, sculptor, bump=1.0)
    return revision_publish(revision_id=second.pk, user=sculptor)


def _changes(revision, customer, enqueued) -> Feedback:
    return revision_request_changes(
        revision_id=revision.pk,
        customer=customer,
        comment="Could the hat be taller?",
        pins=[{"position": [0.0, -20.0, 20.0], "text": "Smaller nose"}],
    )


# ------------------------------------------------------------------------------ replies from the sculptor


def test_a_sculptors_reply_shows_under_the_customers_comment_on_that_round(
    published, customer, customer_client, sculptor, enqueued
):
    feedback = _changes(published, customer, enqueued)
    sculptor.first_name = "Mara"
    sculptor.save()
    response = _staff_client(sculptor).post(
        f"/admin/revisions/revision/feedback/{feedback.pk}/reply/",
        {"text": "Yes, 5 mm taller — and the nose a touch smaller.\nNext round Friday."},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#feedback-{feedback.pk}")
    (reply,) = FeedbackReply.objects.all()
    assert reply.feedback == feedback and reply.author == sculptor

    html = _page(customer_client, published)
    comments = html[html.index('data-testid="this-round-comments"') :]
    comments = comments[: comments.index("</section>")]
    # the reply sits under the customer's own comment, with who wrote it and when (the studio's time zone)
    assert comments.index("Could the hat be taller?") < comments.index('data-testid="reply"')
    assert "Mara replied" in comments
    assert "Yes, 5 mm taller — and the nose a touch smaller.<br>Next round Friday." in comments
    assert studio_date(reply.created_at, with_time=True) in comments


def test_the_reply_also_shows_on_the_next_round_under_the_comments_it_answers(
    published, customer, customer_client, sculptor, item, enqueued
):
    feedback = _changes(published, customer, enqueued)
    feedback_reply_create(feedback_id=feedback.pk, user=sculptor, text="Done in round 2.")
    second = _next_round(item, sculptor, published)
    html = _page(customer_client, second)
    section = html[html.index(f"Your comments on round {published.number}") :]
    assert "Done in round 2." in section[: section.index("</section>")]


def test_the_admin_item_page_has_a_reply_form_under_each_feedback_for_a_sculptor_only(
    published, customer, sculptor, operator, item, enqueued
):
    feedback = _changes(published, customer, enqueued)
    feedback_reply_create(feedback_id=feedback.pk, user=sculptor, text="On it.")
    url = f"/admin/revisions/revision/item/{item.pk}/"
    page = _staff_client(sculptor).get(url).content.decode()
    assert f'action="/admin/revisions/revision/feedback/{feedback.pk}/reply/"' in page
    assert "On it." in page
    page = _staff_client(operator).get(url).content.decode()
    assert "On it." in page  # an operator reads the conversation …
    assert "/reply/" not in page  # … without a form to write in it


def test_an_operator_cannot_reply_403_and_nothing_is_written(published, customer, operator, enqueued):
    feedback = _changes(published, customer, enqueued)
    response = _staff_client(operator).post(
        f"/admin/revisions/revision/feedback/{feedback.pk}/reply/", {"text": "Operators answer too?"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        feedback_reply_create(feedback_id=feedback.pk, user=operator, text="Operators answer too?")
    assert not FeedbackReply.objects.exists()


def test_a_customer_or_nobody_cannot_reply(published, customer, enqueued):
    feedback = _changes(published, customer, enqueued)
    for user in (None, customer):
        with pytest.raises(PermissionDenied):
            feedback_reply_create(feedback_id=feedback.pk, user=user, text="Hello")
    assert not FeedbackReply.objects.exists()


@pytest.mark.parametrize("text", ["", "   \n  ", None])
def test_an_empty_reply_is_refused(published, customer, sculptor, enqueued, text):
    feedback = _changes(published, customer, enqueued)
    with pytest.raises(ApplicationError) as refused:
        feedback_reply_create(feedback_id=feedback.pk, user=sculptor, text=text)
    assert refused.value.status_code == 400 and "empty" in refused.value.message
    # through the admin form: back to the page with the message, nothing written
    client = _staff_client(sculptor)
    response = client.post(
        f"/admin/revisions/revision/feedback/{feedback.pk}/reply/", {"text": text or ""}, follow=True
    )
    assert "Write a reply first: it cannot be empty." in response.content.decode()
    assert not FeedbackReply.objects.exists()


def test_a_reply_to_an_unknown_feedback_is_404(sculptor):
    response = _staff_client(sculptor).post(
        "/admin/revisions/revision/feedback/999999/reply/", {"text": "Hi"}
    )
    assert response.status_code == 404


def test_the_reply_migration_is_reversible():
    migration = importlib.import_module("revisions.migrations.0004_feedbackreply").Migration
    assert migration.operations and all(op.reversible for op in migration.operations)


# ----------------------------------------------------------------------- "your sculptor has your changes"


def test_after_sending_changes_the_page_says_the_sculptor_has_them_and_when_the_next_preview_is_due(
    published, customer, customer_client, item, enqueued
):
    assert 'data-testid="changes-sent"' not in _page(customer_client, published)
    feedback = _changes(published, customer, enqueued)
    item.refresh_from_db()
    assert item.status == ItemStatus.CHANGES_REQUESTED
    due = preview_due_at(item)
    assert due == preview_due_after(feedback.created_at)
    html = _page(customer_client, published)
    expected = f"the next preview is due by {studio_date(due, with_time=True)}."
    note = html[html.index('data-testid="changes-sent"') :]
    note = note[: note.index("</p>")]
    assert "Your sculptor has your changes" in note and expected in note, note
    assert 'data-testid="request-changes"' not in html  # nothing left to send on this round


def test_once_the_next_round_is_out_the_old_round_no_longer_promises_it(
    published, customer, customer_client, sculptor, item, enqueued
):
    _changes(published, customer, enqueued)
    second = _next_round(item, sculptor, published)
    published.refresh_from_db()
    assert published.status == RevisionStatus.SUPERSEDED
    assert 'data-testid="changes-sent"' not in _page(customer_client, published)
    assert 'data-testid="changes-sent"' not in _page(customer_client, second)


# ------------------------------------------------------------------------------ the page's other pieces


def test_side_by_side_is_offered_only_when_there_is_a_previous_round(
    published, customer, customer_client, sculptor, item, enqueued
):
    html = _page(customer_client, published)
    assert 'data-testid="side-by-side"' not in html and 'id="viewer-previous"' not in html
    _changes(published, customer, enqueued)
    second = _next_round(item, sculptor, published)
    Revision.objects.filter(pk=second.pk).update(web_glb="meshes/r2/preview.glb")
    html = _page(customer_client, second)
    assert ">Side by side</button>" in html
    # previous | this round, labelled, the previous one loaded only when asked for
    assert html.index(f"Round {published.number} (before)</p>") < html.index(
        f"Round {second.number} (this round)</p>"
    )
    assert '<model-viewer id="viewer-previous"' in html


def test_the_approve_buttons_say_why_they_are_disabled_and_look_it(published, customer_client):
    html = _page(customer_client, published)
    assert 'id="approve-open" data-testid="approve" aria-describedby="approve-why"' in html
    assert 'aria-describedby="approve-confirm-why" title="Tick the box above first">Approve and print' in html
    assert "Tick the box above first: it says you looked at the model from all sides." in html
    assert ".btn:disabled { background:#d5d8de; color:#6b7280; cursor:not-allowed;" in html


def test_the_instruction_says_click_with_a_mouse_and_tap_on_a_touch_screen(published, customer_client):
    html = _page(customer_client, published)
    assert (
        '<span class="on-pointer">Click the model</span><span class="on-touch">Tap the model</span>' in html
    )
    assert "@media (hover: none) and (pointer: coarse) { .on-touch { display:inline; } .on-pointer" in html


def test_the_photos_fold_away_below_the_actions(published, customer_client, item):
    Photo.objects.create(item=item, kind="front", sha256="front", is_usable=True, report={"issues": []})
    html = _page(customer_client, published)
    assert '<details class="card photos" data-testid="photos"><summary><h2>Your photos (1)</h2>' in html
    assert html.index('id="feedback"') < html.index('data-testid="photos"')  # the actions come first
