"""The sweeper's schedule follows its function from studio.sweeper to glue.sweeper (it reads every app)."""

from django.db import migrations

OLD, NEW = "studio.sweeper.requeue_stalled_work", "glue.sweeper.requeue_stalled_work"


def _rename(apps, source: str, target: str) -> None:
    apps.get_model("django_q", "Schedule").objects.filter(func=source).update(func=target)


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_schedule_sweeper"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
