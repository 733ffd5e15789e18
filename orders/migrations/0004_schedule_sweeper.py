"""Schedule the safety net that re-queues lost reconstruction, check and print-file tasks."""

from django.db import migrations

FUNC = "studio.sweeper.requeue_stalled_work"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Re-queue stalled work",
            "schedule_type": "I",
            "minutes": 10,
            "repeats": -1,
            "cluster": "studio",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_checkout_url_token_scope"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(create_schedule, delete_schedule)]
