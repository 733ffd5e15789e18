"""Create the demo staff users (admin, a sculptor and an operator) for a laptop; idempotent.

Each user gets a random password when it is created, printed once; a later run keeps it (and says
so). ``manage.py changepassword USERNAME`` sets a new one. With DEBUG off the command refuses to run:
a production studio creates its staff with ``createsuperuser`` and the admin.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = [
    # username, superuser, group
    ("admin", True, None),
    ("sculptor", False, "Sculptors"),
    ("operator", False, "Operators"),
]


def demo_password() -> str:
    """A fresh random password (about 96 bits)."""
    return secrets.token_urlsafe(12)


class Command(BaseCommand):
    help = (
        "Create the demo staff users admin, sculptor and operator with random passwords, printed once "
        "(development only: refused with DEBUG=0)."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates demo staff users and runs only with DEBUG=1; "
                "in production create staff with `manage.py createsuperuser`."
            )
        User = get_user_model()
        for username, superuser, group_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.com"},
            )
            # earlier versions gave each demo user its own name as password: replace that one too
            weak = not created and user.check_password(username)
            if created or weak:
                password = demo_password()
                user.set_password(password)
                user.save(update_fields=["password"])
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            if created or weak:
                what = "created" if created else "replaced the well-known password of"
                self.stdout.write(f"{what} {username}: password {password}")
            else:
                self.stdout.write(
                    f"kept {username}: password unchanged (set a new one: manage.py changepassword {username})"
                )
