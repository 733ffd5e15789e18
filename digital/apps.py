from django.apps import AppConfig


class DigitalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "digital"
    verbose_name = "Digital files"

    def ready(self) -> None:
        from digital import hooks  # noqa: F401  (registers the digital files' follow-up of an approval)
