"""Reconstruction services: start a run, store its base mesh as revision 0, or fall back to a template."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps

from kits.hashing import bytes_sha256
from kits.mesh.gltf import glb_bytes
from orders.lock_objects import lock_item
from orders.models import Item, ItemStatus
from orders.services import item_transition
from reconstruction.models import ReconstructionJob
from revisions.models import Revision, RevisionSource, RevisionStatus
from revisions.services import revision_transition
from studio.jobs import JobStatus

logger = logging.getLogger(__name__)

RECONSTRUCTION_ACTOR = "worker:reconstruction"


def reconstruction_start(*, item_id: int, backend: str = "", device: str = "") -> ReconstructionJob | None:
    """Move a ready item to `reconstructing` and return its open job (idempotent; None when not due)."""
    with transaction.atomic():
        item = lock_item(item_id)
        if item.status == ItemStatus.READY_FOR_DESIGN:
            item_transition(item_id=item.pk, to=ItemStatus.RECONSTRUCTING, actor=RECONSTRUCTION_ACTOR)
        elif item.status != ItemStatus.RECONSTRUCTING:
            return None
        job = item.reconstruction_jobs.exclude(status__in=JobStatus.finished()).order_by("created_at").first()
        if job is None:
            job = ReconstructionJob.objects.create(item=item, backend=backend, device=device)
        return job


def reconstruction_photo_inputs(item: Item) -> list[Any]:
    """The item's usable photos as reconstruction inputs, each with its person (``person_index``).

    One person's photos go front first. A couple's or family's photos that all carry the same person
    keep their upload order: the pipeline then splits them into persons in that order (a new person
    at each repeated front photo).
    """
    from reconstruction.core.persons import GROUP_LINES
    from reconstruction.core.types import PhotoInput

    photos = list(item.photos.filter(is_usable=True).order_by("person_index", "uploaded_at"))
    if not photos:
        photos = list(item.photos.order_by("person_index", "uploaded_at"))
    order = {"front": 0, "side": 1, "full_body": 2, "back": 3}
    numbered = len({p.person_index for p in photos}) > 1
    if numbered or item.product_line not in GROUP_LINES:
        photos.sort(key=lambda p: (p.person_index, order.get(p.kind, 9)))
    inputs = []
    for photo in photos:
        with photo.image.open("rb") as handle, Image.open(handle) as img:
            oriented = ImageOps.exif_transpose(img)
            mode = "RGBA" if "A" in oriented.getbands() else "RGB"
            inputs.append(
                PhotoInput(
                    image=np.asarray(oriented.convert(mode)), kind=photo.kind, person=photo.person_index
                )
            )
    return inputs


def reconstruction_store_revision(
    *, job_id: int, mesh, source: str, report: dict[str, Any], flag_reason: str = ""
) -> Revision:
    """Store the mesh as revision 0 (GLB with vertex colours), start its checks, move the item to sculpting.

    Idempotent: a second delivery finds revision 0 already there and changes nothing.
    """
    data = glb_bytes(mesh)
    digest = bytes_sha256(data)
    with transaction.atomic():
        job = ReconstructionJob.objects.select_related("item").get(pk=job_id)
        item = lock_item(job.item_id)
        existing = Revision.objects.filter(item=item, number=0).first()
        if existing is not None:
            return existing
        revision = Revision(
            item=item,
            number=0,
            source=source,
            status=RevisionStatus.UPLOADED,
            original_filename=f"base-{item.pk}.glb",
            sha256=digest,
            size_bytes=len(data),
            triangles=len(mesh.faces),
            vertices=len(mesh.vertices),
            note="AI base mesh" if source == RevisionSource.AI else f"Template body: {flag_reason}",
        )
        revision.mesh.save(f"base-{item.pk}.glb", ContentFile(data), save=False)
        revision.save()
        revision_transition(
            revision_id=revision.pk,
            to=RevisionStatus.CHECKING,
            actor=RECONSTRUCTION_ACTOR,
            parameters={"source": source},
        )
        update: dict[str, Any] = {}
        if flag_reason:
            update = {"flagged": True, "flag_reason": flag_reason[:255]}
        item_transition(
            item_id=item.pk,
            to=ItemStatus.SCULPTING,
            actor=RECONSTRUCTION_ACTOR,
            update=update,
            parameters={
                "revision": revision.pk,
                "source": source,
                "triangles": revision.triangles,
                **({"flag_reason": flag_reason} if flag_reason else {}),
                **{
                    k: report[k]
                    for k in ("backend", "device", "method", "perception", "seconds")
                    if k in report
                },
            },
        )
        ReconstructionJob.objects.filter(pk=job.pk).update(revision=revision)
    return revision


def reconstruction_fallback(*, job_id: int, reason: str) -> Revision:
    """Reconstruction failed: the item still reaches sculpting, flagged, with a template body."""
    from reconstruction.core.template import template_body

    job = ReconstructionJob.objects.select_related("item").get(pk=job_id)
    item = job.item
    mesh = template_body(item.product_line, height_mm=float(item.height_mm), persons=item.persons)
    short = reason.strip().splitlines()[0] if reason.strip() else "unknown error"
    return reconstruction_store_revision(
        job_id=job_id,
        mesh=mesh,
        source=RevisionSource.TEMPLATE,
        report={"template": item.product_line},
        flag_reason=f"Reconstruction failed ({short[:180]}); started from a template body.",
    )
