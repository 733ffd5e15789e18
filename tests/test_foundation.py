"""Foundation: catalog API and schema, settings for both brokers and production, job attempts, business time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from orders.models import ItemStatus
from reconstruction.models import ReconstructionJob
from studio.business_time import add_business_hours, business_hours_between
from studio.errors import Conflict, TransitionNotAllowed
from studio.jobs import JobStatus
from tests.factories import ItemFactory

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")

EXPECTED_PRICES = {
    "solo": {100: 14900, 150: 22900, 200: 32900},
    "couple": {100: 25900, 150: 39900, 200: 56900},
    "pet": {100: 14900, 120: 18900, 150: 23900},
    "bust": {60: 14900, 80: 18900, 100: 23900},
    "family": {100: 13900, 150: 20900, 200: 29900},
    "digital": {100: 4900, 150: 4900, 200: 4900},  # "3D model only": the digital files, nothing printed
}


@pytest.mark.django_db
def test_catalog_is_public_and_seeded_with_the_default_prices():
    response = APIClient().get("/api/v1/catalog/")
    assert response.status_code == 200
    body = response.json()
    prices = {
        line["code"]: {s["height_mm"]: s["price_cents"] for s in line["sizes"]}
        for line in body["product_lines"]
    }
    assert prices == EXPECTED_PRICES
    family = next(line for line in body["product_lines"] if line["code"] == "family")
    assert family["per_person"] is True and family["min_persons"] >= 2
    assert body["currency"] == "usd"
    assert body["shipping"]["free_from_cents"] == 14900


@pytest.mark.django_db
def test_catalog_follows_operator_edits():
    from orders.models import Size

    Size.objects.filter(product_line__code="pet", height_mm=120).update(price_cents=19900, active=True)
    Size.objects.filter(product_line__code="pet", height_mm=150).update(active=False)
    body = APIClient().get("/api/v1/catalog/").json()
    pet = next(line for line in body["product_lines"] if line["code"] == "pet")
    assert [(s["height_mm"], s["price_cents"]) for s in pet["sizes"]] == [(100, 14900), (120, 19900)]


@pytest.mark.django_db
def test_printers_and_groups_are_seeded():
    from django.contrib.auth.models import Group

    from printing.models import Printer

    printers = list(Printer.objects.all())
    assert len(printers) == 2
    assert all(p.build_x_mm >= 200 and p.build_z_mm >= 200 and p.formats for p in printers)
    sculptors = set(Group.objects.get(name="Sculptors").permissions.values_list("codename", flat=True))
    operators = set(Group.objects.get(name="Operators").permissions.values_list("codename", flat=True))
    assert {"add_revision", "change_revision", "view_item"} <= sculptors
    assert "change_printjob" not in sculptors and "change_size" not in sculptors
    assert {"change_printjob", "add_batch", "change_size", "change_printer", "view_revision"} <= operators
    assert "add_revision" not in operators


@pytest.mark.django_db
def test_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/catalog/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_exception_handler_maps_an_illegal_transition_to_409():
    from studio.api import exception_handler

    response = exception_handler(
        TransitionNotAllowed(subject="item", current="approved", target="sculpting"), {}
    )
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    assert "approved" in response.data["message"]
    assert exception_handler(Conflict("busy"), {}).status_code == 409


def test_every_cluster_retries_later_than_it_times_out():
    clusters = [settings.Q_CLUSTER, *settings.Q_CLUSTER["ALT_CLUSTERS"].values()]
    for cluster in clusters:
        assert cluster["retry"] > cluster["timeout"]
    assert settings.Q_CLUSTER["max_attempts"] >= 1


def _settings_in_subprocess(env: dict[str, str], expr: str) -> str:
    code = f"import django,os;os.environ['DJANGO_SETTINGS_MODULE']='studio.settings';django.setup();from django.conf import settings;print(repr(({expr})))"
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_broker_is_redis_when_redis_url_is_set_else_the_orm():
    assert (
        _settings_in_subprocess({}, "settings.Q_CLUSTER.get('orm'), 'redis' in settings.Q_CLUSTER")
        == "('default', False)"
    )
    out = _settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"},
        "settings.Q_CLUSTER.get('redis'), 'orm' in settings.Q_CLUSTER",
    )
    assert out == "('redis://127.0.0.1:6379/3', False)"
    out = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}, "settings.DATABASES['default']['ENGINE']"
    )
    assert out == "'django.db.backends.postgresql'"


def test_production_settings_pass_the_deploy_check():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="prod-" + "k8Jx2mQ9vL4pR7tW1zY6nB3cF5hG0dS" * 2,
        ALLOWED_HOSTS="studio.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_job_claim_counts_attempts_and_gives_up_instead_of_looping(settings):
    settings.TASK_MAX_ATTEMPTS = 2
    job = ReconstructionJob.objects.create(item=ItemFactory(status=ItemStatus.RECONSTRUCTING))
    first = ReconstructionJob.claim(job.pk)
    assert first is not None and first.attempts == 1 and first.status == JobStatus.RUNNING
    # The worker died (its lease ran out); the broker delivers the task again.
    ReconstructionJob.objects.filter(pk=job.pk).update(lease_expires_at=first.started_at)
    second = ReconstructionJob.claim(job.pk)
    assert second is not None and second.attempts == 2
    ReconstructionJob.objects.filter(pk=job.pk).update(lease_expires_at=first.started_at)
    assert ReconstructionJob.claim(job.pk) is None  # attempts spent
    job.refresh_from_db()
    assert job.status == JobStatus.ERRORED and "Gave up after 2 attempts" in job.error


@pytest.mark.django_db
def test_a_finished_job_is_not_run_again():
    job = ReconstructionJob.objects.create(item=ItemFactory())
    claimed = ReconstructionJob.claim(job.pk)
    claimed.set_progress("shape", 40)
    job.refresh_from_db()
    assert (job.stage, job.percent) == ("shape", 40)
    claimed.terminate(JobStatus.COMPLETED, triangles=1234)
    assert ReconstructionJob.claim(job.pk) is None
    job.refresh_from_db()
    assert job.percent == 100 and job.data["triangles"] == 1234 and job.duration_s is not None


def test_business_hours_skip_weekends():
    friday = datetime(2026, 11, 13, 10, 0, tzinfo=NY)
    due = add_business_hours(friday, 48, tz="America/New_York", country="US")
    assert due == datetime(2026, 11, 17, 10, 0, tzinfo=NY)  # Tuesday
    assert business_hours_between(friday, due, tz="America/New_York", country="US") == pytest.approx(48)


def test_business_hours_skip_public_holidays():
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=NY)  # Thanksgiving is Thursday 26 November
    due = add_business_hours(wednesday, 48, tz="America/New_York", country="US")
    assert due == datetime(2026, 11, 30, 10, 0, tzinfo=NY)
    # In the UK that Thursday is a working day.
    assert add_business_hours(wednesday, 48, tz="America/New_York", country="GB") == datetime(
        2026, 11, 27, 10, 0, tzinfo=NY
    )


def test_business_hours_start_on_a_day_off_counts_from_the_next_working_day():
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=NY)
    assert add_business_hours(saturday, 24, tz="America/New_York", country="US") == datetime(
        2026, 11, 24, 0, 0, tzinfo=NY
    )
    assert (
        business_hours_between(
            saturday, datetime(2026, 11, 22, 23, 0, tzinfo=NY), tz="America/New_York", country="US"
        )
        == 0
    )
    with pytest.raises(ValueError):
        add_business_hours(datetime(2026, 11, 21, 15, 0), 1, tz="America/New_York", country="US")
