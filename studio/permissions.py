"""Who counts as staff, and what each staff role may do: the rules for views, selectors and the API.

Staff are active users with ``is_staff`` (operators, sculptors, the studio's admins). A portal
customer (``orders.auth.PortalCustomer``) never is; neither is an anonymous or a deactivated user.

What a staff user may do is what its model permissions (its group: "Sculptors", "Operators") allow:
each staff action names the permissions it needs, the API view in ``required_permissions``
(:class:`HasStaffPermissions`), the admin action in ``allowed_permissions``; superusers hold them all.
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


# ------------------------------------------------------------------------------- roles: model permissions
#: How a view declares what its staff caller must hold: "app_label.codename" strings, for every method,
#: or per HTTP method ({"GET": (...), "POST": (...)}; HEAD and OPTIONS follow GET).
RequiredPermissions = tuple[str, ...] | dict[str, tuple[str, ...]]


def declared_permissions(view: Any, method: str) -> tuple[str, ...] | None:
    """The model permissions ``view.required_permissions`` asks of a staff caller for ``method``.

    None when the view declares nothing for the method (the caller is then refused, fail closed)."""
    declared = getattr(view, "required_permissions", None)
    if declared is None:
        return None
    if isinstance(declared, dict):
        method = method.upper()
        if method in declared:
            return tuple(declared[method])
        if method in ("HEAD", "OPTIONS") and "GET" in declared:
            return tuple(declared["GET"])
        return None
    return tuple(declared)


def missing_permissions(user: Any, perms: tuple[str, ...]) -> list[str]:
    """Which of ``perms`` the user lacks (none for a superuser): the role check of the admin and the API."""
    return [perm for perm in perms if not user.has_perm(perm)]


class HasStaffPermissions(BasePermission):
    """DRF permission: staff (:func:`is_staff_user`) holding the model permissions the view declares in
    ``required_permissions`` (see :data:`RequiredPermissions`). The one role check of the staff API,
    before any business rule; a wrong role gets 403 in the studio's error shape and nothing changes.

    A view that declares nothing for a method it answers refuses it (fail closed); a method it does not
    answer at all passes here so that DRF answers 405.
    """

    message = "Staff only."
    #: False for an endpoint that customers use too: a non-staff caller passes here (the view checks it).
    staff_only = True

    def has_permission(self, request, view) -> bool:
        if not is_staff_request(request):
            return not self.staff_only
        perms = declared_permissions(view, request.method)
        if perms is None:
            if not hasattr(view, request.method.lower()):
                return True
            self.message = "No staff role may do this here."
            return False
        missing = missing_permissions(request.user, perms)
        if missing:
            self.message = f"Your staff role may not do this (it needs the permission {', '.join(missing)})."
            return False
        return True


class StaffNeedPermissions(HasStaffPermissions):
    """For an endpoint the customer uses too (the order page, a photo upload, a reprint): a customer passes
    (the view checks whose order it is), staff need the declared model permissions like everywhere else."""

    staff_only = False
