"""seed_demo: the demo staff get random passwords, printed once and kept; never with DEBUG off."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import staff_user

pytestmark = pytest.mark.django_db

CREATED = re.compile(r"^(?:created|replaced the well-known password of) (\w+): password (\S+)$", re.M)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only
    settings.DEBUG = True


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _admin_login(username: str, password: str) -> bool:
    client = Client()
    client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})
    return "_auth_user_id" in client.session


def test_it_prints_random_passwords_that_log_in():
    passwords = dict(CREATED.findall(_seed()))
    assert set(passwords) == {"admin", "sculptor", "operator"}
    assert len(set(passwords.values())) == 3 and all(len(p) >= 16 for p in passwords.values())
    assert "admin" not in passwords.values()
    assert _admin_login("admin", passwords["admin"])
    assert not _admin_login("admin", "admin")
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert list(users.get(username="sculptor").groups.values_list("name", flat=True)) == ["Sculptors"]
    assert list(users.get(username="operator").groups.values_list("name", flat=True)) == ["Operators"]


def test_a_second_run_keeps_the_passwords_and_says_so():
    passwords = dict(CREATED.findall(_seed()))
    hashes = dict(get_user_model().objects.values_list("username", "password"))
    again = _seed()
    assert not CREATED.findall(again)
    assert again.count("password unchanged") == 3 and "manage.py changepassword admin" in again
    assert dict(get_user_model().objects.values_list("username", "password")) == hashes
    assert _admin_login("operator", passwords["operator"])


def test_an_old_install_loses_its_well_known_password():
    old = staff_user("admin", is_superuser=True)
    old.set_password("admin")
    old.save()
    passwords = dict(CREATED.findall(_seed()))
    assert "admin" in passwords and not _admin_login("admin", "admin")
    assert _admin_login("admin", passwords["admin"])


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        _seed()
    assert not get_user_model().objects.filter(username__in=["admin", "sculptor", "operator"]).exists()
