"""A database that cannot be reached answers 503 with Retry-After (the API's JSON shape under /api/, a short
page elsewhere), never a traceback; the next request after it is back is served again.

Every query fails here the way a restarting PostgreSQL makes it fail (``OperationalError`` from the
driver), through Django's own query hook (``connection.execute_wrapper``); bench/faults.py restarts a
real PostgreSQL under gunicorn for the same answer.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory

from orders.auth import portal_login_link_issue, portal_token_issue
from studio.api import server_error
from tests.factories import OrderFactory
from tests.orders.helpers import portal_sign_in

pytestmark = pytest.mark.django_db


def _unreachable(execute, sql, params, many, context):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


@contextlib.contextmanager
def database_down():
    with connection.execute_wrapper(_unreachable):
        yield


@pytest.fixture
def customer_order():
    order = OrderFactory()
    return order, {"HTTP_AUTHORIZATION": f"Portal {portal_token_issue(customer=order.customer, order=order)}"}


def test_the_api_answers_503_in_its_error_shape_then_recovers(client, settings, customer_order):
    settings.DEBUG = False
    client.raise_request_exception = False
    order, auth = customer_order
    with database_down():
        answer = client.get(f"/api/v1/orders/{order.number}/", **auth)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["code"] == "unavailable" and "try again" in body["message"] and body["extra"] == {}
    assert "Traceback" not in answer.content.decode() and "5432" not in answer.content.decode()

    again = client.get(f"/api/v1/orders/{order.number}/", **auth)
    assert again.status_code == 200 and again.json()["number"] == order.number


def test_a_portal_page_answers_a_short_503_page(client, settings, customer_order):
    settings.DEBUG = False
    client.raise_request_exception = False
    order, _ = customer_order
    portal_sign_in(client, f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/")
    assert client.get(f"/portal/orders/{order.number}/").status_code == 200
    with database_down():
        answer = client.get(f"/portal/orders/{order.number}/")
    text = answer.content.decode()
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert "try again" in text and "Traceback" not in text and "OperationalError" not in text


def test_a_real_bug_is_still_a_500_not_a_503():
    try:
        raise ZeroDivisionError
    except ZeroDivisionError:
        answer = server_error(RequestFactory().get("/api/v1/catalog/"))
    assert answer.status_code == 500 and not answer.has_header("Retry-After")
    assert answer["Content-Type"] == "application/json"
