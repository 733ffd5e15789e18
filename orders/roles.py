"""Which model permissions each staff action on orders needs: the one table the admin and the API share.

Operators hold these (group "Operators", orders migration 0002 and printing migration 0007); Sculptors only
read orders. Superusers hold every permission.
"""

from __future__ import annotations

#: The staff groups (orders migration 0002): who makes rounds, who runs orders and the print floor.
SCULPTORS_GROUP = "Sculptors"
OPERATORS_GROUP = "Operators"
#: Give a figurine to a sculptor (or take it off one): the operators' planning.
ASSIGN_SCULPTOR = ("orders.change_item",)

#: Read any order (the order page for staff).
VIEW_ORDER = ("orders.view_order",)
#: Change an order's state (cancel it, or cancel one of its figurines).
CHANGE_ORDER = ("orders.change_order",)
CANCEL_ITEM = ("orders.change_item", "orders.change_order")
#: Money: record an offline payment, hand out a checkout link, refund.
TAKE_PAYMENT = ("orders.add_payment",)
REFUND = ("orders.add_payment", "orders.change_payment")
#: A new portal link (the old ones revoked) or revoking one.
REISSUE_PORTAL_LINK = ("orders.add_portaltoken", "orders.change_portaltoken")
REVOKE_PORTAL_LINK = ("orders.change_portaltoken",)
#: A photo added or removed for the customer.
ADD_PHOTO = ("orders.add_photo",)
DELETE_PHOTO = ("orders.delete_photo",)
