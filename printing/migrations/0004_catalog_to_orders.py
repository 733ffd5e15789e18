"""The size and price catalog moves to the orders app (an order is priced from it).

The tables are renamed (printing_* -> orders_*), rows and ids untouched; the models leave this app's
state here and enter the orders app's state in orders 0005. Reversible.
"""

from django.db import migrations

CATALOG_TABLES = {"productline": "orders_productline", "size": "orders_size", "shippingrule": "orders_shippingrule"}


class Migration(migrations.Migration):
    dependencies = [
        ("printing", "0003_print_queue"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name=model, table=table) for model, table in CATALOG_TABLES.items()
            ],
            state_operations=[
                migrations.RemoveField(model_name="size", name="product_line"),
                migrations.DeleteModel(name="ShippingRule"),
                migrations.DeleteModel(name="ProductLine"),
                migrations.DeleteModel(name="Size"),
            ],
        ),
    ]
