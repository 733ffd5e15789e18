"""What printing adds to the lower apps' extension points (imported once, from ``apps.ready``).

The order's "shipped" e-mail lists the parcels' tracking numbers, which belong to the print queue:
the orders app asks its registered context providers and never names this app.

The printability checks of the revision rounds (and every other mesh check, through
``revisions.checking.mesh_check_limits``) hold a mesh to the build volumes of the printers in the
Printer table.
"""

from __future__ import annotations

from django.db import DatabaseError

from orders.tasks import ORDER_EMAIL_CONTEXT
from printing.models import Printer, PrinterStatus
from printing.selectors import order_email_tracking
from revisions.checking import register_build_volume_source

if order_email_tracking not in ORDER_EMAIL_CONTEXT:
    ORDER_EMAIL_CONTEXT.append(order_email_tracking)


def printer_build_volumes() -> list[tuple[float, float, float]]:
    """Build volumes (mm) of the printers that are not offline (one in maintenance comes back), each once.

    Empty when the Printer table cannot be read (no database, not migrated): the checks use the defaults.
    """
    try:
        rows = (
            Printer.objects.exclude(status=PrinterStatus.OFFLINE)
            .order_by("build_x_mm", "build_y_mm", "build_z_mm")
            .values_list("build_x_mm", "build_y_mm", "build_z_mm")
            .distinct()
        )
        return [(float(x), float(y), float(z)) for x, y, z in rows]
    except DatabaseError:
        return []


register_build_volume_source(printer_build_volumes)
