"""The bulk ship form as an operator uses it: the carrier from a list, and a refused row comes back
with what was typed and why, while the complete rows ship (each parcel is independent)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from printing.admin_ship import CARRIERS
from tests.factories import job_in_state

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/printing/printjob/"


@pytest.fixture
def floor(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def selected(page: str, name: str) -> str | None:
    """The selected option of the <select name=...>, None when none is."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    chosen = re.search(r'<option value="([^"]*)" selected>', select)
    return chosen.group(1) if chosen else None


def test_the_carrier_is_chosen_from_a_list(floor):
    job = job_in_state("packed")
    page = floor.post(CHANGELIST, {"action": "ship_action", "_selected_action": [job.pk]}).content.decode()
    for name in [*CARRIERS, "Other"]:
        assert f'<option value="{name}">{name}</option>' in page
    assert f'<select name="carrier_{job.pk}"' in page and '<select name="carrier_all"' in page
    assert {"DHL", "UPS", "FedEx", "USPS", "Royal Mail", "DPD", "GLS", "PostNL"} <= set(CARRIERS)


def test_a_refused_row_keeps_its_input_and_the_good_rows_ship(floor, enqueued):
    good, other, no_tracking, no_carrier, not_packed = (job_in_state("packed") for _ in range(5))
    not_packed.__class__.objects.filter(pk=not_packed.pk).update(status="qc_passed")
    response = floor.post(
        CHANGELIST,
        {
            "action": "ship_action",
            "apply": "1",
            "_selected_action": [good.pk, other.pk, no_tracking.pk, no_carrier.pk, not_packed.pk],
            "carrier_all": "",
            f"carrier_{good.pk}": "Royal Mail",
            f"tracking_{good.pk}": "RM123456785GB",
            f"carrier_{other.pk}": "Other",
            f"carrier_other_{other.pk}": "Parcelforce",
            f"tracking_{other.pk}": "PF0001",
            f"carrier_{no_tracking.pk}": "FedEx",
            f"tracking_{no_tracking.pk}": "",
            f"carrier_{no_carrier.pk}": "",
            f"tracking_{no_carrier.pk}": "TYPED-BUT-NO-CARRIER",
            f"carrier_{not_packed.pk}": "GLS",
            f"tracking_{not_packed.pk}": "GLS-777",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    for job in (good, other, no_tracking, no_carrier, not_packed):
        job.refresh_from_db()
    # the complete rows shipped, with the carrier from the list or the one typed beside "Other"
    assert (good.status, good.carrier, good.tracking_number) == ("shipped", "Royal Mail", "RM123456785GB")
    assert (other.status, other.carrier, other.tracking_number) == ("shipped", "Parcelforce", "PF0001")
    assert "2 print jobs shipped; customers e-mailed." in page
    # the refused rows: nothing shipped, the form comes back with what was typed and why, row by row
    assert (no_tracking.status, no_carrier.status, not_packed.status) == ("packed", "packed", "qc_passed")
    assert not (no_tracking.tracking_number or no_carrier.tracking_number or not_packed.tracking_number)
    assert "3 print jobs not shipped yet" in page
    assert f'name="tracking_{good.pk}"' not in page  # a shipped row is not offered again
    assert selected(page, f"carrier_{no_tracking.pk}") == "FedEx"
    assert 'value="TYPED-BUT-NO-CARRIER"' in page and "Choose the carrier." in page
    assert "Type the parcel&#x27;s tracking number." in page or "Type the parcel's tracking number." in page
    assert selected(page, f"carrier_{not_packed.pk}") == "GLS" and 'value="GLS-777"' in page
    assert f"Print job #{not_packed.pk} is QC passed: it cannot move to Shipped." in page
    assert page.count('class="errorlist"') == 3

    # corrected and sent again, the rest ship
    again = floor.post(
        CHANGELIST,
        {
            "action": "ship_action",
            "apply": "1",
            "_selected_action": [no_tracking.pk, no_carrier.pk],
            "carrier_all": "DPD",
            f"carrier_{no_tracking.pk}": "FedEx",
            f"tracking_{no_tracking.pk}": "FX42",
            f"tracking_{no_carrier.pk}": "TYPED-BUT-NO-CARRIER",
        },
    )
    assert again.status_code == 302
    no_tracking.refresh_from_db()
    no_carrier.refresh_from_db()
    assert (no_tracking.carrier, no_tracking.tracking_number, no_tracking.status) == (
        "FedEx",
        "FX42",
        "shipped",
    )
    assert (no_carrier.carrier, no_carrier.status) == ("DPD", "shipped")
