"""Answering a stored file, once the view has checked who may have it.

On disk the bytes are streamed by the view. On object storage the view answers a redirect to the
bucket's own presigned URL (short-lived, with the content type and the download name signed into it),
so the web workers never carry photos, meshes and print files; the permission check stays the view's.
A viewer's GLB (fetched by script, where a cross-origin bucket would need CORS) is streamed in both cases.
"""

from __future__ import annotations

from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from studio.storage import is_local, open_stored, storage_errors

#: How long a bucket's presigned URL handed out after a permission check works.
PRESIGNED_URL_SECONDS = 300


def presigned_url(
    name: str,
    *,
    content_type: str | None = None,
    filename: str = "",
    as_attachment: bool = False,
    storage: Storage | None = None,
) -> str:
    """The object store's own presigned GET URL for ``name`` (django-storages' S3 ``url(expire=...)``)."""
    parameters = {}
    if content_type:
        parameters["ResponseContentType"] = content_type
    disposition = content_disposition_header(as_attachment, filename) if (filename or as_attachment) else None
    if disposition:
        parameters["ResponseContentDisposition"] = disposition
    with storage_errors():
        return (storage or default_storage).url(name, parameters=parameters, expire=PRESIGNED_URL_SECONDS)


def stored_file_response(
    name: str,
    *,
    content_type: str | None = None,
    as_attachment: bool = False,
    filename: str = "",
    cache_control: str = "private, max-age=3600",
    presign: bool = True,
    storage: Storage | None = None,
) -> HttpResponseBase:
    """The stored file ``name`` as the answer: streamed from disk, or a redirect to the bucket's
    presigned URL (``presign=False`` streams from the bucket too). 404 when the file is gone."""
    storage = storage or default_storage
    if not name:
        raise Http404
    if presign and not is_local(storage):
        url = presigned_url(
            name, content_type=content_type, filename=filename, as_attachment=as_attachment, storage=storage
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the presigned URL expires; ask us again
        return response
    try:
        handle = open_stored(name, storage=storage)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=as_attachment, filename=filename)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response
