"""Failed staff logins are limited (django-axes): per username and client address, with a cool-off,
a friendly lockout page, and no effect on the API's tokens or the customer portal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import staff_user
from tests.orders.helpers import place_order, portal_header

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
    user = staff_user("boss", is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client: Client, password: str, *, ip: str = "203.0.113.5", **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **extra,
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_that_user_at_that_address_even_for_the_right_one(admin, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        assert _login(client, "admin").status_code == 200  # the form again, with its error
    locked = _login(client, "admin")  # the fifth
    assert locked.status_code == 429
    right = _login(client, PASSWORD)
    assert right.status_code == 429 and not _signed_in(client)
    html = right.content.decode()
    assert "Too many failed sign-ins" in html and "15 minutes" in html and PASSWORD not in html
    # asking with a forged X-Forwarded-For does not help (no trusted proxy in front)
    assert _login(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429


def test_another_address_can_still_log_in(admin):
    for _ in range(5):
        _login(Client(), "wrong")
    other = Client()
    response = _login(other, PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302 and _signed_in(other)


def test_after_the_cool_off_the_right_password_logs_in(admin, settings):
    client = Client()
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_success_resets_the_count(admin):
    client = Client()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    later = Client()
    for _ in range(4):
        _login(later, "wrong")
    assert _login(later, PASSWORD).status_code == 302 and _signed_in(later)


def test_behind_trusted_proxies_the_forwarded_client_address_counts(admin, settings):
    settings.TRUSTED_PROXIES = 1
    for _ in range(5):
        _login(Client(), "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert _login(Client(), PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 429
    elsewhere = Client()
    assert _login(elsewhere, PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.78").status_code == 302


def test_a_locked_out_login_does_not_block_tokens_or_the_portal(admin, client):
    for _ in range(5):
        _login(Client(), "wrong")
    token = Token.objects.create(user=admin)
    api = Client().get(
        "/api/v1/print-jobs/", HTTP_AUTHORIZATION=f"Token {token.key}", REMOTE_ADDR="203.0.113.5"
    )
    assert api.status_code == 200
    data = place_order(client)
    own = Client().get(
        f"/api/v1/orders/{data['number']}/", REMOTE_ADDR="203.0.113.5", **portal_header(data["portal_token"])
    )
    assert own.status_code == 200
