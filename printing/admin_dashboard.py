"""The operator's "needs attention" page in the admin: what on the floor waits for a person.

Late print jobs (the print queue's own rule, ``selectors.late_jobs_q``), print files whose last run
failed, QC failures whose reprint has not started printing, Design Guarantee claims to review, and
queues with waiting tasks but no worker. The last part belongs to glue (the workers), which printing may
not import: the template renders it with glue's ``{% queue_report %}`` tag, as the admin index does.

Counts and lists with links, in plain words, times in the studio's time zone with its abbreviation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from orders.portal_presenter import studio_date
from printing import roles
from printing.admin_text import status_label
from printing.models import (
    LIVE_STATUSES,
    GuaranteeClaim,
    GuaranteeClaimStatus,
    PrintFileJob,
    PrintJob,
    PrintJobStatus,
)
from printing.selectors import late_jobs_q
from studio.jobs import JobStatus
from studio.permissions import missing_permissions

#: How many rows each part lists (its count says how many there are in all).
LIST_LIMIT = 25
#: A print file run in these states failed (its error says why); a later run that did not fail clears it.
FAILED_FILE_STATES = (JobStatus.FAILED, JobStatus.ERRORED)
#: A reprint in one of these states has started printing: the failed QC no longer waits for it.
REPRINT_UNDER_WAY = (
    PrintJobStatus.PRINTING,
    PrintJobStatus.PRINTED,
    PrintJobStatus.QC_PASSED,
    PrintJobStatus.PACKED,
    PrintJobStatus.SHIPPED,
    PrintJobStatus.DELIVERED,
)


@dataclass
class Row:
    """One line of a part: a link, what it is, and why it is here."""

    url: str
    title: str
    detail: str = ""
    when: str = ""


@dataclass
class Part:
    """One part of the page: its heading, how many need attention, the first rows and where to see all."""

    key: str
    title: str
    count: int
    rows: list[Row] = field(default_factory=list)
    all_url: str = ""
    all_text: str = ""


# ----------------------------------------------------------------------------------------------- queries
def late_jobs() -> QuerySet[PrintJob]:
    """Print jobs past their promised delivery and not shipped: the print queue's "Late" filter."""
    return PrintJob.objects.filter(late_jobs_q()).select_related("item__order").order_by("due_at", "pk")


def failed_print_files() -> QuerySet[PrintJob]:
    """Live print jobs whose latest print-file run failed or gave up (annotated with that run)."""
    latest = PrintFileJob.objects.filter(print_job=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        PrintJob.objects.filter(status__in=LIVE_STATUSES)
        .annotate(
            file_status=Subquery(latest.values("status")[:1]),
            file_error=Subquery(latest.values("error")[:1]),
            file_failed_at=Subquery(latest.values("completed_at")[:1]),
            file_created_at=Subquery(latest.values("created_at")[:1]),
        )
        .filter(file_status__in=FAILED_FILE_STATES)
        .select_related("item__order")
        .order_by("due_at", "pk")
    )


def qc_failures_awaiting_reprint() -> QuerySet[PrintJob]:
    """Jobs that failed QC and whose reprint has not started printing (none yet, cancelled, or still
    waiting in the queue or on an open tray)."""
    return (
        PrintJob.objects.filter(status=PrintJobStatus.QC_FAILED)
        .exclude(reprints__status__in=REPRINT_UNDER_WAY)
        .select_related("item__order")
        .prefetch_related("reprints")
        .order_by("updated_at", "pk")
        .distinct()
    )


def claims_to_review() -> QuerySet[GuaranteeClaim]:
    """Design Guarantee claims waiting for an operator's review (neither approved nor declined yet)."""
    return (
        GuaranteeClaim.objects.filter(status=GuaranteeClaimStatus.SUBMITTED)
        .select_related("item__order")
        .order_by("created_at", "pk")
    )


# ------------------------------------------------------------------------------------------------- words
def _days(delta) -> str:
    days = int(delta.total_seconds() // 86400)
    if days < 1:
        hours = max(1, int(delta.total_seconds() // 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def _job_url(job_id: int) -> str:
    return reverse("admin:printing_printjob_change", args=[job_id])


def _job_title(job: PrintJob) -> str:
    kind = "Reprint job" if job.is_reprint else "Print job"
    return f"{kind} #{job.pk}, order {job.item.order.number}"


def late_part(now) -> Part:
    jobs = late_jobs()
    rows = [
        Row(
            url=_job_url(job.pk),
            title=_job_title(job),
            detail=f"{_days(now - job.due_at)} late, still {status_label('print_job', job.status).lower()}",
            when=f"due {studio_date(job.due_at, with_time=True)}",
        )
        for job in jobs[:LIST_LIMIT]
    ]
    return Part(
        "late",
        "Late print jobs",
        jobs.count(),
        rows,
        f"{reverse('admin:printing_printjob_changelist')}?late=1",
        "All late jobs in the print queue",
    )


def failed_files_part() -> Part:
    jobs = failed_print_files()
    rows = []
    for job in jobs[:LIST_LIMIT]:
        error = (job.file_error or "no error recorded").strip().splitlines()[0][:200]
        gave_up = "gave up after its retries" if job.file_status == JobStatus.ERRORED else "failed"
        rows.append(
            Row(
                url=_job_url(job.pk),
                title=_job_title(job),
                detail=f"The print file {gave_up}: {error}. Use “Make the print file again” on the job.",
                when=studio_date(job.file_failed_at or job.file_created_at, with_time=True),
            )
        )
    return Part(
        "print-files",
        "Print files that failed",
        jobs.count(),
        rows,
        reverse("admin:printing_printfilejob_changelist"),
        "All print file runs",
    )


def _reprint_state(job: PrintJob) -> str:
    reprints = sorted(job.reprints.all(), key=lambda r: (r.created_at, r.pk))
    live = [r for r in reprints if r.status in LIVE_STATUSES]
    if live:
        last = live[-1]
        return (
            f"Its reprint #{last.pk} is {status_label('print_job', last.status).lower()}, not printing yet."
        )
    if reprints:
        return "Its reprint was cancelled: no reprint is on its way. Grant one from the job."
    return "No reprint has been made yet. Grant one from the job."


def qc_part() -> Part:
    jobs = qc_failures_awaiting_reprint()
    rows = [
        Row(
            url=_job_url(job.pk),
            title=_job_title(job),
            detail=f"QC found: {job.qc_note or 'no reason recorded'}. {_reprint_state(job)}",
            when=f"failed {studio_date(job.updated_at, with_time=True)}",
        )
        for job in jobs[:LIST_LIMIT]
    ]
    return Part(
        "qc",
        "QC failures awaiting a reprint",
        jobs.count(),
        rows,
        f"{reverse('admin:printing_printjob_changelist')}?status__exact=qc_failed",
        "All jobs that failed QC",
    )


def claims_part() -> Part:
    claims = claims_to_review()
    rows = [
        Row(
            url=reverse("admin:printing_guaranteeclaim_change", args=[claim.pk]),
            title=f"Design Guarantee claim #{claim.pk}, order {claim.item.order.number}",
            detail=f"The customer says: {claim.reason if len(claim.reason) <= 160 else claim.reason[:159] + '…'}",
            when=f"sent {studio_date(claim.created_at, with_time=True)}",
        )
        for claim in claims[:LIST_LIMIT]
    ]
    return Part(
        "claims",
        "Guarantee claims to review",
        claims.count(),
        rows,
        f"{reverse('admin:printing_guaranteeclaim_changelist')}?status__exact={GuaranteeClaimStatus.SUBMITTED}",
        "All claims waiting for review",
    )


def needs_attention(user: Any) -> list[Part]:
    """The page's parts the user may see (claims only with the claims' view permission)."""
    now = timezone.now()
    parts = [late_part(now), failed_files_part(), qc_part()]
    if not missing_permissions(user, roles.VIEW_CLAIMS):
        parts.append(claims_part())
    return parts


# -------------------------------------------------------------------------------------------------- view
def needs_attention_view(modeladmin, request: HttpRequest) -> HttpResponse:
    """The operators' page (the print queue's view permission); another role gets 403."""
    if missing_permissions(request.user, roles.VIEW_QUEUE):
        raise PermissionDenied
    parts = needs_attention(request.user)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Needs attention",
        "parts": parts,
        "total": sum(part.count for part in parts),
        "checked_at": studio_date(timezone.now(), with_time=True),
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "printing/admin/needs_attention.html", context)
