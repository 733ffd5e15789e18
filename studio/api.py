"""API plumbing shared by every app: the exception handler that maps typed errors once, and the field for
stored JSON reports in answers."""

from __future__ import annotations

import logging
import sys

from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions as drf_exceptions
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from studio.errors import ApplicationError

logger = logging.getLogger(__name__)


def _messages(detail) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = _messages(value)
            parts.append(text if key in ("non_field_errors", "detail") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_messages(d) for d in detail)
    return str(detail)


def exception_handler(exc, context):
    """Turn application, Django and DRF errors into `{"message", "code", "extra"}` JSON answers."""
    if isinstance(exc, ApplicationError):
        response = Response(
            {"message": exc.message, "code": exc.code, "extra": exc.extra}, status=exc.status_code
        )
        if exc.status_code == 503:  # a storage or service down for a moment: clients try again
            response["Retry-After"] = "5"
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = drf_exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body = {
        "message": _messages(detail),
        "code": getattr(exc, "default_code", "error"),
        "extra": {"fields": detail} if isinstance(detail, dict) and "detail" not in detail else {},
    }
    response.data = body
    return response


API_PREFIX = "/api/"


def not_found(request, exception=None):
    """The site's 404: under /api/ the API's error shape (a path no route matches, e.g. `items/abc/`),
    elsewhere Django's page."""
    if request.path.startswith(API_PREFIX):
        body = {"message": f"No API endpoint at {request.path}.", "code": "not_found", "extra": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The site's 500: under /api/ the API's error shape, never an HTML page; elsewhere Django's page.

    A database that cannot be reached (PostgreSQL restarting, a failover) is not a bug of the request:
    it answers 503 with ``Retry-After``, so clients and the load balancer try again.
    """
    unavailable = isinstance(sys.exc_info()[1], (db.OperationalError, db.InterfaceError))
    status, code, message = (
        (503, "unavailable", "The studio's database is not reachable just now; try again in a moment.")
        if unavailable
        else (500, "error", "The studio could not answer this request; try again.")
    )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"message": message, "code": code, "extra": {}}, status=status)
    elif unavailable:
        response = HttpResponse(f"<!doctype html><title>Try again</title><h1>{message}</h1>", status=503)
    else:
        return defaults.server_error(request)
    if unavailable:
        response["Retry-After"] = "5"
    return response


def report_field(shape, *, may_be_empty: bool = False, **kwargs) -> serializers.JSONField:
    """A stored JSON report answered exactly as stored (its keys can grow: measures, extra figures),
    documented in the schema with ``shape``: a serializer naming the keys it has (``many=True`` for a list).

    ``may_be_empty``: the report is ``{}`` until it is made (a round not checked yet, a first round's
    difference, a tray not laid out yet); the schema then says "the shape, or an empty object".
    """
    attrs = {"may_be_empty": may_be_empty}
    field_class = extend_schema_field(shape)(type("ReportField", (serializers.JSONField,), attrs))
    return field_class(**kwargs)


class ErrorSerializer(serializers.Serializer):
    """The one error answer of the API: every 4xx has this shape."""

    message = serializers.CharField(help_text="What was wrong, in words a person can act on.")
    code = serializers.CharField(help_text="A stable machine-readable code (e.g. `not_found`, `conflict`).")
    extra = serializers.DictField(help_text="Details: refused fields, the states of a refused move, issues.")


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ERROR_DESCRIPTIONS = {
    "400": "The input was refused (a field, a file or a business rule); nothing changed.",
    "401": "No valid credentials were sent.",
    "403": "The credentials may not do this (another customer's order, or another staff role).",
    "404": "No such object for these credentials.",
    "409": "The object's current state does not allow this (e.g. an illegal transition); nothing changed.",
    "413": "The upload is larger than the studio accepts.",
    "415": "The body's content type is not one this endpoint reads.",
    "429": "Too many requests from this client; try again later.",
}


class StudioAutoSchema(AutoSchema):
    """The schema of every API view, with the error answers it can give documented in the one error shape.

    Which 4xx an operation can answer follows from the view: a body can be refused (400, 413 for uploads,
    415), any non-public view can answer 401/403, a path with parameters 404, a write 409, a throttled view 429.
    """

    def _error_codes(self) -> list[str]:
        codes = []
        parsers = [getattr(parser, "media_type", "") for parser in self.view.get_parsers()]
        if self.method in WRITE_METHODS or self._get_filter_parameters() or self.get_override_parameters():
            codes.append("400")
        public = all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())
        if not public:
            codes += ["401", "403"]
        if "{" in self.path or self.method in WRITE_METHODS:
            codes.append("404")  # the object in the path, or one the body names
        if self.method in WRITE_METHODS:
            codes.append("409")
            if any(media.startswith("multipart/") for media in parsers):
                codes.append("413")
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _get_serializer_field_meta(self, field, direction):
        # What validation refuses, the request schema says: a required text may not be blank.
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "request" and isinstance(field, serializers.CharField) and not field.allow_blank:
            meta.setdefault("minLength", 1)
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # ... and a list that may not be empty (``allow_empty=False``) has at least one entry.
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "may_be_empty", False):  # a report_field not made yet answers {}
            schema = {"anyOf": [schema, {"type": "object", "maxProperties": 0}]}
        if (
            direction == "request"
            and getattr(field, "allow_empty", True) is False
            and schema.get("type") == "array"
        ):
            schema["minItems"] = max(1, schema.get("minItems", 0))
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                answer = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                answer["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = answer
        return responses
