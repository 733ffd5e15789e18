"""The size and price catalog joins the orders app (from printing, whose 0004 renamed the tables).

State only: the tables already exist as orders_productline, orders_size, orders_shippingrule. The
content types move too, so the groups' catalog permissions (Operators edit, Sculptors view) stay.
"""

import django.db.models.deletion
from django.db import migrations, models

CATALOG_MODELS = ["productline", "size", "shippingrule"]


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    # a content type made for the target before this ran (none normally) would block the rename
    ContentType.objects.filter(app_label=target, model__in=CATALOG_MODELS).delete()
    ContentType.objects.filter(app_label=source, model__in=CATALOG_MODELS).update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, "printing", "orders")


def backwards(apps, schema_editor):
    _move_content_types(apps, "orders", "printing")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0004_schedule_sweeper"),
        ("printing", "0004_catalog_to_orders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ProductLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(choices=[('solo', 'Solo portrait'), ('couple', 'Wedding / couple'), ('pet', 'Pet'), ('bust', 'Portrait bust'), ('family', 'Family set')], max_length=16, unique=True)),
                        ('name', models.CharField(max_length=100)),
                        ('description', models.TextField(blank=True)),
                        ('per_person', models.BooleanField(default=False, help_text='Price is per person (family sets).')),
                        ('min_persons', models.PositiveSmallIntegerField(default=1)),
                        ('max_persons', models.PositiveSmallIntegerField(default=1)),
                        ('full_figure', models.BooleanField(default=True, help_text='A full-body photo is recommended.')),
                        ('active', models.BooleanField(default=True)),
                        ('sort_order', models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={
                        'ordering': ['sort_order', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='ShippingRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(default='Worldwide tracked', max_length=100)),
                        ('flat_fee_cents', models.PositiveIntegerField()),
                        ('free_from_cents', models.PositiveIntegerField()),
                        ('active', models.BooleanField(default=True)),
                    ],
                    options={
                        'ordering': ['-active', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='Size',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('height_mm', models.PositiveSmallIntegerField()),
                        ('price_cents', models.PositiveIntegerField()),
                        ('active', models.BooleanField(default=True)),
                        ('product_line', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sizes', to='orders.productline')),
                    ],
                    options={
                        'ordering': ['product_line__sort_order', 'height_mm'],
                        'constraints': [models.UniqueConstraint(fields=('product_line', 'height_mm'), name='size_unique_height_per_line'), models.CheckConstraint(condition=models.Q(('price_cents__gt', 0)), name='size_price_positive')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
