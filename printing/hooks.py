"""What printing adds to the lower apps' extension points (imported once, from ``apps.ready``).

The order's "shipped" e-mail lists the parcels' tracking numbers, which belong to the print queue:
the orders app asks its registered context providers and never names this app.
"""

from __future__ import annotations

from orders.tasks import ORDER_EMAIL_CONTEXT
from printing.selectors import order_email_tracking

if order_email_tracking not in ORDER_EMAIL_CONTEXT:
    ORDER_EMAIL_CONTEXT.append(order_email_tracking)
