"""Printing services: print jobs and their print files, trays, shipping, reprints and Design
Guarantee claims (reviewed by an operator before the reprint, `printing.services.claims`).

Every state change of a print job or a tray goes through `print_job_transition` / `tray_transition`;
after each job move its tray and its item follow it (`PRINT_JOB_FOLLOWERS`, registered below).
`print_job_move` adds the operator's rules on top (print file present, carrier and tracking number,
automatic reprint on a failed QC).
"""

from printing.services.claims import (
    guarantee_claim_approve,
    guarantee_claim_create,
    guarantee_claim_decline,
)
from printing.services.core import (
    PRINT_JOB_FOLLOW_UPS,
    PRINT_JOB_FOLLOWERS,
    TRAY_FOLLOW_UPS,
    print_job_transition,
    tray_transition,
)
from printing.services.items import item_follow_print_jobs, item_follows_job
from printing.services.print_files import print_file_make, print_file_request
from printing.services.print_jobs import (
    print_job_create,
    print_job_move,
)
from printing.services.reprints import reprint_create
from printing.services.trays import (
    printers_fitting,
    tray_artifacts_build,
    tray_create,
    tray_follow_print_jobs,
    tray_follows_job,
    tray_move,
    tray_place_job,
)

# What follows a print job after each of its moves: its tray (it may start printing, be laid out again
# or be done), then its item (and the item's order).
PRINT_JOB_FOLLOWERS[:] = [tray_follows_job, item_follows_job]

__all__ = [
    "PRINT_JOB_FOLLOWERS",
    "PRINT_JOB_FOLLOW_UPS",
    "TRAY_FOLLOW_UPS",
    "guarantee_claim_approve",
    "guarantee_claim_create",
    "guarantee_claim_decline",
    "item_follow_print_jobs",
    "print_file_make",
    "print_file_request",
    "print_job_create",
    "print_job_move",
    "print_job_transition",
    "printers_fitting",
    "reprint_create",
    "tray_artifacts_build",
    "tray_create",
    "tray_follow_print_jobs",
    "tray_move",
    "tray_place_job",
    "tray_transition",
]
