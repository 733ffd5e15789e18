"""The orders app's models, one module per part: catalog, customers, orders and items, photos,
payments, timeline. Everything is importable from ``orders.models``."""

from orders.models.catalog import (  # noqa: F401
    DIGITAL_ONLY_LINES,
    ProductLine,
    ProductLineCode,
    ShippingRule,
    Size,
)
from orders.models.customers import (  # noqa: F401
    Customer,
    PortalLoginLink,
    PortalToken,
)
from orders.models.orders import (  # noqa: F401
    ITEM_DESIGN_LOCKED_STATES,
    ITEM_PROGRESS,
    ITEM_SPEC_FIELDS,
    ITEM_TRANSITIONS,
    ORDER_TRANSITIONS,
    Item,
    ItemStatus,
    Order,
    OrderStatus,
    Style,
)
from orders.models.payments import (  # noqa: F401
    Payment,
    PaymentKind,
    PaymentStatus,
    StripeEvent,
)
from orders.models.photos import (  # noqa: F401
    Photo,
    PhotoKind,
    photo_upload_to,
)
from orders.models.timeline import (  # noqa: F401
    EventSubject,
    Notification,
    NotificationStatus,
    OrderEvent,
    OrderEventType,
)

__all__ = [
    "Customer",
    "EventSubject",
    "ITEM_DESIGN_LOCKED_STATES",
    "ITEM_PROGRESS",
    "ITEM_SPEC_FIELDS",
    "ITEM_TRANSITIONS",
    "Item",
    "ItemStatus",
    "Notification",
    "NotificationStatus",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderEvent",
    "OrderEventType",
    "OrderStatus",
    "Payment",
    "PaymentKind",
    "PaymentStatus",
    "Photo",
    "PhotoKind",
    "PortalLoginLink",
    "PortalToken",
    "ProductLine",
    "ProductLineCode",
    "ShippingRule",
    "Size",
    "StripeEvent",
    "Style",
    "photo_upload_to",
]
