"""Builders for the print queue tests: approved items with a real mesh, jobs in any state."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import numpy as np
import trimesh
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from orders.models import ItemStatus, OrderStatus
from printing.models import Batch, Printer, PrintJob
from revisions.models import Approval, RevisionStatus
from tests.factories import ItemFactory, OrderFactory, RevisionFactory


def figurine_mesh(*, tipping: bool = False) -> trimesh.Trimesh:
    """A small figurine in millimetres, Z up on z = 0: a body (cylinder) and a head (sphere).

    With `tipping`, the head hangs far to one side so the figurine falls over without a base.
    """
    body = trimesh.creation.cylinder(radius=8, height=40, sections=20)
    body.apply_translation([0, 0, 20])
    head = trimesh.creation.icosphere(subdivisions=1, radius=11 if tipping else 9)
    head.apply_translation([45 if tipping else 0, 0, 52])
    mesh = trimesh.util.concatenate([body, head])
    mesh.visual.vertex_colors = np.tile([180, 120, 90, 255], (len(mesh.vertices), 1))
    return mesh


def mesh_bytes(mesh: trimesh.Trimesh | None = None) -> bytes:
    return (mesh or figurine_mesh()).export(file_type="ply")


def approved_item(
    *, height_mm: int = 100, approved_days_ago: float = 1, mesh: trimesh.Trimesh | None = None, order=None
):
    """An approved item (order approved too) with its approved revision (a real PLY) and its Approval."""
    order = order or OrderFactory(status=OrderStatus.APPROVED)
    approved_at = timezone.now() - timedelta(days=approved_days_ago)
    item = ItemFactory(order=order, status=ItemStatus.APPROVED, height_mm=height_mm, approved_at=approved_at)
    data = mesh_bytes(mesh)
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


def photo_bytes(colour=(200, 120, 80), size=(640, 480)) -> bytes:
    """A JPEG photo drawn with Pillow (a figurine-ish blob on a plain background)."""
    image = Image.new("RGB", size, (235, 235, 235))
    for x in range(size[0] // 3, 2 * size[0] // 3):
        for y in range(size[1] // 4, 3 * size[1] // 4, 4):
            image.putpixel((x, y), colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()
