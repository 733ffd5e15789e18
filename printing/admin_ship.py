"""The operator's bulk shipping form: one parcel per job, its carrier (from a list) and tracking number.

Each parcel is independent: the rows that are complete and may ship are shipped (through
`print_job_move`), and a refused row is shown again with what the operator typed and why it was
refused, so nothing typed is lost; nothing is shipped for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from printing.admin_text import counted, refusal_text, report
from printing.models import PrintJob, PrintJobStatus
from printing.services import print_job_move
from studio.errors import ApplicationError

#: The carriers the studio ships with; "Other" takes a name typed beside it.
CARRIERS = ("DHL", "UPS", "FedEx", "USPS", "Royal Mail", "DPD", "GLS", "PostNL")
OTHER = "Other"


@dataclass
class ShipRow:
    """One parcel of the form: what is shown (or was typed) and the row's error, if refused."""

    job: PrintJob
    carrier: str = ""  # the chosen entry of the list ("" = the default for every parcel, or "Other")
    carrier_other: str = ""
    tracking: str = ""
    error: str = ""


def _choice(name: str) -> tuple[str, str]:
    """A stored carrier name as (list entry, other text): "UPS" -> ("UPS", ""), "Parcelforce" -> ("Other", ...)."""
    if not name:
        return "", ""
    listed = {c.lower(): c for c in CARRIERS}
    return (listed[name.lower()], "") if name.lower() in listed else (OTHER, name)


def _carrier_name(choice: str, other: str) -> str:
    """The carrier's name from the list entry and the text beside "Other" ("" when none is given)."""
    if choice == OTHER:
        return other
    listed, typed = _choice(choice)
    return listed if listed != OTHER else typed  # a listed name in its own spelling, else as posted


def _row_from_post(job: PrintJob, post) -> ShipRow:
    tracking = post.get(f"tracking_{job.pk}", "").strip()
    carrier = post.get(f"carrier_{job.pk}", "").strip()
    other = post.get(f"carrier_other_{job.pk}", "").strip()
    return ShipRow(job, carrier, other, tracking)


def ship_rows(jobs: list[PrintJob], request: HttpRequest, user) -> tuple[int, list[ShipRow]]:
    """Ship each complete row; return how many shipped and the refused rows (with their input and error)."""
    post = request.POST
    default_choice = post.get("carrier_all", "").strip()
    default_name = _carrier_name(default_choice, post.get("carrier_all_other", "").strip())
    done, refused = 0, []
    for job in jobs:
        row = _row_from_post(job, post)
        name = _carrier_name(row.carrier, row.carrier_other) if row.carrier else default_name
        if not row.tracking:
            row.error = "Type the parcel's tracking number."
        elif not name:
            row.error = (
                "Type the carrier's name beside “Other”."
                if OTHER in (row.carrier, default_choice)
                else "Choose the carrier."
            )
        else:
            try:
                print_job_move(
                    print_job_id=job.pk,
                    to=PrintJobStatus.SHIPPED,
                    user=user,
                    carrier=name,
                    tracking_number=row.tracking,
                )
                done += 1
                continue
            except ApplicationError as exc:
                row.error = refusal_text(job, exc)
        refused.append(row)
    return done, refused


@admin.action(description="Ship the selected jobs (carrier and tracking number each)…", permissions=["move"])
def ship_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """The bulk shipping form: one carrier and tracking number per job (a default carrier for all)."""
    jobs = list(queryset.select_related("item__order__customer"))
    carrier_all, carrier_all_other = "", ""
    if "apply" in request.POST:
        done, rows = ship_rows(jobs, request, request.user)
        # the refusals are shown on their rows, beside what was typed
        report(modeladmin, request, done, "print_job", "shipped; customers e-mailed", [])
        if not rows:
            return None
        carrier_all = request.POST.get("carrier_all", "").strip()
        carrier_all_other = request.POST.get("carrier_all_other", "").strip()
        intro = f"{counted(len(rows), 'print_job')} not shipped yet: correct the rows marked below."
    else:
        rows = [ShipRow(job, *_choice(job.carrier), job.tracking_number) for job in jobs]
        intro = ""
    return render(
        request,
        "printing/admin/ship.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Ship print jobs",
            "rows": rows,
            "jobs": [row.job for row in rows],
            "carriers": [*CARRIERS, OTHER],
            "carrier_all": carrier_all,
            "carrier_all_other": carrier_all_other,
            "intro": intro,
            "action": "ship_action",
            "opts": modeladmin.model._meta,
        },
    )
