"""`manage.py demo`: one order end to end on the embedded default, tasks run in line, then its timeline.

Order -> offline payment -> generated photos -> reconstruction (revision 0) -> a sculptor's round with
changes requested and pins -> a second round approved -> print job, printing, QC failure, free reprint,
shipping and delivery. Every step goes through the same services as the API and the admin; the tasks run
in django-q2's sync mode (``studio.tasks.run_inline``), each at once after the commit that enqueued it,
through django-q2's own worker code. The demo changes no setting: its small renders and base mesh are
arguments of the tasks, its order is paid offline, and the e-mails go out through the configured
backend (the console backend's copies are kept off the demo's output) and are listed from the timeline.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from typing import Any, TextIO

import numpy as np
import trimesh
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from glue.demo_print import demo_print_and_ship
from kits.mesh import load_mesh
from kits.mesh.axes import for_gltf
from kits.mesh.gltf import glb_bytes
from orders.models import Item, OrderEvent
from orders.services import ItemRequest, order_create, order_mark_paid_offline, photo_upload
from revisions.models import Revision
from revisions.services import revision_approve, revision_publish, revision_request_changes, revision_upload
from studio.storage import local_copy
from studio.tasks import run_inline

BACKGROUND = (226, 229, 233)


# ------------------------------------------------------------------------------------------ generated data
def demo_photo(seed: int = 0, width: int = 600, height: int = 800) -> bytes:
    """A clean front photo drawn with Pillow: plain wall, even light, one standing person with texture."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-6.0, 6.0, height)[:, None, None]
    wall = np.clip(np.broadcast_to(np.array(BACKGROUND, float), (height, width, 3)) + ramp, 0, 255)
    layer = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx, top, u = width / 2, 0.08 * height, 0.84 * height / 100
    skin, shirt, trousers, hair = (224, 172, 140), (196, 52, 48), (44, 62, 110), (70, 44, 30)
    draw.rectangle([cx - 9 * u, top + 52 * u, cx - 1.5 * u, top + 95 * u], fill=trousers)
    draw.rectangle([cx + 1.5 * u, top + 52 * u, cx + 9 * u, top + 95 * u], fill=trousers)
    draw.rectangle([cx - 11 * u, top + 95 * u, cx + 11 * u, top + 100 * u], fill=(30, 30, 30))
    draw.rounded_rectangle([cx - 12 * u, top + 17 * u, cx + 12 * u, top + 55 * u], radius=4 * u, fill=shirt)
    draw.rectangle([cx - 17 * u, top + 19 * u, cx - 12 * u, top + 50 * u], fill=shirt)
    draw.rectangle([cx + 12 * u, top + 19 * u, cx + 17 * u, top + 50 * u], fill=shirt)
    for k in range(8):
        y = top + (20 + 4.5 * k) * u
        draw.line([cx - 12 * u, y, cx + 12 * u, y], fill=(240, 230, 220), width=max(1, round(0.8 * u)))
    draw.rectangle([cx - 3 * u, top + 13 * u, cx + 3 * u, top + 18 * u], fill=skin)
    draw.ellipse([cx - 7 * u, top, cx + 7 * u, top + 15 * u], fill=skin)
    draw.chord([cx - 7.5 * u, top - 0.5 * u, cx + 7.5 * u, top + 9 * u], 180, 360, fill=hair)
    # a face the photo check's face detector finds (a person's front photo must show one)
    for ex in (cx - 3 * u, cx + 3 * u):
        draw.ellipse([ex - 1.2 * u, top + 6 * u, ex + 1.2 * u, top + 8 * u], fill=(250, 250, 250))
        draw.ellipse([ex - 0.6 * u, top + 6.4 * u, ex + 0.6 * u, top + 7.6 * u], fill=(40, 30, 20))
    draw.arc(
        [cx - 3 * u, top + 8 * u, cx + 3 * u, top + 12.5 * u],
        20,
        160,
        fill=(150, 60, 60),
        width=max(1, round(0.6 * u)),
    )
    person = np.asarray(layer, dtype=np.float64)
    mask = person.any(axis=2)
    grain = rng.normal(0, 7.0, (height, width))[:, :, None]
    image = np.where(mask[:, :, None], np.clip(person + grain, 0, 255), wall + rng.normal(0, 1.5, wall.shape))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def sculpt(mesh: trimesh.Trimesh, *, lift_mm: float, region: float = 0.8) -> trimesh.Trimesh:
    """A sculptor's edit, for the demo: the top of the figure (the head) lifted by a smooth bump."""
    out = mesh.copy()
    z = out.vertices[:, 2]
    low, high = float(z.min()), float(z.max())
    t = np.clip((z - (low + region * (high - low))) / max((1 - region) * (high - low), 1e-9), 0, 1)
    out.vertices[:, 2] += lift_mm * (3 * t**2 - 2 * t**3)
    return out


def surface_points(mesh: trimesh.Trimesh) -> dict[str, list[float]]:
    """Two places a customer would pin: the top of the head and the front of the face."""
    v = mesh.vertices
    top = v[int(np.argmax(v[:, 2]))]
    head = v[v[:, 2] > v[:, 2].min() + 0.85 * np.ptp(v[:, 2])]
    face = head[int(np.argmin(head[:, 1]))] if len(head) else top
    return {"top": [round(float(c), 3) for c in top], "face": [round(float(c), 3) for c in face]}


# ------------------------------------------------------------------------------------------ the story
class Demo:
    def __init__(self, stdout: TextIO) -> None:
        self.out = stdout
        self.tasks: list[str] = []
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        self.out.write(f"[{time.perf_counter() - self.started:5.1f} s] {text}\n")

    def ran(self) -> None:
        for line in self.tasks:
            self.out.write(f"          task {line}\n")
        self.tasks.clear()

    def staff(self, username: str, group: str):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@studio.example", "is_staff": True}
        )
        if created:  # the demo's staff act through the services only: no one signs in as them
            user.set_unusable_password()
            user.save(update_fields=["password"])
        group_obj = Group.objects.filter(name=group).first()
        if group_obj is not None:
            user.groups.add(group_obj)
        return user

    def round(self, item: Item, sculptor, mesh: trimesh.Trimesh, note: str) -> Revision:
        revision = revision_upload(
            item_id=item.pk, file=ContentFile(glb_bytes(mesh), name="round.glb"), user=sculptor, note=note
        )
        self.ran()
        revision.refresh_from_db()
        report = revision.check_report
        diff = revision.diff_report
        self.say(
            f"round {revision.number} uploaded ({revision.size_bytes} bytes, sha256 {revision.sha256[:12]}…) "
            f"-> {revision.status}: printable={report.get('printable')}, {revision.triangles} triangles, "
            f"{len(revision.renders)} renders"
            + (
                f", changed up to {diff['max_mm']:.2f} mm since round {diff['previous_round']}"
                if diff.get("max_mm")
                else ""
            )
        )
        if revision.status != "ready":
            raise RuntimeError(f"round {revision.number} was {revision.status}: {report.get('issues')}")
        revision = revision_publish(revision_id=revision.pk, user=sculptor)
        self.ran()
        self.say(f"round {revision.number} published; the customer is e-mailed a link to the 3D preview")
        return revision

    def run(self) -> Item:
        operator = self.staff("demo-operator", "Operators")
        sculptor = self.staff("demo-sculptor", "Sculptors")
        email = f"demo+{int(time.time())}@example.com"
        created = order_create(
            email=email,
            name="Dana Demo",
            items=[ItemRequest(product_line="solo", height_mm=150)],
            send_email=True,
            checkout=False,  # paid offline below, online or not
        )
        order = created.order
        item = order.items.get()
        self.ran()
        self.say(
            f"order {order.number} placed by {email}: solo portrait 150 mm, total ${order.total_cents / 100:.2f}"
        )
        order_mark_paid_offline(order_id=order.pk, user=operator, method="demo", reference="DEMO")
        self.ran()
        self.say("payment recorded offline; the order is paid")
        Item.objects.filter(pk=item.pk).update(assigned_sculptor=sculptor)
        photo = photo_upload(
            item_id=item.pk,
            upload=io.BytesIO(demo_photo()),
            kind="front",
            filename="front.jpg",
            actor="customer",
        )
        self.say(
            f"front photo uploaded ({photo.width}x{photo.height}): usable={photo.is_usable}, "
            f"issues={[i['code'] for i in photo.report.get('issues', [])]}"
        )
        self.ran()
        item.refresh_from_db()
        base = item.revisions.filter(number=0).first()
        if base is None:
            raise RuntimeError(f"no base mesh: the item is {item.status}")
        self.say(
            f"base mesh (revision 0, {base.get_source_display()}): {base.triangles} triangles -> {base.status}; "
            f"item {item.status}, preview due {timezone.localtime(item.preview_due_at):%a %b %d %H:%M %Z}"
        )
        start = self.base_mesh(base)
        first = self.round(item, sculptor, sculpt(start, lift_mm=0.6), "First pass: face and hair refined.")
        pins = surface_points(start)
        revision_request_changes(
            revision_id=first.pk,
            customer=order.customer,
            comment="Lovely! Could the hair be a little fuller?",
            pins=[
                {"position": pins["top"], "text": "More volume on top, please"},
                {"position": pins["face"], "text": "A slightly bigger smile"},
            ],
        )
        self.ran()
        self.say(
            f"the customer asked for changes on round {first.number} with 2 pins at {pins['top']} and {pins['face']}"
        )
        second = self.round(item, sculptor, sculpt(start, lift_mm=2.0), "Fuller hair and a bigger smile.")
        approval = revision_approve(
            revision_id=second.pk,
            customer=order.customer,
            confirm=True,
            ip_address="127.0.0.1",
            user_agent="manage.py demo",
            origin="demo",
        )
        self.ran()
        self.say(f"the customer approved round {second.number}: file locked, sha256 {approval.sha256}")
        item.refresh_from_db()
        self.print_job(item, operator)
        return item

    def base_mesh(self, base: Revision) -> trimesh.Trimesh:
        """The sculptor's starting point: revision 0 as reconstruction wrote it.

        Base meshes stored before reconstruction wrote GLBs in glTF axes hold the studio's axes and
        millimetres instead and read lying down; such a file is opened as written (no axis or unit change).
        Rounds go out in glTF's metres and axes, as a sculpting tool exports them.
        """
        with local_copy(base.mesh) as path:
            loaded = load_mesh(path)
            mesh = loaded.mesh
            if loaded.format == "glb" and np.ptp(mesh.vertices[:, 1]) > 1.5 * np.ptp(mesh.vertices[:, 2]):
                mesh = for_gltf(mesh)  # undo the loader's turn and x1000: back to the numbers as written
                self.say("revision 0 was written in studio axes into a GLB; the sculptor reads it as written")
        return mesh

    def print_job(self, item: Item, operator) -> None:
        demo_print_and_ship(item, self.out, user=operator)
        self.ran()

    def timeline(self, item: Item) -> None:
        self.out.write(f"\nTimeline of order {item.order.number}:\n")
        for event in OrderEvent.objects.filter(order=item.order).order_by("date", "id"):
            change = f" {event.from_status} -> {event.to_status}" if event.to_status else ""
            params = event.parameters or {}
            detail = ", ".join(
                f"{k}={v}"
                for k, v in params.items()
                if k in ("round", "template", "pins", "sha256", "reason", "to")
            )
            self.out.write(
                f"  {timezone.localtime(event.date):%H:%M:%S %Z}  {event.subject:<9} {event.type}{change}"
                f"{f' ({detail})' if detail else ''}  by {event.actor}\n"
            )
        sent = emails_sent(item.order)
        self.out.write(f"\nE-mails sent: {len(sent)}\n")
        for message in sent:
            self.out.write(f"  to {', '.join(message['to'])}: {message['subject']}\n")


def demo_report(item: Item) -> dict[str, Any]:
    """The demo's outcome as JSON-ready data (``demo --json``): the order, its figurine, the approved file,
    the print jobs, the timeline and the e-mails sent."""
    item.refresh_from_db()
    order = item.order
    approval = getattr(item, "approval", None)
    return {
        "ok": True,
        "order": {"number": order.number, "status": order.status, "total_cents": order.total_cents},
        "item": {"id": item.pk, "status": item.status, "product_line": item.product_line},
        "approved": (
            {
                "revision_id": approval.revision_id,
                "round": approval.revision.number,
                "sha256": approval.sha256,
            }
            if approval
            else None
        ),
        "print_jobs": [
            {
                "id": job.pk,
                "status": job.status,
                "is_reprint": job.is_reprint,
                "reprint_reason": job.reprint_reason,
            }
            for job in item.print_jobs.order_by("pk")
        ],
        "timeline": [
            {
                "date": event.date.isoformat(),
                "subject": event.subject,
                "subject_id": event.subject_id,
                "type": event.type,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "actor": event.actor,
                "parameters": event.parameters or {},
            }
            for event in OrderEvent.objects.filter(order=order).order_by("date", "id")
        ],
        "emails": emails_sent(order),
    }


def emails_sent(order) -> list[dict[str, Any]]:
    """The e-mails the story sent about its order, from the timeline (each send writes an event)."""
    events = OrderEvent.objects.filter(order=order, type="email_sent").order_by("date", "id")
    return [
        {"to": [event.parameters.get("to", "")], "subject": event.parameters.get("template", "")}
        for event in events
    ]


def run_demo(stdout: TextIO, *, render_size: int = 192, triangle_budget: int = 40_000) -> Item:
    """Run the story with the tasks in line (small renders and base mesh); print the timeline."""
    demo = Demo(stdout)
    knobs = {
        "reconstruction.tasks.reconstruct_item": {"triangle_budget": triangle_budget},
        "revisions.tasks.check_revision": {"render_size": render_size},
    }
    # The console e-mail backend prints each message to sys.stdout: keep those copies off the story;
    # django-q2's worker logs each task at INFO: the story lists the tasks itself.
    queue_log = logging.getLogger("django-q")
    level = queue_log.level
    queue_log.setLevel(logging.WARNING)
    try:
        with run_inline(task_kwargs=knobs, log=demo.tasks), contextlib.redirect_stdout(io.StringIO()):
            item = demo.run()
    finally:
        queue_log.setLevel(level)
    demo.timeline(item)
    demo.say(f"done; media under {settings.MEDIA_ROOT}")
    return item
