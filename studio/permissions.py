"""Who counts as staff: the one rule, for views, selectors and the API's permission classes.

Staff are active users with ``is_staff`` (operators, sculptors, the studio's admins). A portal
customer (``orders.auth.PortalCustomer``) never is; neither is an anonymous or a deactivated user.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission


def is_staff_user(user: Any) -> bool:
    """True for an authenticated, active staff user; False for anyone else (or no user at all)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    )


def is_staff_request(request: Any) -> bool:
    """Whether a Django or DRF request comes from staff (see :func:`is_staff_user`)."""
    return is_staff_user(getattr(request, "user", None))


class IsStaff(BasePermission):
    """DRF permission: staff only (:func:`is_staff_user`); portal customers never pass."""

    message = "Staff only."

    def has_permission(self, request, view) -> bool:
        return is_staff_request(request)
