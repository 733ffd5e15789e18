"""Staff groups: "Sculptors" work revisions in the admin; "Operators" run the catalog and print queue."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

GROUPS = {
    "Sculptors": {
        "orders": {"customer": VIEW, "order": VIEW, "item": ("view", "change"), "photo": VIEW, "orderevent": VIEW},
        "revisions": {"revision": EDIT, "feedback": VIEW, "pin": VIEW, "approval": VIEW, "checkjob": VIEW},
        "reconstruction": {"reconstructionjob": VIEW},
        "printing": {"productline": VIEW, "size": VIEW},
    },
    "Operators": {
        "orders": {
            "customer": EDIT, "portaltoken": EDIT, "order": ("view", "change"), "item": ("view", "change"),
            "photo": VIEW, "payment": EDIT, "stripeevent": VIEW, "orderevent": VIEW,
        },
        "revisions": {"revision": VIEW, "feedback": VIEW, "pin": VIEW, "approval": VIEW, "checkjob": VIEW},
        "reconstruction": {"reconstructionjob": VIEW},
        "printing": {
            "productline": ALL, "size": ALL, "shippingrule": ALL, "printer": ALL, "batch": EDIT,
            "printjob": EDIT, "printfilejob": VIEW,
        },
    },
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, apps_perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = [
            f"{action}_{model}" for models in apps_perms.values() for model, actions in models.items() for action in actions
        ]
        perms = Permission.objects.filter(
            content_type__app_label__in=list(apps_perms), codename__in=codenames
        )
        group.permissions.set(perms)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("revisions", "0001_initial"),
        ("printing", "0002_default_catalog"),
        ("reconstruction", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_groups, delete_groups)]
