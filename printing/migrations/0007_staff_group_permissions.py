"""The staff groups' permissions on the models added after orders 0002 made the groups.

Operators own the print queue's tray history, the Design Guarantee claims (they grant the reprints),
and the photos and e-mails of the customers they look after; Sculptors get none of these. Reversible:
going back takes exactly these permissions away again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Operators": {
        "printing": {"trayevent": ("view",), "guaranteeclaim": ("view", "change"), "claimphoto": ("view",)},
        "orders": {"photo": ("add", "delete"), "notification": ("view",)},
    },
}


def _permissions(apps, apps_perms):
    Permission = apps.get_model("auth", "Permission")
    wanted = [
        (app_label, f"{action}_{model}")
        for app_label, models in apps_perms.items()
        for model, actions in models.items()
        for action in actions
    ]
    perms = []
    for app_label, codename in wanted:
        perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return perms


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for group_name, apps_perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*_permissions(apps, apps_perms))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group_name, apps_perms in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, apps_perms))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0007_notifications"),
        ("printing", "0006_tray_events"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
