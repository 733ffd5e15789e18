"""The one factory set of the tests: factory-boy factories for the studio's models (created in their
initial states), staff users in their groups, and builders of rows in later states (an approved item
with its real approved mesh, a print job in any state, the seeded printers).

The test meshes live in ``tests/kits/mesh/meshes.py``, the test photos in ``tests/kits/photo/images.py``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
import trimesh
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from orders.models import Customer, Item, ItemStatus, Order, OrderStatus
from printing.models import Batch, Printer, PrintJob
from revisions.models import Approval, Revision, RevisionStatus
from tests.kits.mesh.meshes import coloured_figurine, mesh_bytes


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True


def staff_user(username: str, group: str | None = None, **fields):
    """A staff user (no password: hashing one costs time and force_login needs none), in `group`
    ("Sculptors" or "Operators") when given."""
    user = UserFactory(username=username, email=fields.pop("email", f"{username}@example.com"), **fields)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


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


def approved_item(
    *, height_mm: int = 100, approved_days_ago: float = 1, mesh: trimesh.Trimesh | None = None, order=None
):
    """An approved item (order approved too) with its approved revision (a real PLY) and its Approval."""
    order = order or OrderFactory(status=OrderStatus.APPROVED)
    approved_at = timezone.now() - timedelta(days=approved_days_ago)
    item = ItemFactory(order=order, status=ItemStatus.APPROVED, height_mm=height_mm, approved_at=approved_at)
    data = mesh_bytes(mesh or coloured_figurine(), "ply")
    revision = RevisionFactory(
        item=item,
        status=RevisionStatus.APPROVED,
        mesh=ContentFile(data, name="figurine.ply"),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    Approval.objects.create(item=item, revision=revision, sha256=revision.sha256, approved_at=approved_at)
    return item


SEED_PRINTERS = {
    "J850-1": dict(
        model="Stratasys J850 Prime",
        build_x_mm=490,
        build_y_mm=390,
        build_z_mm=200,
        formats=["3mf", "wrl", "obj"],
    ),
    "3DUJ-553-1": dict(
        model="Mimaki 3DUJ-553", build_x_mm=508, build_y_mm=508, build_z_mm=305, formats=["wrl", "obj", "3mf"]
    ),
}


def printer(name: str = "J850-1") -> Printer:
    """A seeded printer (re-created when a transactional test flushed the seed rows)."""
    return Printer.objects.get_or_create(name=name, defaults=SEED_PRINTERS[name])[0]


def job_in_state(
    status: str,
    *,
    footprint=(40.0, 40.0),
    height_mm: int = 100,
    item_status: str | None = None,
    tray_status: str = "open",
    due_in_days: float = 20,
) -> PrintJob:
    """A job created directly in `status`, with a (small, fake) print file whose SHA-256 is recorded."""
    item_status = item_status or {
        "shipped": ItemStatus.SHIPPED,
        "delivered": ItemStatus.DELIVERED,
    }.get(status, ItemStatus.IN_PRODUCTION)
    order = OrderFactory(
        status={"shipped": OrderStatus.SHIPPED, "delivered": OrderStatus.DELIVERED}.get(
            item_status, OrderStatus.IN_PRODUCTION
        )
    )
    item = approved_item(height_mm=height_mm, order=order)
    item.__class__.objects.filter(pk=item.pk).update(status=item_status)
    item.refresh_from_db()
    revision = item.approval.revision
    content = f"print file of item {item.pk}".encode()
    job = PrintJob(
        item=item,
        revision=revision,
        approved_sha256=revision.sha256,
        height_mm=height_mm,
        status=status,
        printer=printer(),
        footprint_mm=list(footprint),
        print_file_format="3mf",
        print_file_sha256=hashlib.sha256(content).hexdigest(),
        due_at=timezone.now() + timedelta(days=due_in_days),
        charge_cents=item.price_cents,
    )
    if status in ("shipped", "delivered"):
        job.carrier, job.tracking_number, job.shipped_at = "UPS", "1Z0001", timezone.now()
    if status in ("batched", "printing", "printed"):
        job.batch = Batch.objects.create(
            printer=job.printer, status=tray_status if status == "batched" else "printing"
        )
    job.save()
    job.print_file.save("job.3mf", ContentFile(content), save=True)
    return job
