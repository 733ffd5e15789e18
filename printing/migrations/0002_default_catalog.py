"""The default catalog of DESIGN.md section 1, the shipping rule and two sample full-colour printers."""

from django.db import migrations

# code, name, per_person, min, max, full_figure, [(height_mm, price_cents)], description
CATALOG = [
    ("solo", "Solo portrait", False, 1, 1, True, [(100, 14900), (150, 22900), (200, 32900)],
     "One person, full figure, in full colour."),
    ("couple", "Wedding / couple", False, 2, 2, True, [(100, 25900), (150, 39900), (200, 56900)],
     "Two people on one base: weddings, anniversaries, best friends."),
    ("pet", "Pet", False, 1, 1, True, [(100, 14900), (120, 18900), (150, 23900)],
     "Your dog, cat or other companion, standing or sitting."),
    ("bust", "Portrait bust", False, 1, 1, False, [(60, 14900), (80, 18900), (100, 23900)],
     "Head and shoulders on a plinth."),
    ("family", "Family set", True, 2, 8, True, [(100, 13900), (150, 20900), (200, 29900)],
     "One figurine per person, priced per person."),
]

PRINTERS = [
    # name, model, x, y, z (mm), formats (preferred first)
    ("J850-1", "Stratasys J850 Prime", 490, 390, 200, ["3mf", "wrl", "obj"]),
    ("3DUJ-553-1", "Mimaki 3DUJ-553", 508, 508, 305, ["wrl", "obj", "3mf"]),
]


def seed(apps, schema_editor):
    ProductLine = apps.get_model("printing", "ProductLine")
    Size = apps.get_model("printing", "Size")
    ShippingRule = apps.get_model("printing", "ShippingRule")
    Printer = apps.get_model("printing", "Printer")
    for order, (code, name, per_person, lo, hi, full_figure, sizes, description) in enumerate(CATALOG):
        line, _ = ProductLine.objects.update_or_create(
            code=code,
            defaults=dict(name=name, per_person=per_person, min_persons=lo, max_persons=hi,
                          full_figure=full_figure, description=description, sort_order=order),
        )
        for height, price in sizes:
            Size.objects.update_or_create(product_line=line, height_mm=height, defaults={"price_cents": price})
    if not ShippingRule.objects.exists():
        ShippingRule.objects.create(name="Worldwide tracked", flat_fee_cents=1500, free_from_cents=14900)
    for name, model, x, y, z, formats in PRINTERS:
        Printer.objects.update_or_create(
            name=name, defaults=dict(model=model, build_x_mm=x, build_y_mm=y, build_z_mm=z, formats=formats)
        )


def unseed(apps, schema_editor):
    apps.get_model("printing", "Size").objects.filter(
        product_line__code__in=[c[0] for c in CATALOG]
    ).delete()
    apps.get_model("printing", "ProductLine").objects.filter(code__in=[c[0] for c in CATALOG]).delete()
    apps.get_model("printing", "ShippingRule").objects.filter(name="Worldwide tracked").delete()
    apps.get_model("printing", "Printer").objects.filter(name__in=[p[0] for p in PRINTERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("printing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
