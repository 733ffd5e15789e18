"""Schedule the deadline warnings: every 15 minutes, warn assigned sculptors of previews due soon."""

from django.db import migrations

FUNC = "revisions.tasks.warn_due_previews"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Warn sculptors of previews due soon",
            "schedule_type": "I",
            "minutes": 15,
            "repeats": -1,
            "cluster": "studio",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("revisions", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(create_schedule, delete_schedule)]
