"""The "3D model only" product line: the approved design's digital files, nothing printed ($49 by default;
operators set the price of each size in the catalog admin). Reversible: going back removes the line and its
sizes (refused by the database while an item still names it: an order of it exists)."""

from django.db import migrations, models

CODE = "digital"
SIZES = [(100, 4900), (150, 4900), (200, 4900)]  # the height the files are scaled to (AR, STL)
CHOICES = [
    ("solo", "Solo portrait"),
    ("couple", "Wedding / couple"),
    ("pet", "Pet"),
    ("bust", "Portrait bust"),
    ("family", "Family set"),
    ("digital", "3D model only"),
]


def seed(apps, schema_editor):
    ProductLine = apps.get_model("orders", "ProductLine")
    Size = apps.get_model("orders", "Size")
    line, _ = ProductLine.objects.get_or_create(
        code=CODE,
        defaults=dict(
            name="3D model only",
            description="Your approved design as 3D files (GLB, OBJ, FBX, STL, USDZ for AR); nothing is printed "
            "or shipped.",
            per_person=False,
            min_persons=1,
            max_persons=1,
            full_figure=True,
            sort_order=5,
        ),
    )
    for height, price in SIZES:
        Size.objects.get_or_create(product_line=line, height_mm=height, defaults={"price_cents": price})


def unseed(apps, schema_editor):
    Item = apps.get_model("orders", "Item")
    if Item.objects.filter(product_line=CODE).exists():
        raise RuntimeError("Items of the '3D model only' line exist: the line cannot be removed.")
    apps.get_model("orders", "Size").objects.filter(product_line__code=CODE).delete()
    apps.get_model("orders", "ProductLine").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_event_sculptor_assigned"),
    ]

    operations = [
        migrations.AlterField(
            model_name="item",
            name="product_line",
            field=models.CharField(choices=CHOICES, max_length=16),
        ),
        migrations.AlterField(
            model_name="productline",
            name="code",
            field=models.CharField(choices=CHOICES, max_length=16, unique=True),
        ),
        migrations.RunPython(seed, unseed),
    ]
