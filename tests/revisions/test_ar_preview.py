"""AR on the customer's preview: each checked round gets its USDZ at the ordered height with its web preview;
the page offers "View in your room" (``ar``, ``ios-src``) and, for a desktop, a QR code of a signed link that
opens that round alone on the phone, read-only; the link expires and refuses tampering with a clear 4xx page."""

from __future__ import annotations

import time

import numpy as np
import pytest
from django.core import signing
from django.test import Client
from pxr import Usd, UsdGeom, UsdUtils

from orders.auth import SESSION_KEY
from revisions.ar_preview import AR_LINK_MAX_AGE_SECONDS, ar_link_signer, ar_link_token
from revisions.models import Revision
from revisions.services import revision_publish
from tests.factories import CustomerFactory
from tests.revisions.conftest import make_ready_round

pytestmark = pytest.mark.django_db


class SignerFromThePast(signing.TimestampSigner):
    """The studio's own signer (same key and salt) whose clock reads ``hours_ago`` earlier."""

    def __init__(self, *args, hours_ago: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.hours_ago = hours_ago

    def timestamp(self):
        return signing.b62_encode(int(time.time() - self.hours_ago * 3600))


def _past_signer(hours_ago: float) -> signing.TimestampSigner:
    return SignerFromThePast(salt=ar_link_signer().salt, hours_ago=hours_ago)


@pytest.fixture
def published(item, sculptor, enqueued) -> Revision:
    revision = make_ready_round(item, sculptor, run_checks=True)
    return revision_publish(revision_id=revision.pk, user=sculptor)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.filterwarnings("ignore:Use of UsdUtils.ComplianceChecker is deprecated:DeprecationWarning")
def test_the_check_makes_the_rounds_usdz_at_the_ordered_height(published, portal_client, tmp_path):
    assert published.ar_usdz and published.check_report["ar_usdz"]["height_m"] == pytest.approx(
        0.150, abs=1e-4
    )
    response = portal_client.get(f"/portal/revisions/{published.pk}/files/ar.usdz")
    assert response.status_code == 200 and response["Content-Type"] == "model/vnd.usdz+zip"
    path = tmp_path / "round.usdz"
    path.write_bytes(_body(response))
    checker = UsdUtils.ComplianceChecker(arkit=True)
    checker.CheckCompliance(str(path))
    assert checker.GetErrors() == [] and checker.GetFailedChecks() == []
    stage = Usd.Stage.Open(str(path))
    points = np.asarray(UsdGeom.Mesh(stage.GetPrimAtPath("/Figurine/Mesh")).GetPointsAttr().Get())
    # the sphere round is 40 mm of its own millimetres; the item is ordered 150 mm: AR shows 0.15 m
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert np.ptp(points[:, 1]) == pytest.approx(0.150, abs=1e-4)
    api = portal_client.get(f"/api/v1/revisions/{published.pk}/").json()
    assert api["files"]["ar_usdz"].endswith(f"/portal/revisions/{published.pk}/files/ar.usdz")


def test_another_customer_gets_404_for_the_usdz(published):
    other = Client()
    session = other.session
    session[SESSION_KEY] = CustomerFactory(email="someone@example.com").pk
    session.save()
    assert other.get(f"/portal/revisions/{published.pk}/files/ar.usdz").status_code == 404


def test_the_preview_offers_view_in_your_room_with_a_qr_code(published, portal_client):
    page = portal_client.get(f"/portal/revisions/{published.pk}/").content.decode()
    assert 'ar ar-modes="webxr scene-viewer quick-look"' in page and 'ar-scale="fixed"' in page
    assert f'ios-src="/portal/revisions/{published.pk}/files/ar.usdz?sig=' in page
    assert ">View in your room</button>" in page and 'slot="ar-button"' in page
    assert 'data-testid="ar-qr"' in page and "<svg" in page and 'class="segno"' in page


def test_the_signed_link_opens_that_round_read_only_without_signing_in(published):
    phone = Client()
    token = ar_link_token(revision=published)
    response = phone.get(f"/portal/ar/{token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ">View in your room</button>" in page and "ios-src=" in page
    # read-only: one button (AR), no form, no approval or changes call, nothing of the customer's
    assert page.count("<button") == 1 and "<form" not in page and "csrfmiddlewaretoken" not in page
    assert "/approve/" not in page and "/request-changes/" not in page
    assert published.item.order.customer.email not in page
    assert SESSION_KEY not in phone.session  # it signed in to nothing
    assert phone.get(f"/portal/revisions/{published.pk}/").status_code == 401
    # the page's own signed file paths work on the phone; the same paths unsigned do not
    viewer = page.split("<model-viewer", 1)[1].split(">", 1)[0]
    for attribute in ("src", "ios-src"):
        url = viewer.split(f' {attribute}="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        assert "sig=" in url
        assert phone.get(url).status_code == 200, url
        assert phone.get(url.split("?", 1)[0]).status_code == 404
    # a signature lets out the AR files only, never the full-resolution upload
    mesh_url = url.split("?", 1)[0].replace("ar.usdz", "mesh") + "?" + url.split("?", 1)[1]
    assert phone.get(mesh_url).status_code == 404


def test_an_expired_link_gets_a_clear_410_page(published):
    fresh = ar_link_token(revision=published, signer=_past_signer(AR_LINK_MAX_AGE_SECONDS / 3600 - 1))
    assert Client().get(f"/portal/ar/{fresh}/").status_code == 200  # 23 hours old: still works
    old = ar_link_token(revision=published, signer=_past_signer(AR_LINK_MAX_AGE_SECONDS / 3600 + 1))
    response = Client().get(f"/portal/ar/{old}/")
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


@pytest.mark.parametrize("how", ["payload", "signature", "truncated", "garbage", "other_salt"])
def test_a_tampered_link_gets_a_clear_404_page(published, how):
    token = ar_link_token(revision=published)
    if how == "payload":
        forged = signing.TimestampSigner(salt="x").sign_object({"r": published.pk + 1, "o": "FS-XXXX"})
        token = forged.split(":")[0] + token[token.index(":") :]
    elif how == "signature":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif how == "truncated":
        token = token[: len(token) // 2]
    elif how == "garbage":
        token = "not-a-token"
    else:
        token = signing.TimestampSigner(salt="studio.signed-file-url").sign_object(
            {"r": published.pk, "o": published.item.order.number}
        )
    response = Client().get(f"/portal/ar/{token}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_a_link_to_an_unpublished_round_shows_nothing(item, sculptor, enqueued):
    ready = make_ready_round(item, sculptor)  # checked, not shown to the customer yet
    assert Client().get(f"/portal/ar/{ar_link_token(revision=ready)}/").status_code == 404


def test_a_link_naming_another_order_shows_nothing(published):
    token = ar_link_signer().sign_object({"r": published.pk, "o": "FS-OTHER1"})
    assert Client().get(f"/portal/ar/{token}/").status_code == 404
