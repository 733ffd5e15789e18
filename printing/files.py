"""The print queue's files for the staff: print files, tray layouts and tray files, claim photos.

Served through Django and streamed from the configured storage, so they work the same on disk with
DEBUG off and in a bucket: with the signed URL the API hands out (until it expires), else for the
staff (session or the API's token header); anyone else gets 404, never a hint the file exists.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

from orders.auth import authenticate_api_headers
from printing.models import Batch, ClaimPhoto, PrintJob
from studio.file_responses import stored_file_response
from studio.permissions import is_staff_request
from studio.signed_urls import has_valid_signature, signed_path

#: kind -> (model, file field)
FILES: dict[str, tuple[type[models.Model], str]] = {
    "print-file": (PrintJob, "print_file"),
    "tray-layout": (Batch, "layout_png"),
    "tray-file": (Batch, "tray_file"),
    "claim-photo": (ClaimPhoto, "image"),
}
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "stl": "model/stl",
    "3mf": "model/3mf",
    "glb": "model/gltf-binary",
    "obj": "model/obj",
    "wrl": "model/vrml",
    "ply": "application/octet-stream",
    "fbx": "application/octet-stream",
    "zip": "application/zip",
}
INLINE = {"tray-layout", "claim-photo"}


def file_url(kind: str, pk: int) -> str:
    """The file's signed URL (works on its own until it expires, then for the staff only)."""
    return signed_path(reverse("printing-file", args=[kind, pk]))


@require_GET
def printing_file(request: HttpRequest, kind: str, pk: int) -> HttpResponseBase:
    if kind not in FILES:
        raise Http404
    if not has_valid_signature(request):
        authenticate_api_headers(request)
        if not is_staff_request(request):
            raise Http404
    model, field = FILES[kind]
    obj = model.objects.filter(pk=pk).first()
    stored = getattr(obj, field, None) if obj is not None else None
    if not stored:
        raise Http404
    filename = stored.name.rsplit("/", 1)[-1]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return stored_file_response(
        stored.name,
        as_attachment=kind not in INLINE,
        filename=filename,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        cache_control="private, no-cache",
    )
