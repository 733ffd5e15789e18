from django.apps import AppConfig


class ReconstructionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconstruction"

    def ready(self) -> None:
        from reconstruction import hooks  # noqa: F401  (registers the base-mesh follow-up with orders)
