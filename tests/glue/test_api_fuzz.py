"""Schemathesis against the studio's own OpenAPI schema: generated requests for every operation, sent
in process through the WSGI app as each kind of caller (anonymous, the order's customer, a sculptor, an
operator), each case once as generated and once aimed at real objects of the caller's studio.

Every answer must be a documented status (the schema lists the error answers, see
``studio.api.StudioAutoSchema``), never a 5xx, and match its documented body. Bounded: a handful of
examples per operation, so the module stays well under a minute or two on the CI machine.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token

from orders.auth import portal_token_issue
from orders.models import ItemStatus, OrderStatus
from revisions.models import RevisionStatus
from tests.factories import ItemFactory, OrderFactory, RevisionFactory, job_in_state, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = ("anonymous", "customer", "sculptor", "operator")

# Checks that read the answer against the schema. `ignored_auth` and `negative_data_rejection` judge
# generated negative data by HTTP conventions the studio does not use everywhere (e.g. a public POST);
# the studio's own rules are asserted by the role and validation tests.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def _connection_kept_across_requests():
    """Schemathesis calls the WSGI app itself, not Django's test client, so each request's end would close
    the database connection (it is inside the test's transaction: PostgreSQL then answers 'the
    connection is closed'). Keep it open, as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def studio_world(settings, _connection_kept_across_requests):
    """A customer's order (a round in review, an approved figurine with a print job), and staff tokens."""
    settings.ALLOWED_HOSTS = ["*"]
    order = OrderFactory(status=OrderStatus.IN_DESIGN)
    item = ItemFactory(order=order, status=ItemStatus.IN_REVIEW)
    revision = RevisionFactory(item=item, status=RevisionStatus.PUBLISHED, published_at=timezone.now())
    job = job_in_state("batched")
    headers = {
        "anonymous": {},
        "customer": {"Authorization": f"Portal {portal_token_issue(customer=order.customer, order=order)}"},
    }
    for role, group in (("sculptor", "Sculptors"), ("operator", "Operators")):
        user = staff_user(f"fuzz-{role}", group)
        headers[role] = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    ids = {
        "number": order.number,
        "item_id": item.pk,
        "revision_id": revision.pk,
        "print_job_id": job.pk,
        "tray_id": job.batch_id or 1,
        "photo_id": 1,
    }
    return {"headers": headers, "ids": ids}


def _load_schema():
    """The schema as /api/schema/ answers it (generated in process: no request, no database at import)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema_for_every_caller(case, studio_world):
    real = {
        name: studio_world["ids"].get(name, value) for name, value in (case.path_parameters or {}).items()
    }
    targets = [case.path_parameters] + ([real] if real and real != case.path_parameters else [])
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]
    for path_parameters in targets:
        case.path_parameters = path_parameters
        for role in ROLES:
            case.call_and_validate(headers=studio_world["headers"][role], checks=checks)
