from django.apps import AppConfig


class GlueConfig(AppConfig):
    """The top layer: composes the apps (URLs, sweeper, demo, the customer's order page); owns no model."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "glue"
    verbose_name = "Studio"
