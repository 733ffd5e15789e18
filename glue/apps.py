from django.apps import AppConfig


class GlueConfig(AppConfig):
    """The top layer: composes the apps (URLs, sweeper, demo, the customer's order page); owns no model."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "glue"
    verbose_name = "Studio"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from glue.workers import record_cluster_queue

        # each worker process django-q2 spawns notes its queue, for the admin's "Workers and queues"
        post_spawn.connect(record_cluster_queue, dispatch_uid="studio-record-cluster-queue")
