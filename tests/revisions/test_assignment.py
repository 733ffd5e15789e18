"""Who designs a figurine: items start unassigned, a sculptor takes one from the work queue ("Assign to
me"), operators move one in the item's form, where the list holds sculptors only; every change is a line
on the timeline. The queue is reachable from the admin index; rounds are never added by the bare form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Item, ItemStatus, OrderEvent
from orders.services import item_assign_sculptor
from studio.errors import ApplicationError, Conflict
from tests.factories import ItemFactory, OrderFactory, staff_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def waiting() -> Item:
    return ItemFactory(order=OrderFactory(status="in_design"), status=ItemStatus.READY_FOR_DESIGN)


def test_a_new_item_is_unassigned_and_the_queue_offers_it(sculptor, waiting):
    assert waiting.assigned_sculptor is None
    page = _client(sculptor).get(reverse("admin:revisions_work_queue")).content.decode()
    assert f'data-item="{waiting.pk}"' in page and "unassigned" in page
    assert reverse("admin:revisions_item_assign", args=[waiting.pk]) in page and "Assign to me" in page


def test_assign_to_me_takes_the_item_with_a_timeline_line(sculptor, waiting):
    client = _client(sculptor)
    response = client.post(reverse("admin:revisions_item_assign", args=[waiting.pk]), follow=True)
    assert response.status_code == 200 and "is yours now" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.assigned_sculptor == sculptor
    (event,) = OrderEvent.objects.filter(item=waiting, type="sculptor_assigned")
    assert event.parameters == {"sculptor": sculptor.username, "previous": None} and event.user == sculptor
    mine = client.get(reverse("admin:revisions_work_queue") + "?mine=1").content.decode()
    assert f'data-item="{waiting.pk}"' in mine and "Assign to me" not in mine


def test_someone_elses_item_is_not_taken(sculptor, waiting):
    other = staff_user("other-sculptor", "Sculptors")
    item_assign_sculptor(item_id=waiting.pk, sculptor=other)
    response = _client(sculptor).post(reverse("admin:revisions_item_assign", args=[waiting.pk]), follow=True)
    assert "already other-sculptor" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.assigned_sculptor == other
    assert OrderEvent.objects.filter(item=waiting, type="sculptor_assigned").count() == 1


def test_an_operator_cannot_take_work_for_themselves(operator, waiting):
    client = _client(operator)
    assert "Assign to me" not in client.get(reverse("admin:revisions_work_queue")).content.decode()
    assert client.post(reverse("admin:revisions_item_assign", args=[waiting.pk])).status_code == 403
    waiting.refresh_from_db()
    assert waiting.assigned_sculptor is None


def test_the_service_gives_figurines_to_sculptors_only_and_not_when_finished(sculptor, operator, waiting):
    with pytest.raises(ApplicationError, match="not an active sculptor"):
        item_assign_sculptor(item_id=waiting.pk, sculptor=operator)
    done = ItemFactory(status=ItemStatus.CANCELLED)
    with pytest.raises(Conflict, match="nothing left to design"):
        item_assign_sculptor(item_id=done.pk, sculptor=sculptor)
    item_assign_sculptor(item_id=waiting.pk, sculptor=sculptor)
    item_assign_sculptor(item_id=waiting.pk, sculptor=sculptor)  # the same again: no second line
    assert OrderEvent.objects.filter(item=waiting, type="sculptor_assigned").count() == 1


def test_the_item_form_lists_sculptors_only_and_records_the_change(sculptor, operator, waiting, admin_client):
    url = reverse("admin:orders_item_change", args=[waiting.pk])
    form = admin_client.get(url).context["adminform"].form
    choices = {label for _, label in form.fields["assigned_sculptor"].choices}
    assert sculptor.username in choices and operator.username not in choices

    data = {
        "product_line": waiting.product_line,
        "height_mm": waiting.height_mm,
        "persons": waiting.persons,
        "style": waiting.style,
        "notes": waiting.notes,
        "flag_reason": "",
    }
    page = admin_client.get(url)
    for formset in page.context["inline_admin_formsets"]:  # the inlines' management forms, as sent
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    refused = admin_client.post(url, {**data, "assigned_sculptor": operator.pk})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    response = admin_client.post(url, {**data, "assigned_sculptor": sculptor.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    waiting.refresh_from_db()
    assert waiting.assigned_sculptor == sculptor
    assert OrderEvent.objects.filter(item=waiting, type="sculptor_assigned").count() == 1


def test_the_admin_index_links_the_work_queue(sculptor):
    page = _client(sculptor).get(reverse("admin:index")).content.decode()
    assert reverse("admin:revisions_work_queue") in page and "Sculptor work queue" in page


def test_rounds_are_not_added_by_the_bare_admin_form(admin_client):
    assert admin_client.get(reverse("admin:revisions_revision_add")).status_code == 403
    assert admin_client.post(reverse("admin:revisions_revision_add"), {}).status_code == 403
