"""factory-boy factories for the studio's models (created in their initial states)."""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from orders.models import Customer, Item, Order
from printing.models import Printer, PrintJob
from revisions.models import Revision


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Faker("name")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"FS-T{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    subtotal_cents = 14900
    total_cents = 14900


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    order = factory.SubFactory(OrderFactory)
    product_line = "solo"
    height_mm = 150
    unit_price_cents = 22900
    price_cents = 22900


def _mesh_bytes(n: int) -> bytes:
    return f"solid r{n}\nendsolid r{n}\n".encode()


class RevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Revision

    item = factory.SubFactory(ItemFactory)
    number = factory.Sequence(lambda n: n + 1)
    mesh = factory.LazyAttribute(lambda r: ContentFile(_mesh_bytes(r.number), name=f"r{r.number}.stl"))
    sha256 = factory.LazyAttribute(lambda r: hashlib.sha256(_mesh_bytes(r.number)).hexdigest())


class PrintJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrintJob

    revision = factory.SubFactory(RevisionFactory)
    item = factory.SelfAttribute("revision.item")
    approved_sha256 = factory.SelfAttribute("revision.sha256")
    height_mm = 150
    printer = factory.LazyFunction(lambda: Printer.objects.order_by("name").first())
