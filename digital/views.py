"""The customer's digital file downloads, through a checked view (never a public media URL).

The URL the order page hands out is signed (``studio.signed_urls``: it expires) and works for the order's
own customer (portal session or ``Authorization: Portal``) and the staff; anyone else, another customer
holding the link included, gets 404, never a hint the file exists. The bytes go out through
``studio.file_responses.stored_file_response`` (streamed from disk, or the bucket's presigned redirect).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from digital.models import DigitalFile
from orders.auth import authenticate_api_headers, customer_can_see_order
from studio.file_responses import stored_file_response
from studio.permissions import is_staff_request
from studio.signed_urls import has_valid_signature

CONTENT_TYPES = {
    "glb": "model/gltf-binary",
    "glb_game": "model/gltf-binary",
    "obj": "application/zip",
    "fbx": "application/octet-stream",
    "stl": "model/stl",
    "usdz": "model/vnd.usdz+zip",
}


@require_GET
def digital_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    authenticate_api_headers(request)
    row = DigitalFile.objects.select_related("item__order").filter(pk=pk).first()
    if row is None or not row.file:
        raise Http404
    staff = is_staff_request(request)
    if not (staff or (has_valid_signature(request) and customer_can_see_order(request, row.item.order))):
        raise Http404
    return stored_file_response(
        row.file.name,
        as_attachment=True,
        filename=row.file.name.rsplit("/", 1)[-1],
        content_type=CONTENT_TYPES.get(row.format, "application/octet-stream"),
        cache_control="private, no-cache",
    )
