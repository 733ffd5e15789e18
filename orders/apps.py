from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from orders import schema  # noqa: F401  (registers the portal auth schemes with drf-spectacular)
