"""Create the demo staff users (admin, a sculptor and an operator) for a laptop; idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

DEMO_USERS = [
    # username, password, superuser, group
    ("admin", "admin", True, None),
    ("sculptor", "sculptor", False, "Sculptors"),
    ("operator", "operator", False, "Operators"),
]


class Command(BaseCommand):
    help = "Create demo staff users: admin/admin, sculptor/sculptor, operator/operator (development only)."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        for username, password, superuser, group_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(password)
                user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            self.stdout.write(f"{'created' if created else 'kept'} {username} (password {password})")
