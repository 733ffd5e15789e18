"""Which model permissions each staff action of the print queue needs: the one table the admin and the
API share. Operators own the print queue, trays, reprints and Design Guarantee claims (group "Operators",
orders migration 0002 and printing migration 0007); Sculptors hold none of these."""

from __future__ import annotations

VIEW_QUEUE = ("printing.view_printjob",)
#: Send an approved figurine to print (a new job).
SEND_TO_PRINT = ("printing.add_printjob",)
#: Move a job (batched, printing, printed, QC passed, packed, shipped, ...), remake its print file.
MOVE_JOB = ("printing.change_printjob",)
#: A free reprint: failed QC, or the staff granting one (a new job from an old one).
REPRINT = ("printing.add_printjob", "printing.change_printjob")
VIEW_TRAY = ("printing.view_batch",)
#: Fill a new tray (its jobs become batched).
FILL_TRAY = ("printing.add_batch", "printing.change_printjob")
#: Move a whole tray (printing, done, cancelled); its jobs follow.
MOVE_TRAY = ("printing.change_batch", "printing.change_printjob")
VIEW_CLAIMS = ("printing.view_guaranteeclaim",)
#: Review a Design Guarantee claim: decline it, or approve it (which makes its free reprint).
DECLINE_CLAIM = ("printing.change_guaranteeclaim",)
APPROVE_CLAIM = ("printing.change_guaranteeclaim", *REPRINT)
